"""Portal pages of conversations."""

from django.urls import path

from conversations import views

urlpatterns = [
    path("", views.conversations, name="conversations"),
    path("<int:pk>/", views.conversation_detail, name="conversation_detail"),
    path(
        "<int:pk>/messages/<int:message_id>/resend/",
        views.message_resend_view,
        name="message_resend",
    ),
]
