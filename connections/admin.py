"""SystemData: every connection of the businesses a manager looks after, in the admin.

Secrets are never shown in lists, forms or logs: only their names, masked. A secret is
revealed once on its own page (a POST, logged), replaced through a form (encrypted on
save, logged), and a WhatsApp session can be started over (logged). Connections are made
and removed by businesses in their portal, so nothing here adds, edits or deletes one.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from managers import selectors, services

from .crypto import SecretsError
from .models import Connection, ConnectionEvent

MASK = "••••••••"
RECENT_EVENTS = 10


class ConnectionChangeList(ChangeList):
    """Reads the company of every connection on the page: one query per business schema."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        names = selectors.connection_company_names(connections=self.result_list)
        for connection in self.result_list:
            connection.company_name = names.get(connection.pk, "")


class SecretReplaceForm(forms.Form):
    key = forms.ChoiceField(label=gettext_lazy("Secret"))
    value = forms.CharField(
        label=gettext_lazy("New value"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        max_length=4000,
        help_text=gettext_lazy("Stored encrypted. It is not shown again after saving."),
    )

    def __init__(self, *args, keys: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [(key, key) for key in keys]


def _failures() -> Subquery:
    failed = (
        ConnectionEvent.objects.filter(connection=OuterRef("pk"), ok=False)
        .order_by()
        .values("connection")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(failed, output_field=IntegerField()), Value(0))


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    manager_urls = (
        "connections_connection_secrets",
        "connections_connection_secret_reveal",
        "connections_connection_secret_replace",
        "connections_connection_reconnect",
    )
    list_display = [
        "__str__",
        "platform",
        "business",
        "company",
        "status",
        "provider_status",
        "last_error_short",
        "error_count",
        "failures",
        "created_at",
        "updated_at",
        "tools_link",
    ]
    list_filter = ["platform", "status", "business"]
    list_select_related = ["business"]
    search_fields = [
        "external_id",
        "account_id",
        "account_name",
        "business__name",
        "business__slug",
    ]
    fields = [
        "business",
        "company",
        "platform",
        "external_id",
        "account_id",
        "account_name",
        "status",
        "provider_status",
        "last_error",
        "error_count",
        "failures",
        "connected_at",
        "status_changed_at",
        "checked_at",
        "created_at",
        "updated_at",
        "secret_names",
        "recent_errors",
    ]
    readonly_fields = fields

    # -- what is shown

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(failures_total=_failures())

    def get_changelist(self, request, **kwargs):
        return ConnectionChangeList

    def changelist_view(self, request, extra_context=None):
        title = _("SystemData: every connection and its health")
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    @admin.display(description=gettext_lazy("company"))
    def company(self, obj: Connection) -> str:
        name = getattr(obj, "company_name", None)
        if name is None:
            name = selectors.connection_company_names(connections=[obj]).get(obj.pk, "")
        return name or "—"

    @admin.display(description=gettext_lazy("last error"))
    def last_error_short(self, obj: Connection) -> str:
        return Truncator(obj.last_error).chars(80) if obj.last_error else "—"

    @admin.display(description=gettext_lazy("failures"), ordering="failures_total")
    def failures(self, obj: Connection) -> int:
        return getattr(obj, "failures_total", 0)

    @admin.display(description=gettext_lazy("secrets"))
    def secret_names(self, obj: Connection) -> str:
        try:
            names = sorted(obj.secrets)
        except SecretsError:
            return _("The secrets cannot be read with the configured keys.")
        if not names:
            return "—"
        listed = format_html_join(", ", "{}: {}", ((name, MASK) for name in names))
        return format_html(
            '{} · <a href="{}">{}</a>', listed, self._tools_url(obj), _("Reveal or replace")
        )

    @admin.display(description=gettext_lazy("recent failures"))
    def recent_errors(self, obj: Connection) -> str:
        events = obj.events.filter(ok=False)[:RECENT_EVENTS]
        if not events:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · {}</li>",
                ((event.created_at, event.get_kind_display(), event.detail) for event in events),
            ),
        )

    @admin.display(description=gettext_lazy("tools"))
    def tools_link(self, obj: Connection) -> str:
        return format_html('<a href="{}">{}</a>', self._tools_url(obj), _("Secrets and reconnect"))

    def _tools_url(self, obj: Connection) -> str:
        return reverse("admin:connections_connection_secrets", args=[obj.pk])

    # -- connections come and go in the businesses' portal

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # -- secrets and reconnect

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/secrets/",
                wrap(self.secrets_view),
                name="connections_connection_secrets",
            ),
            path(
                "<path:object_id>/secrets/reveal/",
                wrap(self.secret_reveal_view),
                name="connections_connection_secret_reveal",
            ),
            path(
                "<path:object_id>/secrets/replace/",
                # The new value never reaches error reports.
                wrap(sensitive_post_parameters("value")(self.secret_replace_view)),
                name="connections_connection_secret_replace",
            ),
            path(
                "<path:object_id>/reconnect/",
                wrap(self.reconnect_view),
                name="connections_connection_reconnect",
            ),
            *super().get_urls(),
        ]

    def _connection(self, request, object_id: str) -> Connection:
        """The connection, if the user may see it (else 404), before anything else is said."""
        connection = self.get_object(request, unquote(object_id))
        if connection is None:
            raise Http404
        if not self.has_view_permission(request, connection):
            raise PermissionDenied
        return connection

    def _context(self, request, connection: Connection, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "connection": connection,
            "change_url": reverse("admin:connections_connection_change", args=[connection.pk]),
            "tools_url": self._tools_url(connection),
            **extra,
        }

    def secrets_view(self, request, object_id):
        connection = self._connection(request, object_id)
        try:
            names, unreadable = sorted(connection.secrets), False
        except SecretsError:
            names, unreadable = [], True
        context = self._context(
            request,
            connection,
            _("Secrets of %(connection)s") % {"connection": connection},
            secret_names=names,
            mask=MASK,
            unreadable=unreadable,
            company=self.company(connection),
            reconnectable=connection.platform == Connection.Platform.WHATSAPP,
            events=connection.events.all()[:RECENT_EVENTS],
        )
        return TemplateResponse(request, "admin/managers/systemdata/secrets.html", context)

    def secret_reveal_view(self, request, object_id):
        connection = self._connection(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        key = request.POST.get("key", "")
        try:
            value = services.connection_secret_reveal(
                connection=connection, key=key, by=request.user
            )
        except services.ManagersError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(self._tools_url(connection))
        context = self._context(
            request,
            connection,
            _("Secret “%(key)s” of %(connection)s") % {"key": key, "connection": connection},
            key=key,
            value=value,
        )
        return TemplateResponse(request, "admin/managers/systemdata/secret_revealed.html", context)

    def secret_replace_view(self, request, object_id):
        connection = self._connection(request, object_id)
        try:
            keys = sorted(connection.secrets)
        except SecretsError:
            keys = []
        status = 200
        if request.method == "POST":
            form = SecretReplaceForm(request.POST, keys=keys)
            if form.is_valid():
                key = form.cleaned_data["key"]
                try:
                    services.connection_secret_replace(
                        connection=connection,
                        key=key,
                        value=form.cleaned_data["value"],
                        by=request.user,
                    )
                except services.ManagersError as error:
                    form.add_error(None, error.message)
                else:
                    self.log_change(
                        request, connection, _("Replaced the secret “%(key)s”.") % {"key": key}
                    )
                    self.message_user(
                        request,
                        _("The secret “%(key)s” was replaced.") % {"key": key},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._tools_url(connection))
            status = 422
        else:
            form = SecretReplaceForm(initial={"key": request.GET.get("key", "")}, keys=keys)
        context = self._context(
            request,
            connection,
            _("Replace a secret of %(connection)s") % {"connection": connection},
            form=form,
        )
        return TemplateResponse(
            request, "admin/managers/systemdata/secret_replace.html", context, status=status
        )

    def reconnect_view(self, request, object_id):
        connection = self._connection(request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            services.connection_reconnect(connection=connection, by=request.user)
        except services.ManagersError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.log_change(request, connection, _("Asked WhatsApp to start the session over."))
            self.message_user(
                request,
                _(
                    "WhatsApp is starting the session over: the business scans the new QR code "
                    "on its channels page."
                ),
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._tools_url(connection))
