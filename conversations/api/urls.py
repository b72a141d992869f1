"""API routes of conversations."""

from rest_framework.routers import SimpleRouter

from conversations.api.views import ConversationViewSet, MessageViewSet

router = SimpleRouter()
router.register("conversations", ConversationViewSet, basename="conversation")
router.register(
    r"conversations/(?P<conversation_id>[0-9]+)/messages",
    MessageViewSet,
    basename="conversation-message",
)

urlpatterns = router.urls
