"""API routes of the media_library app."""

from rest_framework.routers import SimpleRouter

from media_library.api.views import MediaViewSet

router = SimpleRouter()
router.register("media", MediaViewSet, basename="media")

urlpatterns = router.urls
