"""API routes of channels."""

from rest_framework.routers import SimpleRouter

from channels_app.api.views import ChannelViewSet

router = SimpleRouter()
router.register("channels", ChannelViewSet, basename="channel")

urlpatterns = router.urls
