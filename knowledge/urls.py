"""Portal pages of knowledge bases (mounted at /knowledge/)."""

from django.urls import path

from knowledge import views

urlpatterns = [
    path("", views.knowledge_list, name="knowledge_list"),
    path("new/", views.knowledge_new, name="knowledge_new"),
    path("<int:pk>/", views.knowledge_detail, name="knowledge_detail"),
    path("<int:pk>/edit/", views.knowledge_edit, name="knowledge_edit"),
    path("<int:pk>/delete/", views.knowledge_delete, name="knowledge_delete"),
    path("<int:pk>/export.<str:fmt>", views.knowledge_export, name="knowledge_export"),
    path("<int:pk>/import/", views.knowledge_import, name="knowledge_import"),
    path("<int:pk>/items/new/", views.item_new, name="knowledge_item_new"),
    path("<int:pk>/items/delete/", views.items_bulk_delete, name="knowledge_items_bulk_delete"),
    path("<int:pk>/items/<int:item_id>/", views.item_detail, name="knowledge_item"),
    path("<int:pk>/items/<int:item_id>/row/", views.item_row, name="knowledge_item_row"),
    path("<int:pk>/items/<int:item_id>/edit/", views.item_edit, name="knowledge_item_edit"),
    path("<int:pk>/items/<int:item_id>/delete/", views.item_delete, name="knowledge_item_delete"),
    path("imports/<int:job_id>/", views.import_job, name="knowledge_import_job"),
    path("imports/<int:job_id>/progress/", views.import_progress, name="knowledge_import_progress"),
    path("imports/<int:job_id>/cancel/", views.import_cancel_view, name="knowledge_import_cancel"),
    path(
        "imports/<int:job_id>/skipped.csv",
        views.import_rejected_csv,
        name="knowledge_import_rejected",
    ),
]
