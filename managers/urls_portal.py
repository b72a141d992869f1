"""The business's side of the chat with its manager, on the business's host."""

from django.urls import path

from . import views_chat

app_name = "manager"
urlpatterns = [
    path("", views_chat.chat_home, name="home"),
    path("unread/", views_chat.chat_unread_badge, name="unread"),
]
