"""URLs served on every host: log-in (allauth), language switch, health, API docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from accounts import views as account_views
from tenants.health import healthz

urlpatterns = [
    path("accounts/after-login/", account_views.after_login, name="after_login"),
    path("accounts/settings/", account_views.account_settings, name="account_settings"),
    # allauth's own sign-up is closed: accounts are opened with a business, on the public host.
    path("accounts/signup/", account_views.signup_redirect, name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(urlconf="config.urls_tenant", permission_classes=[AllowAny]),
        name="api_schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api_schema", permission_classes=[AllowAny]),
        name="api_docs",
    ),
]
