"""The widget script as served, what it is allowed to do with text, and the demo page."""

from __future__ import annotations

import io
import re
from pathlib import Path

from django.core.management import call_command
from django_tenants.utils import tenant_context

from channels_app.models import Channel
from connections.models import Connection
from tenants.companies.models import Company
from tenants.companies.services import company_create
from tenants.models import Business
from webchat.demo import DEMO_WIDGET_COMPANY, DEMO_WIDGET_KEY, demo_widget_load

from .conftest import Api

ROOT = Path(__file__).resolve().parents[2]
WIDGET_JS = ROOT / "static" / "widget" / "widget.js"


def test_the_widget_script_is_served_as_javascript_and_cached(public_client):
    response = public_client.get("/widget.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "max-age=" in response["Cache-Control"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.content == WIDGET_JS.read_bytes()
    again = public_client.get("/widget.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert public_client.get("/widget.js", HTTP_IF_NONE_MATCH='"old"').status_code == 200


def test_the_widget_never_parses_text_as_html():
    """The real check is the browser test; this one keeps the dangerous APIs out of the file."""
    source = WIDGET_JS.read_text()
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)
    code = re.sub(r"^\s*//.*$", "", code, flags=re.MULTILINE)
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "createContextualFragment",
        "DOMParser",
    ):
        assert sink not in code, sink
    assert "textContent = String(message.text)" in code
    assert 'attachShadow({ mode: "open" })' in code


def test_the_widget_reads_its_key_and_host_from_its_own_tag():
    code = WIDGET_JS.read_text()
    assert 'getAttribute("data-key")' in code
    assert '"/widget/api/"' in code
    assert 'action: "resume", after: state.lastId' in code


def test_the_demo_page_says_so_when_the_demo_is_not_loaded(public_client):
    response = public_client.get("/widget/demo/")
    assert response.status_code == 404
    assert "make demo" in response.content.decode()


def test_the_demo_page_embeds_the_demo_companys_widget(public_client, business_a):
    with tenant_context(business_a):
        company_create(
            name=DEMO_WIDGET_COMPANY,
            kind="product",
            shop_type="online",
            description="Garden & <home> goods",
        )
        channel = demo_widget_load()
        assert demo_widget_load().pk == channel.pk  # once

    response = public_client.get("/widget/demo/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<script src="http://localhost/widget.js" data-key="{DEMO_WIDGET_KEY}" async>' in page
    assert "Garden &amp; &lt;home&gt; goods" in page
    # and the widget on it works
    assert Api(public_client, DEMO_WIDGET_KEY, origin=None).post("session", {}).status_code == 201


def test_the_demo_loader_turns_the_demo_web_chat_on(db):
    call_command("load_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo", stdout=out)  # again: nothing more

    assert "Web chat demo: http://localhost:8000/widget/demo/" in out.getvalue()
    demo = Business.objects.get(slug="demo")
    connection = Connection.objects.get(external_id=DEMO_WIDGET_KEY)
    assert (connection.business_id, connection.status) == (demo.pk, "connected")
    with tenant_context(demo):
        channel = Channel.objects.get(connection_id=connection.pk)
        assert channel.company.name == DEMO_WIDGET_COMPANY
        assert Channel.objects.filter(platform="webchat").count() == 1
        assert Company.objects.count() == 2
