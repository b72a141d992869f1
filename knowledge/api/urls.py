"""API routes of knowledge bases."""

from rest_framework.routers import SimpleRouter

from knowledge.api.views import ImportJobViewSet, ItemViewSet, KnowledgeBaseViewSet

router = SimpleRouter()
router.register("knowledge-bases", KnowledgeBaseViewSet, basename="knowledge-base")
router.register("items", ItemViewSet, basename="item")
router.register("imports", ImportJobViewSet, basename="import")

urlpatterns = router.urls
