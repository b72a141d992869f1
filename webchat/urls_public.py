"""The web chat on the public host: the widget script, the visitor API, the demo page."""

from django.urls import path

from . import views

urlpatterns = [
    path("widget.js", views.widget_script, name="webchat_script"),
    path("widget/api/<str:key>/session", views.session_view, name="webchat_session"),
    path("widget/api/<str:key>/messages", views.messages_view, name="webchat_messages"),
    path("widget/demo/", views.demo_page, name="webchat_demo"),
]
