from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    """A business's companies: lives in each business's own schema."""

    name = "tenants.companies"
    label = "companies"
    verbose_name = _("Companies")
