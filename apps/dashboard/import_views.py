"""Bringing data in by hand: CSV imports (upload, map, progress, error report) and product feeds."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from apps.integrations.adapters import PayloadError
from apps.integrations.csv_rows import FIELDS
from apps.integrations.models import ImportStatus
from apps.integrations.selectors import feed_for_store, feeds_for_store, import_job_for_store, import_jobs_for_store
from apps.integrations.services.csv_imports import import_create, import_preview, import_start
from apps.integrations.services.product_feeds import feed_add, feed_apply
from apps.integrations.tasks import feed_refresh_task

from .access import member_required
from .csv_download import CsvDownload
from .forms import AS_HISTORY, FeedForm, FeedUploadForm, ImportUploadForm, mapping_form_for


@member_required("import_data")
def import_list(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_create(
                store=request.store, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], user=request.user
            )
        except PayloadError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("dashboard:import_detail", pk=job.pk)
    jobs = import_jobs_for_store(store=request.store)[:20]
    return render(
        request, "dashboard/import_list.html", {"form": form, "jobs": jobs}, status=400 if form.errors else 200
    )


@member_required("import_data")
def import_detail(request, pk: int):
    job = import_job_for_store(store=request.store, pk=pk)
    if job.status != ImportStatus.UPLOADED:
        return render(request, "dashboard/import_progress.html", {"job": job})
    form_class = mapping_form_for(job)
    form = form_class(request.POST or None, initial=job.mapping)
    if request.method == "POST" and form.is_valid():
        try:
            as_history = form.cleaned_data.pop(AS_HISTORY, True)
            import_start(job=job, mapping={k: v for k, v in form.cleaned_data.items() if v}, as_history=as_history)
        except PayloadError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Import started. You can leave this page; it carries on."))
            return redirect("dashboard:import_detail", pk=job.pk)
    context = {"job": job, "form": form, "preview": import_preview(job), "fields": FIELDS[job.kind]}
    return render(request, "dashboard/import_mapping.html", context, status=400 if form.errors else 200)


@member_required("import_data")
def import_progress(request, pk: int):
    """The progress block alone, polled by htmx until the job is finished."""
    job = import_job_for_store(store=request.store, pk=pk)
    return render(request, "dashboard/_import_progress.html", {"job": job})


@member_required("import_data")
def import_errors(request, pk: int):
    job = import_job_for_store(store=request.store, pk=pk)
    response = CsvDownload(f"import-{job.pk}-errors.csv")
    response.row(["row", "field", "problem"])
    for error in job.errors:  # a problem quotes the file's value, which may start with "="
        response.row(error)
    return response


@member_required("import_data")
def feed_list(request):
    add_form = FeedForm(prefix="add")
    upload_form = FeedUploadForm(prefix="upload")
    if request.method == "POST" and request.POST.get("action") == "add-feed":
        add_form = FeedForm(request.POST, prefix="add")
        if add_form.is_valid():
            feed_add(store=request.store, **add_form.cleaned_data)
            messages.success(request, _("Feed added; it is being read now and then on its schedule."))
            return redirect("dashboard:feed_list")
    elif request.method == "POST":
        upload_form = FeedUploadForm(request.POST, request.FILES, prefix="upload")
        if upload_form.is_valid():
            try:
                result = feed_apply(store=request.store, content=upload_form.cleaned_data["file"].read())
            except PayloadError as exc:
                upload_form.add_error("file", str(exc))
            else:
                messages.success(
                    request,
                    ngettext(
                        "Read %(seen)d product, %(created)d of them new.",
                        "Read %(seen)d products, %(created)d of them new.",
                        result.seen,
                    )
                    % {"seen": result.seen, "created": result.created},
                )
                return redirect("dashboard:feed_list")
    context = {"feeds": feeds_for_store(store=request.store), "add_form": add_form, "upload_form": upload_form}
    status = 400 if add_form.errors or upload_form.errors else 200
    return render(request, "dashboard/feed_list.html", context, status=status)


@require_POST
@member_required("import_data")
def feed_refresh(request, pk: int):
    feed = feed_for_store(store=request.store, pk=pk)
    feed_refresh_task.delay_on_commit(feed.pk)
    messages.success(request, _("Refreshing the feed in the background."))
    return redirect("dashboard:feed_list")
