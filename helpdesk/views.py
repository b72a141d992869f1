"""The help panel of the portal and the help articles' pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from .forms import QuestionForm
from .models import HelpArticle
from .selectors import article_list
from .services import help_answer, question_language


@require_GET
def help_panel(request):
    """The side panel (htmx fragment): a question box and the articles to start from."""
    # Its own ids: the panel can open over the help page, which has the same form.
    context = {"form": QuestionForm(auto_id="help-panel-%s"), "articles": article_list()}
    return render(request, "helpdesk/_panel.html", context)


@require_POST
def help_ask(request):
    form = QuestionForm(request.POST)
    if not form.is_valid():
        return render(request, "helpdesk/_answer.html", {"form": form}, status=422)
    question = form.cleaned_data["question"]
    language = question_language(question, request.LANGUAGE_CODE)
    text, articles = help_answer(question, language)
    context = {
        "form": form,
        "question": question,
        "text": text,
        "articles": [(article, article.title_in(language)) for article in articles],
        "answer_language": language,
    }
    return render(request, "helpdesk/_answer.html", context)


@require_GET
def help_index(request):
    return render(
        request, "helpdesk/index.html", {"articles": article_list(), "form": QuestionForm()}
    )


@require_GET
def help_article(request, slug: str):
    article = get_object_or_404(HelpArticle, slug=slug, published=True)
    return render(
        request, "helpdesk/article.html", {"article": article, "articles": article_list()}
    )
