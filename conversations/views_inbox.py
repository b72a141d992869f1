"""The inbox page: a business's conversations, filtered, searched and paged newest first."""

from __future__ import annotations

import time

from django import forms
from django.http import QueryDict
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.models import Membership
from connections.models import Connection
from tenants.companies.models import Company

from .inbox import (
    ASSIGNEE_ME,
    ASSIGNEE_NONE,
    CursorError,
    InboxFilters,
    StatusTab,
    cursor_decode,
    inbox_counts,
    inbox_page,
)

#: Query parameters that are filters (the page's own ``after`` cursor is not one).
FILTER_FIELDS = ("q", "status", "platform", "company", "assignee", "source", "since", "until")
#: The filters shown as fields beside the search (the tabs set the status).
FORM_FILTERS = ("platform", "company", "assignee", "source", "since", "until")


class InboxFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, phone, e-mail or words of a message"),
                "id": "inbox-q",
            }
        ),
    )
    status = forms.ChoiceField(label=_("Status"), choices=StatusTab.choices, required=False)
    platform = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("All channels")), *Connection.Platform.choices],
        required=False,
    )
    company = forms.TypedChoiceField(
        label=_("Company"), coerce=int, empty_value=None, required=False
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    source = forms.CharField(
        label=_("Lead source"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("contains…")}),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    unread = forms.BooleanField(
        label=_("Unread only"),
        required=False,
        widget=forms.CheckboxInput(attrs={"data-testid": "unread-only"}),
    )
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, companies: list[tuple[int, str]], members: list[Membership], **kw):
        super().__init__(*args, **kw)
        self.fields["company"].choices = [("", _("All companies")), *companies]
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            (ASSIGNEE_ME, _("Me")),
            (ASSIGNEE_NONE, _("Unassigned")),
            *((str(member.user_id), member.user.get_full_name()) for member in members),
        ]

    def clean_after(self):
        token = self.cleaned_data["after"]
        if not token:
            return None
        try:
            return cursor_decode(token)
        except CursorError:
            raise forms.ValidationError(
                _("This link to older conversations is not valid. Start from the newest."),
                code="cursor",
            ) from None

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period is before its start."))
        return data

    def filters(self, *, user) -> InboxFilters:
        data = self.cleaned_data
        return InboxFilters(
            status=data["status"] or StatusTab.ACTIVE,
            q=data["q"],
            platform=data["platform"],
            company_id=data["company"],
            assignee=data["assignee"],
            user_id=user.pk,
            source=data["source"].strip(),
            since=data["since"],
            until=data["until"],
            unread=data["unread"],
        )


def _url(query: QueryDict, **changes) -> str:
    """The inbox with ``query`` (the filters as typed), changed; ``None`` drops a key."""
    query = query.copy()
    for key in [key for key in query if key not in (*FILTER_FIELDS, "unread")]:
        del query[key]
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@require_GET
def conversations(request):
    companies = list(Company.objects.order_by("name", "pk").values_list("pk", "name"))
    members = list(
        Membership.objects.filter(business=request.tenant)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    form = InboxFilterForm(request.GET, companies=companies, members=members)
    valid = form.is_valid()
    filters = form.filters(user=request.user) if valid else InboxFilters(user_id=request.user.pk)
    page = inbox_page(filters=filters, cursor=form.cleaned_data["after"]) if valid else None
    counts = inbox_counts(filters=filters) if valid else None
    tabs = [
        {
            "value": value,
            "label": label,
            "url": _url(request.GET, status=None if value == StatusTab.ACTIVE else value),
            "active": value == filters.status,
            "count": counts.tabs.get(value) if counts else None,
        }
        for value, label in StatusTab.choices
    ]
    context = {
        "form": form,
        "filter_fields": [form[name] for name in FORM_FILTERS],
        "filters": filters,
        "page": page,
        "conversations": page.conversations if page else [],
        "counts": counts,
        "tabs": tabs,
        "next_url": _url(request.GET, after=page.next_cursor) if page and page.next_cursor else "",
        "newest_url": _url(request.GET, after=None),
        # What the page does with a live row it does not show (see static/js/inbox.js).
        "live_mode": "prepend" if page and page.first and not filters.narrowed else "banner",
        "live_statuses": " ".join(filters.statuses),
        "loaded_at": f"{time.time():.6f}",
    }
    status = 200 if valid else 422
    if request.htmx and request.htmx.target == "inbox":
        return render(request, "conversations/list.html#inbox", context, status=status)
    return render(request, "conversations/list.html", context, status=status)
