"""CSV import screens: upload, map columns, watch the progress bar, download the error report."""

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from apps.integrations.adapters import PayloadError
from apps.integrations.csv_import import FIELDS
from apps.integrations.imports import import_create, import_preview, import_start
from apps.integrations.models import ImportStatus
from apps.integrations.selectors import import_job_for_store, import_jobs_for_store

from .access import member_required
from .forms import ImportUploadForm, mapping_form_for


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
            import_start(job=job, mapping={k: v for k, v in form.cleaned_data.items() if v})
        except PayloadError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Import started. You can leave this page; it carries on.")
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
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    writer = csv.writer(response)
    writer.writerow(["row", "field", "problem"])
    writer.writerows(job.errors)
    return response
