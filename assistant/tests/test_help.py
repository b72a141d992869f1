"""The platform's help bot: articles in the public schema, searched in English and Russian,
answered with the paragraph that fits, honest when nothing does; the panel, the article pages
and the admin where platform admins edit them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from conftest import host_client
from helpdesk.models import HelpArticle
from helpdesk.services import help_answer, help_articles_ensure, question_language

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def starting_articles(db):
    """The migration writes them; a live server's flush (browser tests) may have removed
    them from a reused test database, so they are made sure of."""
    help_articles_ensure()


def _article(title_en: str) -> HelpArticle:
    return HelpArticle.objects.get(title_en=title_en)


def test_the_platform_starts_with_articles_in_both_languages(db):
    titles = set(HelpArticle.objects.values_list("title_en", flat=True))
    assert {
        "Connect WhatsApp",
        "Import a price list into a knowledge base",
        "The web chat on your website",
        "The free trial and plans",
        "Take over a conversation from the assistant",
    } <= titles
    for article in HelpArticle.objects.all():
        assert len(article.paragraphs_in("en")) >= 3, article.title_en
        assert len(article.paragraphs_in("ru")) == len(article.paragraphs_in("en")), article
        assert article.title_ru and article.published


def test_load_help_adds_back_missing_articles_and_keeps_edited_ones(db):
    HelpArticle.objects.filter(slug="web-chat").delete()
    HelpArticle.objects.filter(slug="connect-whatsapp").update(title_en="WhatsApp, our way")
    count = HelpArticle.objects.count()

    out = io.StringIO()
    call_command("load_help", stdout=out)

    assert "The web chat on your website" in out.getvalue()
    assert HelpArticle.objects.count() == count + 1
    assert HelpArticle.objects.get(slug="connect-whatsapp").title_en == "WhatsApp, our way"
    assert help_articles_ensure() == []  # a second run changes nothing


@pytest.mark.parametrize(
    ("question", "language", "title", "quoted"),
    [
        ("How do I connect WhatsApp?", "en", "Connect WhatsApp", "Linked devices"),
        ("Как подключить ватсап?", "ru", "Connect WhatsApp", "Связанные устройства"),
        (
            "How can I import my price list from Excel?",
            "en",
            "Import a price list into a knowledge base",
            ".xlsx",
        ),
        (
            "Как загрузить прайс-лист?",
            "ru",
            "Import a price list into a knowledge base",
            "«Импортировать прайс-лист»",
        ),
        (
            "How do I put the chat widget on my website?",
            "en",
            "The web chat on your website",
            "</body>",
        ),
        ("Сколько длится пробный период?", "ru", "The free trial and plans", "7 дней"),
        (
            "How do I take over a conversation from the assistant?",
            "en",
            "Take over a conversation from the assistant",
            "Take over",
        ),
    ],
)
def test_a_question_gets_the_paragraph_of_the_right_article(question, language, title, quoted):
    text, articles = help_answer(question, language)
    assert articles, question
    assert articles[0].title_en == title
    assert quoted in text
    assert text in articles[0].paragraphs_in(language)  # a quote, in the asked language


def test_the_paragraph_that_answers_is_quoted_not_just_the_first(db):
    text, articles = help_answer("What do I do when the WhatsApp status shows Error?", "en")
    assert articles[0] == _article("Connect WhatsApp")
    assert "Reconnect (new QR code)" in text
    assert text != articles[0].paragraphs_in("en")[0]

    text, articles = help_answer("Как удалить товары, которых нет в файле?", "ru")
    assert articles[0] == _article("Import a price list into a knowledge base")
    assert "«Заменить»" in text

    text, articles = help_answer("Что делать, если QR-код не сканируется?", "ru")
    assert articles[0] == _article("Connect WhatsApp")
    assert "привяжите по номеру телефона" in text


def test_misspelt_words_still_find_the_article(db):
    text, articles = help_answer("conect whatsap", "en")
    assert articles and articles[0] == _article("Connect WhatsApp")
    assert text == articles[0].paragraphs_in("en")[0]
    # A word inside a longer one is no typo of it.
    assert help_answer("привет", "ru")[1] == []


def test_a_question_it_cannot_answer_gets_an_honest_answer(db, settings):
    settings.SUPPORT_EMAIL = "help@x8.example"
    for question in (
        "What is the best pizza recipe?",
        "Who won the football yesterday?",
        "How do I delete my account?",  # "account" alone is in an article: not enough
    ):
        text, articles = help_answer(question, "en")
        assert articles == [], question
        assert "I don't know" in text and "help@x8.example" in text

    text, articles = help_answer("рецепт борща со сметаной", "ru")
    assert articles == [] and "help@x8.example" in text


def test_an_empty_question_asks_for_one(db):
    text, articles = help_answer("   ", "en")
    assert articles == [] and "Ask a question" in text


def test_unpublished_articles_are_not_used(db):
    HelpArticle.objects.filter(title_en="Connect WhatsApp").update(published=False)
    _text, articles = help_answer("How do I connect WhatsApp?", "en")
    assert _article("Connect WhatsApp") not in articles


def test_a_new_article_is_found_in_each_language(db):
    article = HelpArticle.objects.create(
        slug="invite-colleague",
        title_en="Invite a colleague",
        title_ru="Пригласить коллегу",
        body_en="Colleagues join your business as staff.\n\nTo invite one, open Team.",
        body_ru="Коллеги входят в ваш бизнес как сотрудники.\n\nЧтобы пригласить коллегу, откройте «Команда».",
        keywords="team, команда, staff, сотрудник",
    )
    text, articles = help_answer("How do I invite a colleague to my team?", "en")
    assert articles[0] == article and "open Team" in text
    text, articles = help_answer("Как пригласить коллегу?", "ru")
    assert articles[0] == article and "«Команда»" in text


def test_the_answer_language_is_the_pages_unless_the_question_is_plainly_another():
    assert question_language("How do I connect WhatsApp?", "ru") == "en"
    assert question_language("Как подключить WhatsApp?", "en") == "ru"
    assert question_language("WhatsApp?", "ru") == "ru"
    assert question_language("QR", "en-us") == "en"
    assert question_language("123", None) == "en"


# -- the panel and pages --------------------------------------------------------------------


def test_the_help_panel_answers_with_a_link_to_the_article(portal_a):
    panel = portal_a.get("/help/panel/")
    assert panel.status_code == 200
    assert 'data-testid="help-panel"' in panel.content.decode()

    response = portal_a.post("/help/ask/", {"question": "How do I connect WhatsApp?"})
    assert response.status_code == 200
    html = response.content.decode()
    article = _article("Connect WhatsApp")
    assert f'href="/help/articles/{article.slug}/"' in html
    assert "Linked devices" in html

    page = portal_a.get(f"/help/articles/{article.slug}/")
    assert page.status_code == 200
    assert "Reconnect (new QR code)" in page.content.decode()


def test_the_help_panel_answers_in_the_users_language(portal_a):
    portal_a.cookies["django_language"] = "ru"
    response = portal_a.post("/help/ask/", {"question": "QR"})
    html = response.content.decode()
    assert 'lang="ru"' in html
    assert "Подключить WhatsApp" in html  # the article's Russian title


def test_the_help_panel_says_when_it_does_not_know(portal_a, settings):
    settings.SUPPORT_EMAIL = "help@x8.example"
    response = portal_a.post("/help/ask/", {"question": "What is the meaning of life?"})
    html = response.content.decode()
    assert "help@x8.example" in html and "/help/" not in html.split("help-reply")[1]
    empty = portal_a.post("/help/ask/", {"question": ""})
    assert empty.status_code == 422
    assert "Write your question first." in empty.content.decode()


def test_help_is_for_members_and_published_articles_only(portal_a, owner_b):
    article = _article("The free trial and plans")
    stranger = host_client("alpha.localhost", owner_b)
    for path in ("/help/", "/help/panel/", f"/help/articles/{article.slug}/"):
        assert stranger.get(path).status_code == 404
    assert stranger.post("/help/ask/", {"question": "trial"}).status_code == 404
    assert portal_a.get("/help/").status_code == 200
    HelpArticle.objects.filter(pk=article.pk).update(published=False)
    assert portal_a.get(f"/help/articles/{article.slug}/").status_code == 404
    assert portal_a.get("/help/articles/no-such-article/").status_code == 404


# -- the admin ------------------------------------------------------------------------------


def test_platform_admins_edit_help_articles_in_the_admin(db):
    from accounts.models import User

    admin = User.objects.create_superuser(email="help-admin@example.com", password="x")
    client = host_client("localhost", admin)
    article = _article("The web chat on your website")

    listing = client.get("/admin/helpdesk/helparticle/")
    assert listing.status_code == 200
    assert "The web chat on your website" in listing.content.decode()
    change = client.get(f"/admin/helpdesk/helparticle/{article.pk}/change/")
    assert change.status_code == 200

    response = client.post(
        f"/admin/helpdesk/helparticle/{article.pk}/change/",
        {
            "title_en": "The web chat widget",
            "title_ru": article.title_ru,
            "body_en": "Paste the snippet before </body>.\n\nVisitors keep their chat.",
            "body_ru": article.body_ru,
            "slug": article.slug,
            "keywords": "widget, виджет, zygomorphic",
            "position": "30",
            "published": "on",
        },
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title_en == "The web chat widget"
    # The search document follows the edit at once (a generated column).
    _text, articles = help_answer("zygomorphic", "en")
    assert articles == [article]


def test_business_owners_and_managers_cannot_edit_help(owner_a):
    from accounts.models import User

    manager = User.objects.create_user(
        email="manager@example.com", password="x", is_staff=True, platform_role="manager"
    )
    response = host_client("localhost", owner_a).get("/admin/helpdesk/helparticle/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # Managers get into the admin, but not to the help articles.
    for path in ("/admin/helpdesk/helparticle/", "/admin/helpdesk/helparticle/add/"):
        assert host_client("localhost", manager).get(path).status_code == 403
