"""Portal pages of billing."""

from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("", views.billing_home, name="home"),
    path("status/", views.billing_status, name="status"),
    path("checkout/<slug:code>/", views.checkout_view, name="checkout"),
    path("change/<slug:code>/", views.plan_change_view, name="change"),
    path("cancel/", views.cancel_view, name="cancel"),
    path("portal/", views.portal_view, name="portal"),
]
