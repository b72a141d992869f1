from django.urls import path

from billing.api.views import EntitlementsView

urlpatterns = [path("billing/entitlements/", EntitlementsView.as_view(), name="api-entitlements")]
