"""The help panel and articles (under /help/ on a business's host)."""

from django.urls import path

from helpdesk import views

urlpatterns = [
    path("", views.help_index, name="help"),
    path("panel/", views.help_panel, name="help_panel"),
    path("ask/", views.help_ask, name="help_ask"),
    path("articles/<slug:slug>/", views.help_article, name="help_article"),
]
