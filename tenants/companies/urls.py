from django.urls import path

from tenants.companies import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("companies/new/", views.company_new, name="company_new"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:pk>/delete/", views.company_remove, name="company_delete"),
]
