"""The managers' own pages inside the admin (mounted under ``admin/x8/``)."""

from django.contrib import admin
from django.urls import path

from . import views_inside

app_name = "x8"
urlpatterns = [
    path(
        "businesses/<int:business_id>/inside/",
        admin.site.admin_view(views_inside.business_inside),
        name="business_inside",
    ),
]
