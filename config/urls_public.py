"""The public host: landing page, sign-up, log-in, the platform admin, webhooks, web chat."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from accounts import views as account_views
from billing.views import stripe_webhook
from channels_app.webhooks import waha_webhook
from config.urls_common import urlpatterns as common_urlpatterns

urlpatterns = [
    path("", TemplateView.as_view(template_name="public/home.html"), name="home"),
    path("signup/", account_views.signup_email, name="signup"),
    path("signup/code/", account_views.signup_code, name="signup_code"),
    path("signup/finish/", account_views.signup_finish, name="signup_finish"),
    path("signup/check-slug/", account_views.signup_slug_check, name="signup_slug_check"),
    path("switch/<slug:slug>/", account_views.business_switch, name="business_switch"),
    path("admin/x8/chat/", include("managers.urls_chat_admin")),
    path("admin/x8/", include("managers.urls_admin")),
    path("admin/", admin.site.urls),
    path("webhooks/waha/", waha_webhook, name="waha_webhook"),
    path("stripe/webhook/<uuid:uuid>/", stripe_webhook, name="stripe_webhook"),
    path("", include("webchat.urls_public")),
    *common_urlpatterns,
]
