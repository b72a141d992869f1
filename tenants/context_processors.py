from django.conf import settings

from tenants.models import public_url


def portal(request) -> dict:
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    return {
        # Only members are told whose host this is.
        "business": tenant if membership is not None else None,
        "membership": membership,
        "public_home_url": public_url("/"),
        "signup_url": public_url("/signup/"),
        "site_domain": settings.SITE_DOMAIN,
    }
