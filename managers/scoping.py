"""What a platform manager may see in the admin: only the businesses assigned to them.

The admin site puts :class:`BusinessScopedAdmin` in front of every ModelAdmin registered
with it (ours and third-party ones alike), and :func:`scoped_inline` in front of their
inlines. For anyone who is not a platform admin it then

- filters every queryset (lists, search, change/delete/history, autocomplete, popups,
  actions) to objects whose business is assigned to the user, through the model's
  *business path*;
- answers 404 for any object outside that set, before any permission check, so a guessed
  id looks the same as a missing one;
- limits the choices of relation fields, and the options of list filters, the same way;
- allows only what the ModelAdmin grants managers (read-only unless it says otherwise),
  only the actions and extra URLs it names.

A model's business path is the lookup from it to ``tenants.Business``: ``"pk"`` for the
business itself, ``"business"``, ``"customer__subscriber"``... It is declared on the
ModelAdmin (``manager_business_path``), taken from :data:`KNOWN_PATHS` for third-party
models, or inferred from a single relation to Business. A model without one is not shown
to managers at all (403 for its lists, 404 for its objects).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.filters import (
    AllValuesFieldListFilter,
    FieldListFilter,
    RelatedFieldListFilter,
    RelatedOnlyFieldListFilter,
)
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import models
from django.http import Http404
from django.urls import URLPattern

if TYPE_CHECKING:
    from django.http import HttpRequest

#: ``manager_business_path`` when the model's path is to be found (see the module's doc).
INFER = "<infer>"
#: The path of the business itself.
SELF = "pk"

#: Business paths of models whose ModelAdmin we do not write.
KNOWN_PATHS: dict[str, str | None] = {
    "djstripe.customer": "subscriber",
    "djstripe.subscription": "customer__subscriber",
    "djstripe.invoice": "customer__subscriber",
}


def is_scoped(request: HttpRequest) -> bool:
    """Everyone in the admin but platform admins sees only assigned businesses."""
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated and user.is_platform_admin)


def business_path_infer(model: type[models.Model]) -> str | None:
    from tenants.models import Business

    if issubclass(model, Business):
        return SELF
    links = [
        field.name
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is Business
    ]
    return links[0] if len(links) == 1 else None


def business_path_for(model: type[models.Model], declared: str | None = INFER) -> str | None:
    if declared != INFER:
        return declared
    label = model._meta.label_lower
    if label in KNOWN_PATHS:
        return KNOWN_PATHS[label]
    return business_path_infer(model)


def model_business_path(model: type[models.Model], site: admin.AdminSite) -> str | None:
    """The path of a model as its ModelAdmin on ``site`` declares it (or as inferred)."""
    model_admin = site._registry.get(model)
    declared = getattr(model_admin, "manager_business_path", INFER)
    return business_path_for(model, declared)


def _multi_valued(model: type[models.Model], path: str) -> bool:
    if path == SELF:
        return False
    return any(
        field.many_to_many or field.one_to_many for field in get_fields_from_path(model, path)
    )


def assigned_business_ids(request: HttpRequest) -> models.QuerySet:
    """The ids of the businesses assigned to the user (a subquery, read when filtered)."""
    from managers.selectors import assigned_business_ids_query

    return assigned_business_ids_query(user=request.user)


def scope(queryset: models.QuerySet, path: str | None, request: HttpRequest) -> models.QuerySet:
    """``queryset`` cut down to the objects of the user's assigned businesses."""
    if path is None:
        return queryset.none()
    assigned = assigned_business_ids(request)
    lookup = {f"{path}__in": assigned}
    if _multi_valued(queryset.model, path):
        # Through a to-many relation (a user's memberships): no duplicate rows.
        inner = queryset.model._base_manager.filter(**lookup).values("pk")
        return queryset.filter(pk__in=inner)
    return queryset.filter(**lookup)


