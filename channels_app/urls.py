"""Portal pages of channels."""

from django.urls import path

from channels_app import views

urlpatterns = [
    path("companies/<int:pk>/channels/", views.company_channels, name="company_channels"),
    path(
        "companies/<int:pk>/channels/whatsapp/",
        views.whatsapp_connect_view,
        name="whatsapp_connect",
    ),
    path("companies/<int:pk>/channels/webchat/", views.webchat_enable_view, name="webchat_enable"),
    path("channels/<int:pk>/", views.channel_detail, name="channel_detail"),
    path(
        "channels/<int:pk>/pairing-code/", views.channel_pairing_code, name="channel_pairing_code"
    ),
    path("channels/<int:pk>/reconnect/", views.channel_reconnect, name="channel_reconnect"),
    path("channels/<int:pk>/disconnect/", views.channel_disconnect, name="channel_disconnect"),
]
