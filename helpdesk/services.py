"""The platform's help bot: answers "how do I …" questions from the help articles."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .articles import ARTICLES
from .models import SEARCH_CONFIGS, HelpArticle, answer_language
from .selectors import article_search, articles_by_id, paragraph_best

#: Other articles shown as "see also" must score at least this share of the best one.
SEE_ALSO_SHARE = 0.5
SEE_ALSO_MAX = 2
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def question_language(question: str, ui_language: str | None) -> str:
    """The language to answer in: the page's, unless the question is plainly written in the
    other one (mostly Cyrillic letters: Russian; Latin letters only: English)."""
    language = answer_language(ui_language)
    cyrillic, latin = len(_CYRILLIC.findall(question)), len(_LATIN.findall(question))
    if cyrillic > latin:
        return "ru"
    if latin and not cyrillic and len(question.split()) >= 3:
        return "en"
    return language


def help_answer(question: str, language: str) -> tuple[str, list[HelpArticle]]:
    """The answer to a question about using X8 Network, in ``language`` ("en" | "ru").

    Returns the text (the paragraph of the best article that answers it) and the articles it
    comes from, best first (the first is quoted; the others are "see also"). When no article
    answers, says so honestly and points to support, with no articles.
    """
    language = answer_language(language)
    question = " ".join(question.split())
    with translation.override(language):
        if not question:
            return _("Ask a question about X8 Network, like “how do I connect WhatsApp?”"), []
        hits = article_search(question=question, language=language)
        if not hits:
            # A question written in the other language still finds its article.
            for other in SEARCH_CONFIGS:
                if other != language:
                    hits = article_search(question=question, language=other)
                    if hits:
                        break
        if not hits:
            return (
                _(
                    "I don't know the answer to that, and I would rather not guess. "
                    "Write to support at %(email)s and a person will help."
                )
                % {"email": settings.SUPPORT_EMAIL},
                [],
            )
        best = hits[0]
        see_also = [
            hit
            for hit in hits[1:]
            if hit.matched == best.matched and hit.score >= best.score * SEE_ALSO_SHARE
        ]
        chosen = [best, *see_also[:SEE_ALSO_MAX]]
        articles = articles_by_id([hit.article_id for hit in chosen])
        paragraphs = articles[0].paragraphs_in(language)
        if not paragraphs:
            return articles[0].title_in(language), articles
        index = paragraph_best(paragraphs=paragraphs, question=question, language=language)
        text = paragraphs[index]
        if text.endswith(":") and index + 1 < len(paragraphs):
            text = f"{text}\n\n{paragraphs[index + 1]}"  # a lead-in: quote what it introduces
        return text, articles


def help_articles_ensure() -> list[HelpArticle]:
    """Create the platform's starting articles that are missing (by their short name); an
    article that exists is left as the admins edited it. Returns the articles created."""
    created = []
    for article in ARTICLES:
        obj, was_created = HelpArticle.objects.get_or_create(slug=article["slug"], defaults=article)
        if was_created:
            created.append(obj)
    return created
