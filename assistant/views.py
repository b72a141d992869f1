"""The assistant's portal pages: behaviour settings with a preview, overrides, the test chat.

Only members reach them (``tenants.middleware.BusinessMemberMiddleware``)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tenants.companies.models import Company

from .forms import (
    CompanyBehaviourForm,
    OverrideForm,
    PreviewForm,
    TryForm,
    timezone_names,
)
from .models import SCENARIO_LABELS, BehaviourSetting
from .trychat import try_answer
from .types import Intent

INTENT_LABELS = {
    Intent.GREETING: gettext_lazy("Greeting"),
    Intent.CATALOG: gettext_lazy("What do you sell"),
    Intent.ITEM: gettext_lazy("About an item"),
    Intent.PRICE: gettext_lazy("Price"),
    Intent.AVAILABILITY: gettext_lazy("Availability"),
    Intent.OPTIONS: gettext_lazy("Options"),
    Intent.PAYMENT: gettext_lazy("How to pay"),
    Intent.BOOKING: gettext_lazy("Delivery or booking"),
    Intent.PERSON: gettext_lazy("Asks for a person"),
    Intent.THANKS: gettext_lazy("Thanks or bye"),
    Intent.UNKNOWN: gettext_lazy("Not understood"),
}
ENGINE_LABELS = {"rules": gettext_lazy("Rules (no AI service)"), "ai": gettext_lazy("AI service")}


def _company_row(company: Company) -> BehaviourSetting | None:
    return BehaviourSetting.objects.filter(company=company, channel=None, scenario="").first()


def _overrides(company: Company):
    return (
        BehaviourSetting.objects.filter(company=company)
        .exclude(channel=None, scenario="")
        .select_related("channel__connection")
        .order_by("channel_id", "scenario")
    )


def _all_overrides():
    return BehaviourSetting.objects.exclude(channel=None, scenario="").select_related(
        "company", "channel__connection"
    )


def _answer_context(result) -> dict:
    reply = result.reply
    return {
        "result": result,
        "reply": reply,
        "intent_label": INTENT_LABELS.get(reply.intent, reply.intent),
        "engine_label": ENGINE_LABELS.get(reply.engine, reply.engine),
        "scenario_label": SCENARIO_LABELS.get(result.scenario, "") if result.scenario else "",
        "tone_label": _choice_label(BehaviourSetting.Tone, result.behaviour.tone),
    }


def _choice_label(choices, value: str) -> str:
    return str(dict(choices.choices).get(value, value))


def assistant_home(request):
    companies = Company.objects.annotate(
        override_count=Count(
            "behaviour_settings",
            filter=~Q(behaviour_settings__channel=None, behaviour_settings__scenario=""),
        )
    )
    return render(request, "assistant/home.html", {"companies": companies})


@require_http_methods(["GET", "POST"])
def settings_page(request, company_pk: int):
    company = get_object_or_404(Company, pk=company_pk)
    form = CompanyBehaviourForm(
        request.POST or None, company=company, instance=_company_row(company)
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, _("The assistant's settings for %(name)s were saved.") % {"name": company.name}
        )
        return redirect("assistant_settings", company_pk=company.pk)
    context = {
        "company": company,
        "form": form,
        "overrides": _overrides(company),
        "preview_form": PreviewForm(),
        "preview_kind": "company",
        "timezone_names": timezone_names(),
    }
    return render(request, "assistant/settings.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def override_new(request, company_pk: int):
    company = get_object_or_404(Company, pk=company_pk)
    initial = {}
    if request.method == "GET":
        initial = {
            "channel": request.GET.get("channel") or None,
            "scenario": request.GET.get("scenario", ""),
        }
    form = OverrideForm(request.POST or None, company=company, initial=initial)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The override was added."))
        return redirect("assistant_settings", company_pk=company.pk)
    return _override_page(request, company, form)


@require_http_methods(["GET", "POST"])
def override_edit(request, pk: int):
    override = get_object_or_404(_all_overrides(), pk=pk)
    company = override.company
    form = OverrideForm(request.POST or None, company=company, instance=override)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The override was saved."))
        return redirect("assistant_settings", company_pk=company.pk)
    return _override_page(request, company, form, override)


@require_http_methods(["GET", "POST"])
def override_delete(request, pk: int):
    override = get_object_or_404(_all_overrides(), pk=pk)
    company = override.company
    if request.method == "POST":
        override.delete()
        messages.success(request, _("The override was deleted."))
        return redirect("assistant_settings", company_pk=company.pk)
    return render(
        request,
        "assistant/override_confirm_delete.html",
        {"company": company, "override": override},
    )


def _override_page(request, company, form, override=None):
    context = {
        "company": company,
        "form": form,
        "override": override,
        "preview_form": PreviewForm(),
        "preview_kind": "override",
        "timezone_names": timezone_names(),
    }
    status = 422 if form.errors else 200
    return render(request, "assistant/override_form.html", context, status=status)


@require_POST
def preview(request, company_pk: int):
    """The answer to a sample message with the settings as they are in the form (unsaved)."""
    company = get_object_or_404(Company, pk=company_pk)
    preview_form = PreviewForm(request.POST)
    if request.POST.get("preview_kind") == "override":
        override, override_pk = None, request.POST.get("override", "")
        if override_pk:
            if not override_pk.isdigit():
                raise Http404("No such override")
            override = get_object_or_404(_all_overrides(), pk=override_pk, company=company)
        form = OverrideForm(request.POST, company=company, instance=override)
    else:
        form = CompanyBehaviourForm(request.POST, company=company, instance=_company_row(company))
    context = {"preview_form": preview_form, "form": form}
    if not (preview_form.is_valid() and form.is_valid()):
        return render(request, "assistant/_preview.html", context, status=422)
    draft = form.instance
    result = try_answer(
        company=company,
        text=preview_form.cleaned_data["preview_text"],
        channel=draft.channel,
        draft=draft,
    )
    context.update(_answer_context(result))
    return render(request, "assistant/_preview.html", context)


@require_http_methods(["GET", "POST"])
def try_chat(request, company_pk: int):
    """The test chat: the business writes as a customer and sees how the assistant answers.

    The conversation so far lives in the page (hidden fields), never in the database."""
    company = get_object_or_404(Company, pk=company_pk)
    if request.method == "GET":
        context = {"company": company, "form": TryForm(company=company), "history": []}
        return render(request, "assistant/try.html", context)
    form = TryForm(request.POST, company=company)
    if not form.is_valid():
        history = form.cleaned_data.get("history", [])
        context = {
            "company": company,
            "form": form,
            "history": history,
            "history_json": json.dumps(history, ensure_ascii=False),
            "misunderstood": form.cleaned_data.get("misunderstood", 0),
        }
        if request.htmx:
            response = render(request, "assistant/try.html#try-errors", context, status=422)
            response["HX-Retarget"] = "#try-errors"
            response["HX-Reswap"] = "outerHTML"
            return response
        return render(request, "assistant/try.html", context, status=422)
    data = form.cleaned_data
    result = try_answer(
        company=company,
        text=data["text"],
        channel=data["channel"],
        history=data["history"],
        misunderstood=data["misunderstood"],
    )
    reply = result.reply
    understood = reply.intent != Intent.UNKNOWN and reply.confidence >= 0.5
    history = [*data["history"], ("in", data["text"]), ("out", reply.text)]
    context = {
        "company": company,
        "form": TryForm(company=company, initial={"channel": data["channel"]}),
        "earlier": data["history"],
        "question": data["text"],
        "history": history,
        "history_json": json.dumps(history, ensure_ascii=False),
        "misunderstood": 0 if understood else data["misunderstood"] + 1,
        **_answer_context(result),
    }
    if request.htmx:
        return render(request, "assistant/try.html#exchange-live", context)
    return render(request, "assistant/try.html", context)
