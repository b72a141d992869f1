"""Portal pages: knowledge bases, their items table, import and export."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import exporting
from .errors import KnowledgeError
from .forms import ItemDetailForm, ItemForm, KnowledgeBaseForm, MappingForm, UploadForm
from .messages import skip_reason_label
from .models import ImportJob, Item, KnowledgeBase
from .selectors import SORTS, import_list, item_list, knowledge_base_list
from .services import (
    import_cancel,
    import_confirm,
    import_preview,
    import_upload,
    item_create,
    item_media_set,
    item_update,
    items_delete,
    knowledge_base_create,
    knowledge_base_delete,
    knowledge_base_update,
    progress_key,
)

PAGE_SIZE = 50
SORT_COLUMNS = [
    ("sku", _lazy("SKU")),
    ("name", _lazy("Name")),
    ("category", _lazy("Category")),
    ("price", _lazy("Price")),
]


def _invalid(form, error: KnowledgeError) -> None:
    form.add_error(None, error.message)


# -- knowledge bases -------------------------------------------------------------------------


@require_GET
def knowledge_list(request):
    bases = knowledge_base_list()
    return render(request, "knowledge/list.html", {"bases": bases})


@require_http_methods(["GET", "POST"])
def knowledge_new(request):
    initial = {}
    if company_id := request.GET.get("company"):
        initial["company"] = company_id
    form = KnowledgeBaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        knowledge_base = knowledge_base_create(**form.cleaned_data)
        messages.success(
            request, _("Knowledge base %(name)s was created.") % {"name": knowledge_base.name}
        )
        return redirect("knowledge_import", pk=knowledge_base.pk)
    status = 422 if form.errors else 200
    return render(request, "knowledge/base_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def knowledge_edit(request, pk: int):
    knowledge_base = get_object_or_404(KnowledgeBase, pk=pk)
    form = KnowledgeBaseForm(request.POST or None, instance=knowledge_base)
    if request.method == "POST" and form.is_valid():
        knowledge_base_update(
            knowledge_base=KnowledgeBase.objects.get(pk=pk),
            name=form.cleaned_data["name"],
            kind=form.cleaned_data["kind"],
        )
        messages.success(request, _("Changes were saved."))
        return redirect("knowledge_detail", pk=pk)
    status = 422 if form.errors else 200
    context = {"form": form, "knowledge_base": knowledge_base}
    return render(request, "knowledge/base_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def knowledge_delete(request, pk: int):
    knowledge_base = get_object_or_404(KnowledgeBase, pk=pk)
    if request.method == "POST":
        knowledge_base_delete(knowledge_base=knowledge_base)
        messages.success(
            request, _("Knowledge base %(name)s was deleted.") % {"name": knowledge_base.name}
        )
        return redirect("knowledge_list")
    count = knowledge_base.items.count()
    return render(
        request,
        "knowledge/base_confirm_delete.html",
        {"knowledge_base": knowledge_base, "count": count},
    )


@require_GET
def knowledge_detail(request, pk: int):
    knowledge_base = get_object_or_404(KnowledgeBase.objects.select_related("company"), pk=pk)
    query = request.GET.get("q", "")
    sort = request.GET.get("sort", "position")
    if sort not in SORTS:
        sort = "position"
    page = Paginator(
        item_list(knowledge_base=knowledge_base, query=query, sort=sort), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "knowledge_base": knowledge_base,
        "page": page,
        "query": query,
        "sort": sort,
        "total": knowledge_base.items.count(),
        "imports": import_list(knowledge_base=knowledge_base)[:5],
        "add_form": ItemForm(prefix="new"),
        "sort_columns": SORT_COLUMNS,
    }
    if request.htmx and request.htmx.target == "items":
        return render(request, "knowledge/detail.html#items", context)
    return render(request, "knowledge/detail.html", context)


# -- items -----------------------------------------------------------------------------------


def _item(pk: int, item_id: int) -> Item:
    return get_object_or_404(
        Item.objects.select_related("knowledge_base"), pk=item_id, knowledge_base_id=pk
    )


@require_POST
def item_new(request, pk: int):
    knowledge_base = get_object_or_404(KnowledgeBase, pk=pk)
    form = ItemForm(request.POST, prefix="new")
    if form.is_valid():
        try:
            item_create(knowledge_base=knowledge_base, **form.cleaned_data)
        except KnowledgeError as error:
            _invalid(form, error)
        else:
            context = {"add_form": ItemForm(prefix="new"), "knowledge_base": knowledge_base}
            response = render(request, "knowledge/detail.html#add-form", context)
            response["HX-Trigger"] = "item-added"
            return response
    context = {"add_form": form, "knowledge_base": knowledge_base}
    return render(request, "knowledge/detail.html#add-form", context, status=422)


@require_GET
def item_row(request, pk: int, item_id: int):
    item = _item(pk, item_id)
    return render(
        request,
        "knowledge/detail.html#item-row",
        {"item": item, "knowledge_base": item.knowledge_base},
    )


@require_http_methods(["GET", "POST"])
def item_edit(request, pk: int, item_id: int):
    item = _item(pk, item_id)
    form = ItemForm(request.POST or None, instance=item, prefix=f"item{item.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            item = item_update(item=_item(pk, item_id), **form.cleaned_data)
        except KnowledgeError as error:
            _invalid(form, error)
        else:
            return render(
                request,
                "knowledge/detail.html#item-row",
                {"item": item, "knowledge_base": item.knowledge_base},
            )
    status = 422 if form.errors else 200
    context = {"item": item, "form": form, "knowledge_base": item.knowledge_base}
    return render(request, "knowledge/detail.html#item-edit-row", context, status=status)


@require_http_methods(["GET", "POST"])
def item_detail(request, pk: int, item_id: int):
    item = _item(pk, item_id)
    form = ItemDetailForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        media = fields.pop("media")
        try:
            saved = item_update(item=_item(pk, item_id), **fields)
            item_media_set(item=saved, media=list(media))
        except KnowledgeError as error:
            _invalid(form, error)
        else:
            messages.success(request, _("Item %(name)s was saved.") % {"name": item.name})
            return redirect("knowledge_detail", pk=pk)
    status = 422 if form.errors else 200
    context = {"item": item, "form": form, "knowledge_base": item.knowledge_base}
    return render(request, "knowledge/item_detail.html", context, status=status)


@require_POST
def item_delete(request, pk: int, item_id: int):
    item = _item(pk, item_id)
    items_delete(knowledge_base=item.knowledge_base, ids=[item.pk])
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("Item %(name)s was deleted.") % {"name": item.name})
    return redirect("knowledge_detail", pk=pk)


@require_POST
def items_bulk_delete(request, pk: int):
    knowledge_base = get_object_or_404(KnowledgeBase, pk=pk)
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    deleted = items_delete(knowledge_base=knowledge_base, ids=ids)
    messages.success(request, _("%(count)s items were deleted.") % {"count": deleted})
    return redirect(f"{reverse('knowledge_detail', args=[pk])}?{request.GET.urlencode()}")


# -- export ----------------------------------------------------------------------------------


@require_GET
def knowledge_export(request, pk: int, fmt: str):
    knowledge_base = get_object_or_404(KnowledgeBase, pk=pk)
    filename = exporting.export_filename(knowledge_base, fmt)
    if fmt == "csv":
        response = StreamingHttpResponse(
            exporting.iter_csv(knowledge_base), content_type="text/csv; charset=utf-8"
        )
    elif fmt == "xlsx":
        buffer = io.BytesIO()
        exporting.write_xlsx(knowledge_base, buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- import ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def knowledge_import(request, pk: int):
    knowledge_base = get_object_or_404(KnowledgeBase.objects.select_related("company"), pk=pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_upload(
                knowledge_base=knowledge_base,
                upload=form.cleaned_data["file"],
                user_email=request.user.email,
            )
        except KnowledgeError as error:
            _invalid(form, error)
        else:
            return redirect("knowledge_import_job", job_id=job.pk)
    status = 422 if form.errors else 200
    context = {"form": form, "knowledge_base": knowledge_base}
    return render(request, "knowledge/import_upload.html", context, status=status)


def _job(job_id: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.select_related("knowledge_base__company"), pk=job_id)


@require_http_methods(["GET", "POST"])
def import_job(request, job_id: int):
    """One import: the mapping step, then its progress, then its report.

    The mapping step reads the stored file again for each change: ``?sheet=`` and
    ``?header_row=`` (GET) pick where the table is; the posted column choices update the
    preview (``action=preview``) or start the import (``action=import``).
    """
    job = _job(job_id)
    if job.status != ImportJob.Status.UPLOADED:
        return render(request, "knowledge/import_job.html", _job_context(job))
    source = request.POST if request.method == "POST" else request.GET
    sheet = source.get("sheet") or job.sheet
    header_row = _int(source.get("header_row")) or job.header_row
    overrides = None
    if request.method == "POST":
        overrides = {
            int(key[4:]): (value or None)
            for key, value in request.POST.items()
            if key.startswith("col_") and key[4:].isdigit()
        }
    try:
        detected = import_preview(job=job, sheet=sheet, header_row=header_row, mapping=overrides)
    except KnowledgeError as error:
        if (sheet, header_row) != (job.sheet, job.header_row):
            messages.error(request, error.message)
            return redirect("knowledge_import_job", job_id=job.pk)
        context = {**_job_context(job), "file_error": error.message}
        return render(request, "knowledge/import_job.html", context, status=422)
    starting = request.method == "POST" and request.POST.get("action") == "import"
    form = MappingForm(
        request.POST if starting else None,
        initial={
            "sheet": detected.result.sheet,
            "header_row": detected.header.row_number,
            "mode": request.POST.get("mode") or job.mode,
        },
        sheets=[sheet["name"] for sheet in job.sheets] or [detected.result.sheet],
        mapping=detected.mapping,
    )
    if starting and form.is_valid():
        try:
            import_confirm(
                job=job,
                sheet=detected.result.sheet,
                header_row=detected.header.row_number,
                mapping=form.mapping(),
                mode=form.cleaned_data["mode"],
            )
        except KnowledgeError as error:
            messages.error(request, error.message)
        return redirect("knowledge_import_job", job_id=job.pk)
    context = {**_job_context(job), "form": form, "detected": detected}
    status = 422 if form.errors else 200
    if request.htmx and request.htmx.target == "mapping":
        return render(request, "knowledge/import_job.html#mapping", context, status=status)
    return render(request, "knowledge/import_job.html", context, status=status)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _job_context(job: ImportJob) -> dict:
    context = {"job": job, "knowledge_base": job.knowledge_base}
    if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        progress = cache.get(progress_key(job)) or {}
        processed = progress.get("processed", job.processed_rows)
        total = job.total_rows or 0
        percent = min(99, round(processed * 100 / total)) if total else None
        context.update(processed=processed, percent=percent, phase=progress.get("phase", ""))
    if job.is_finished:
        context["skip_summary"] = [
            (skip_reason_label(code), count)
            for code, count in sorted(job.skip_summary.items(), key=lambda kv: -kv[1])
        ]
        context["rejected"] = job.rejected_rows.all()[:200]
        context["rejected_total"] = job.rejected_rows.count()
    return context


@require_GET
def import_progress(request, job_id: int):
    job = _job(job_id)
    context = _job_context(job)
    response = render(request, "knowledge/import_job.html#status", context)
    if job.is_finished:
        # The poll ends: reload the page so the full report shows.
        response["HX-Refresh"] = "true"
    return response


@require_POST
def import_cancel_view(request, job_id: int):
    job = _job(job_id)
    try:
        import_cancel(job=job)
    except KnowledgeError as error:
        messages.info(request, error.message)
    else:
        messages.info(
            request, _("The import is being cancelled; the knowledge base stays as it was.")
        )
    return redirect("knowledge_import_job", job_id=job.pk)


@require_GET
def import_rejected_csv(request, job_id: int):
    job = _job(job_id)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([_("Row"), _("Reason"), _("Details"), _("Cells")])
    for row in job.rejected_rows.all().iterator(chunk_size=2000):
        cells = [exporting.neutralize(str(value)) for value in row.values]
        writer.writerow([row.row_number, skip_reason_label(row.reason_code), row.reason, *cells])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = exporting.export_filename(job.knowledge_base, "csv").replace(".csv", "-skipped-rows.csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
