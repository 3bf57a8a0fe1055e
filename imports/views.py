"""The bulk import pages (editors only): upload, preview, confirm, follow a background run; the templates.

Views only parse input and call ``imports.services`` (directly for a small file, through ``imports.tasks`` for a
large one); a conflict between preview and confirmation is the 409 page, a refused file the form again (400).
"""

from __future__ import annotations

import tablib
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.views import View
from django.views.generic import FormView, TemplateView

from core.exports import BYTE_ORDER_MARK, XLSX_CONTENT_TYPE
from core.roles import EditorRequiredMixin

from .forms import ImportUploadForm
from .kinds import CHANGED, ERROR, KINDS, NEW, UNCHANGED, tracker_examples
from .models import ImportRun
from .services import (
    ImportConflict,
    import_apply,
    import_apply_claim,
    import_preview,
    import_run_create,
    progress_key,
)
from .tasks import apply_import, enqueue_on_commit, preview_import

ROWS_PER_PAGE = 100
SHOW = {"all": "All rows", ERROR: "Errors", NEW: "New", CHANGED: "Changed", UNCHANGED: "Unchanged"}


def in_background(run: ImportRun) -> bool:
    """A file this large is read and applied by a Celery task (in-process when tasks are eager)."""
    return settings.IMPORT_BACKGROUND_BYTES < run.file_size <= settings.IMPORT_MAX_BYTES


class ImportStartView(EditorRequiredMixin, FormView):
    """Choose the kind, upload the file; the preview follows (at once, or with a progress bar)."""

    template_name = "imports/import_start.html"
    form_class = ImportUploadForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        found = tracker_examples()
        context["kinds"] = [
            {
                "name": name,
                "label": kind.label,
                "columns": [(c, c.described(found)) for c in kind.columns if not c.read_only],
            }
            for name, kind in KINDS.items()
        ]
        context["runs"] = ImportRun.objects.select_related("created_by").defer("plan", "upload")[:20]
        context["limit_mb"] = f"{settings.IMPORT_MAX_BYTES / 1_000_000:.0f} MB"
        return context

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        run = import_run_create(
            kind=form.cleaned_data["kind"], file_name=upload.name, file_size=upload.size, user=self.request.user
        )
        if in_background(run):
            run.upload = upload.read()
            run.save(update_fields=["upload"])
            enqueue_on_commit(preview_import, run.pk)
            return HttpResponseRedirect(run.get_absolute_url())
        run = import_preview(run=run, file=upload)
        if run.state == ImportRun.State.REFUSED:
            form.add_error("file", run.message)
            return self.form_invalid(form)
        return HttpResponseRedirect(run.get_absolute_url())


class ImportRunView(EditorRequiredMixin, TemplateView):
    """The preview of one import (row by row, filtered and paged), its progress while a worker reads or applies
    it, and the confirmation that applies it."""

    template_name = "imports/import_run.html"

    def get_run(self) -> ImportRun:
        return get_object_or_404(ImportRun.objects.select_related("created_by", "applied_by"), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = kwargs.get("run") or self.get_run()
        show = self.request.GET.get("show", "all")
        if show not in SHOW:
            show = "all"
        rows = run.plan or []
        if show != "all":
            rows = [row for row in rows if row["action"] == show]
        page = Paginator(rows, ROWS_PER_PAGE).get_page(self.request.GET.get("page"))
        counts = run.counts
        kind = KINDS[run.kind]
        # Each row's record links to its page once it exists (for a changed row, already in the preview).
        urls = kind.record_urls([row["key"] for row in page.object_list if row["action"] != ERROR])
        rows = [
            {**row, "url": urls.get(row["key"], ""), "outcome": kind.outcome_labels.get(row["action"], row["action"])}
            for row in page.object_list
        ]
        context.update(
            run=run,
            page_obj=page,
            rows=rows,
            show=show,
            tabs=[(key, label, run.rows_total if key == "all" else counts[key]) for key, label in SHOW.items()],
            kind=kind,
            confirm_phrase=kind.confirm_phrase(run.rows_new, run.rows_changed),
        )
        return context

    def post(self, request, *args, **kwargs):
        run = self.get_run()
        if in_background(run):
            try:
                import_apply_claim(run=run)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return HttpResponseRedirect(run.get_absolute_url())
            enqueue_on_commit(apply_import, run.pk, request.user.pk)
            return HttpResponseRedirect(run.get_absolute_url())
        try:
            import_apply(run=run, author=request.user)
        except ImportConflict as conflict:
            return self.render_to_response(self.get_context_data(run=run, conflict=conflict), status=409)
        except ValidationError:
            return self.render_to_response(self.get_context_data(run=run), status=400)
        kind = KINDS[run.kind]
        messages.success(
            request,
            f"Imported from {run.file_name}: {kind.applied_phrase(run.rows_new, run.rows_changed)}. Each row below "
            "links to its record.",
        )
        return HttpResponseRedirect(run.get_absolute_url())


class ImportProgressView(EditorRequiredMixin, View):
    """Where a run is, as JSON for the page's progress bar: ``state``, ``working``, ``phase``, ``done``,
    ``total``, ``percent``."""

    def get(self, request, pk: int):
        run = get_object_or_404(ImportRun.objects.only("pk", "state", "rows_total"), pk=pk)
        progress = cache.get(progress_key(run.pk)) or {}
        done, total = progress.get("done", 0), progress.get("total", 0)
        return JsonResponse(
            {
                "state": run.state,
                "state_label": run.get_state_display(),
                "working": run.is_working,
                "phase": progress.get("phase", ""),
                "done": done,
                "total": total,
                "percent": round(100 * done / total) if total else 0,
            }
        )


def template_dataset(kind_name: str) -> tablib.Dataset:
    """The template of a kind: its header row and, below it, a line of help (starting with ``#``, which the import
    skips), one cell per column."""
    kind = KINDS[kind_name]
    columns = [column for column in kind.columns if not column.read_only]
    data = tablib.Dataset(headers=[column.name for column in columns], title=kind.label)
    found = tracker_examples()
    helps = [f"{column.described(found)}{' (required)' if column.required else ''}" for column in columns]
    helps[0] = f"# {helps[0]} (this line of help is skipped on import)"
    data.append(helps)
    return data


class ImportTemplateView(EditorRequiredMixin, View):
    """The template file of a kind, as CSV (UTF-8 with a byte-order mark, for spreadsheet programs) or XLSX."""

    def get(self, request, kind: str, fmt: str):
        if kind not in KINDS or fmt not in ("csv", "xlsx"):
            raise Http404("No such template.")
        data = template_dataset(kind)
        filename = f"{kind.replace('_', '-')}-template.{fmt}"
        if fmt == "csv":
            response = HttpResponse(
                (BYTE_ORDER_MARK + data.export("csv")).encode("utf-8"), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse(data.export("xlsx"), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
