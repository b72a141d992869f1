"""The web chat's page in a business's portal."""

from django.urls import path

from . import views

urlpatterns = [
    path("channels/<int:pk>/webchat/", views.widget_settings_view, name="webchat_settings"),
]
