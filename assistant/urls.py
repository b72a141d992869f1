"""The assistant's portal pages (under /assistant/ on a business's host)."""

from django.urls import path

from assistant import views

urlpatterns = [
    path("", views.assistant_home, name="assistant"),
    path("<int:company_pk>/", views.settings_page, name="assistant_settings"),
    path("<int:company_pk>/preview/", views.preview, name="assistant_preview"),
    path("<int:company_pk>/overrides/new/", views.override_new, name="assistant_override_new"),
    path("overrides/<int:pk>/", views.override_edit, name="assistant_override_edit"),
    path("overrides/<int:pk>/delete/", views.override_delete, name="assistant_override_delete"),
    path("try/<int:company_pk>/", views.try_chat, name="assistant_try"),
]
