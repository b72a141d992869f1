from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import HelpArticle


@admin.register(HelpArticle)
class HelpArticleAdmin(admin.ModelAdmin):
    list_display = ["title_en", "title_ru", "position", "published", "updated_at"]
    list_editable = ["position", "published"]
    list_filter = ["published"]
    search_fields = ["title_en", "title_ru", "keywords", "body_en", "body_ru"]
    readonly_fields = ["updated_at"]
    prepopulated_fields = {"slug": ["title_en"]}
    fieldsets = [
        (_("English"), {"fields": ["title_en", "body_en"]}),
        (_("Russian"), {"fields": ["title_ru", "body_ru"]}),
        (None, {"fields": ["slug", "keywords", "position", "published", "updated_at"]}),
    ]
