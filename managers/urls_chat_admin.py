"""The manager's side of the chats with businesses, inside the admin on the public host."""

from django.contrib import admin
from django.urls import path

from . import views_chat

app_name = "x8_chat"
urlpatterns = [
    path("", admin.site.admin_view(views_chat.chat_index), name="index"),
    path(
        "<int:business_id>/",
        admin.site.admin_view(views_chat.chat_business),
        name="business",
    ),
]
