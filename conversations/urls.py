"""Portal pages of conversations."""

from django.urls import path

from conversations import views, views_inbox

urlpatterns = [
    path("", views_inbox.conversations, name="conversations"),
    path("quick-replies/", views.quick_replies, name="quick_replies"),
    path("quick-replies/<int:pk>/", views.quick_replies, name="quick_reply_edit"),
    path("quick-replies/<int:pk>/delete/", views.quick_reply_delete, name="quick_reply_delete"),
    path("<int:pk>/", views.conversation_detail, name="conversation_detail"),
    path("<int:pk>/contact/", views.contact_edit, name="conversation_contact"),
    path(
        "<int:pk>/<slug:action>/",
        views.conversation_action,
        name="conversation_action",
    ),
    path(
        "<int:pk>/messages/<int:message_id>/resend/",
        views.message_resend_view,
        name="message_resend",
    ),
]
