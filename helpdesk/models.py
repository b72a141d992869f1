"""The platform's own help articles (public schema), edited by platform admins and answered
from by the help panel of the portal."""

from __future__ import annotations

import re

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

#: PostgreSQL text search configuration of each language an article is written in.
SEARCH_CONFIGS = {"en": "english", "ru": "russian"}
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _document(language: str) -> SearchVector:
    config = SEARCH_CONFIGS[language]
    return (
        SearchVector(f"title_{language}", config=config, weight="A")
        + SearchVector("keywords", config=config, weight="B")
        + SearchVector(f"body_{language}", config=config, weight="C")
    )


def answer_language(language: str | None) -> str:
    """``"ru"``, ``"ru-RU"`` → ``"ru"``; any other or none → ``"en"``."""
    code = (language or "").split("-")[0].lower()
    return code if code in SEARCH_CONFIGS else "en"


class HelpArticle(models.Model):
    """How to do something on X8 Network, in English and Russian."""

    #: Names the article for good: its address (/help/articles/<slug>/), and how ``load_help``
    #: recognises the starting articles.
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ru = models.CharField(_("title (Russian)"), max_length=200)
    body_en = models.TextField(
        _("text (English)"),
        help_text=_("Paragraphs separated by an empty line; the help bot quotes one paragraph."),
    )
    body_ru = models.TextField(
        _("text (Russian)"),
        help_text=_("Paragraphs separated by an empty line; the help bot quotes one paragraph."),
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=500,
        blank=True,
        help_text=_(
            "Other words people use for this, in both languages, comma-separated "
            "(like: ватсап, вотсап, QR)."
        ),
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=100, help_text=_("Lower comes first in the help lists.")
    )
    published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    search_en = models.GeneratedField(
        expression=_document("en"), output_field=SearchVectorField(), db_persist=True
    )
    search_ru = models.GeneratedField(
        expression=_document("ru"), output_field=SearchVectorField(), db_persist=True
    )

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        ordering = ["position", "id"]
        indexes = [
            GinIndex(fields=["search_en"], name="helpdesk_article_search_en"),
            GinIndex(fields=["search_ru"], name="helpdesk_article_search_ru"),
        ]

    def __str__(self) -> str:
        return self.title_en

    def get_absolute_url(self) -> str:
        return reverse("help_article", args=[self.slug])

    def title_in(self, language: str) -> str:
        return self.title_ru if answer_language(language) == "ru" else self.title_en

    def body_in(self, language: str) -> str:
        return self.body_ru if answer_language(language) == "ru" else self.body_en

    def paragraphs_in(self, language: str) -> list[str]:
        body = self.body_in(language).replace("\r\n", "\n")
        return [part.strip() for part in _PARAGRAPH_BREAK.split(body) if part.strip()]

    @property
    def title(self) -> str:
        """The title in the active language (the page's)."""
        return self.title_in(get_language())

    @property
    def paragraphs(self) -> list[str]:
        return self.paragraphs_in(get_language())