class ScopedAllValuesFieldListFilter(AllValuesFieldListFilter):
    """The values offered are those of the objects the user may see, also across relations."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = (
            model_admin.get_queryset(request)
            .distinct()
            .order_by(field_path)
            .values_list(field_path, flat=True)
        )


def _filter_class_for(field) -> type | None:
    for test, filter_class in FieldListFilter._field_list_filters:
        if test(field):
            return filter_class
    return None


def _scoped_list_filter(model: type[models.Model], spec: Any) -> Any:
    """The list filter ``spec`` with its options drawn only from visible objects."""
    if isinstance(spec, str):
        name, filter_class = spec, None
    elif isinstance(spec, (tuple, list)) and len(spec) == 2 and isinstance(spec[0], str):
        name, filter_class = spec
    else:
        return spec  # a SimpleListFilter: it filters the (scoped) queryset it is given
    try:
        field = get_fields_from_path(model, name)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return spec
    filter_class = filter_class or _filter_class_for(field)
    if filter_class is RelatedFieldListFilter:
        return (name, RelatedOnlyFieldListFilter)
    if filter_class is AllValuesFieldListFilter:
        return (name, ScopedAllValuesFieldListFilter)
    return spec


@functools.cache
def _searchable(model: type[models.Model], name: str) -> bool:
    """Whether the search field ``name`` (``^name``, ``=name``, ``name__exact``...) names
    something the model has."""
    lookup = name.lstrip("^=@")
    for attempt in (f"{lookup}__icontains", lookup):
        try:
            model._base_manager.none().filter(**{attempt: "x"})
        except (FieldError, FieldDoesNotExist):
            continue
        except (ValueError, TypeError, ValidationError):
            return True  # the field is there; only the probe's value does not fit it
        return True
    return False


def _granted(admin_object, permission: str) -> bool:
    granted = getattr(admin_object, "manager_permissions", frozenset({"view"}))
    if permission == "view":
        return "view" in granted or "change" in granted
    return permission in granted


def _in_scope(model_admin, request: HttpRequest, obj: models.Model) -> bool:
    memo = request.__dict__.setdefault("_business_scope_memo", {})
    key = (obj._meta.label_lower, obj.pk)
    if key not in memo:
        memo[key] = model_admin.get_queryset(request).filter(pk=obj.pk).exists()
    return memo[key]


class _ScopedReads:
    """What an admin or an inline reads, cut to the manager's businesses: its rows and the
    choices of its relation fields, through the model's business path."""

    def business_path(self) -> str | None:
        return business_path_for(self.model, getattr(self, "manager_business_path", INFER))

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_scoped(request):
            queryset = scope(queryset, self.business_path(), request)
        return queryset

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        if not is_scoped(request):
            return queryset
        related = db_field.remote_field.model
        if queryset is None:
            queryset = related._default_manager.using(db).all()
        return scope(queryset, model_business_path(related, self.admin_site), request)


