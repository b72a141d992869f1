"""A business's host: its portal pages and its API."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts import views as account_views
from config.urls_common import urlpatterns as common_urlpatterns
from tenants.companies.api.views import CompanyViewSet

router = DefaultRouter()
router.register("companies", CompanyViewSet, basename="company")

urlpatterns = [
    path("", include("tenants.companies.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("billing/", include("billing.urls")),
    path("manager/", include("managers.urls_portal")),
    path("media/", include("media_library.urls")),
    path("", include("channels_app.urls")),
    path("", include("webchat.urls")),
    path("conversations/", include("conversations.urls")),
    path("assistant/", include("assistant.urls")),
    path("help/", include("helpdesk.urls")),
    path("accounts/handoff/<str:token>/", account_views.login_handoff, name="login_handoff"),
    path("switch/<slug:slug>/", account_views.business_switch, name="business_switch"),
    path("api/v1/", include(router.urls)),
    path("api/v1/", include("knowledge.api.urls")),
    path("api/v1/", include("media_library.api.urls")),
    path("api/v1/", include("conversations.api.urls")),
    path("api/v1/", include("channels_app.api.urls")),
    path("api/v1/", include("billing.api.urls")),
    *common_urlpatterns,
]