class BusinessScopedAdmin(_ScopedReads):
    """Put in front of a ModelAdmin: managers see and do only what the ModelAdmin grants.

    A ModelAdmin grants it with these attributes (read here with defaults, so that the
    ModelAdmin's own values are never hidden behind this class's):

    - ``manager_business_path``: lookup from the model to its business; ``None`` hides
      the model from managers; by default it is inferred (see the module's doc);
    - ``manager_permissions``: what managers may do to visible objects, any of "view",
      "change", "add", "delete" (default: view);
    - ``manager_actions``: names of the actions managers may run (default: none);
    - ``manager_urls``: names of the ModelAdmin's own URL patterns managers may open
      (default: none).
    """

    # -- what the model is to managers

    def _manager_may(self, request: HttpRequest, permission: str, obj=None) -> bool:
        if not _granted(self, permission) or self.business_path() is None:
            return False
        return obj is None or _in_scope(self, request, obj)

    # -- permissions

    def has_module_permission(self, request):
        if is_scoped(request):
            return self._manager_may(request, "view")
        return super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        if is_scoped(request):
            return self._manager_may(request, "view", obj)
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if is_scoped(request):
            return self._manager_may(request, "change", obj)
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        if is_scoped(request):
            return self._manager_may(request, "add")
        return super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        if is_scoped(request):
            return self._manager_may(request, "delete", obj)
        return super().has_delete_permission(request, obj)

    # -- what is read

    def get_search_fields(self, request):
        # Search over a field the model no longer has (dj-stripe 2.11's Customer admin) would
        # fail the whole list; such a field is left out of the search.
        return [
            name for name in super().get_search_fields(request) if _searchable(self.model, name)
        ]

    def get_list_filter(self, request):
        specs = super().get_list_filter(request)
        if not is_scoped(request):
            return specs
        return [_scoped_list_filter(self.model, spec) for spec in specs]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if is_scoped(request):
            allowed = getattr(self, "manager_actions", ())
            actions = {name: found for name, found in actions.items() if name in allowed}
        return actions

    def get_inlines(self, request, obj):
        return [scoped_inline(inline) for inline in super().get_inlines(request, obj)]

    # -- objects outside the scope do not exist

    def _404_unless_visible(self, request, object_id: str) -> None:
        if not is_scoped(request):
            return
        to_field = request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR))
        if to_field and not self.to_field_allowed(request, to_field):
            return  # the view itself refuses it (400)
        if self.get_object(request, unquote(object_id), to_field) is None:
            raise Http404

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._404_unless_visible(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._404_unless_visible(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._404_unless_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        if is_scoped(request):
            raise Http404
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)

    # -- extra URLs of the ModelAdmin are closed to managers unless named

    def get_urls(self):
        urls = super().get_urls()
        standard = {str(pattern.pattern) for pattern in admin.ModelAdmin.get_urls(self)}
        guarded = []
        for pattern in urls:
            route = str(pattern.pattern) if isinstance(pattern, URLPattern) else None
            if route == "<path:object_id>/":
                # The old-style object URL, which only redirects to the change page.
                pattern = self._pattern_with(pattern, self._visible_guard(pattern.callback))
            elif route is not None and route not in standard:
                pattern = self._pattern_with(
                    pattern, self._manager_guard(pattern.callback, pattern.name)
                )
            guarded.append(pattern)
        return guarded

    @staticmethod
    def _pattern_with(pattern: URLPattern, callback) -> URLPattern:
        return URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name)

    def _visible_guard(self, view):
        @functools.wraps(view)
        def guarded(request, *args, object_id: str, **kwargs):
            self._404_unless_visible(request, object_id)
            return view(request, *args, object_id=object_id, **kwargs)

        return guarded

    def _manager_guard(self, view, name: str | None):
        allowed = name is not None and name in getattr(self, "manager_urls", ())

        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            if is_scoped(request) and not allowed:
                raise Http404
            return view(request, *args, **kwargs)

        return guarded


class BusinessScopedInline(_ScopedReads):
    """Put in front of an inline: managers see only rows of assigned businesses, and only
    read them unless the inline grants more (``manager_business_path`` and
    ``manager_permissions`` as on a ModelAdmin)."""

    def _manager_may(self, permission: str) -> bool:
        return _granted(self, permission) and self.business_path() is not None

    # ``obj`` is the parent object, which the parent admin has already found in scope.
    def has_view_permission(self, request, obj=None):
        if is_scoped(request):
            return self._manager_may("view")
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if is_scoped(request):
            return self._manager_may("change")
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj):
        if is_scoped(request):
            return self._manager_may("add")
        return super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if is_scoped(request):
            return self._manager_may("delete")
        return super().has_delete_permission(request, obj)


def _scoped_subclass(base: type, mixin: type) -> type:
    if issubclass(base, mixin):
        return base
    return type(
        base.__name__,
        (mixin, base),
        {"__module__": base.__module__, "__qualname__": base.__qualname__},
    )


@functools.cache
def scoped_admin(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    return _scoped_subclass(admin_class, BusinessScopedAdmin)


@functools.cache
def scoped_inline(inline_class: type) -> type:
    return _scoped_subclass(inline_class, BusinessScopedInline)
