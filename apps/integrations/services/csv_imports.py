"""CSV import jobs: uploaded, previewed, started and run (resumable, chunked, one savepoint per order or customer,
progress as it goes). The rows are read by `integrations/csv_rows.py`."""

import csv
import io
import logging
import time
from datetime import timedelta
from itertools import groupby

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.core.bounds import InputError
from apps.customers.models import ConsentSource
from apps.customers.selectors import customer_exists
from apps.customers.services import customer_upsert
from apps.orders.services import order_upsert
from apps.shipments.services import shipment_upsert
from apps.stores.models import Store, UserPreference

from ..adapters import PayloadError
from ..csv_rows import (
    FIELDS,
    RowError,
    customer_from_row,
    guess_mapping,
    iter_rows,
    missing_required,
    not_utf8,
    order_from_rows,
    read_header,
)
from ..models import ImportJob, ImportKind, ImportStatus

logger = logging.getLogger(__name__)
CHUNK = 250  # orders or customers per transaction; progress is saved after each
MAX_REPORTED_ERRORS = 10_000
MAX_FILE_BYTES = 200 * 1024 * 1024
STALE_AFTER = timedelta(minutes=10)  # a running job untouched this long lost its worker and may resume
SLICE_SECONDS = 60  # one task works this long, then queues the rest: well inside any task time limit


def merchant_language(*, store: Store, user=None) -> str:
    """The language to write a worker's words for the merchant in (an import's failure, its rows' problems):
    the dashboard language its person chose, else the store's, which the dashboard falls back to."""
    chosen = UserPreference.objects.filter(user=user).values_list("language", flat=True).first() if user else ""
    return chosen or store.default_language


def import_create(*, store: Store, kind: str, upload: UploadedFile, user=None) -> ImportJob:
    if upload.size > MAX_FILE_BYTES:
        raise PayloadError(
            _("The file is larger than %(size)s MB: split it into smaller files and import them one by one.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
    sample = upload.read(64 * 1024)
    upload.seek(0)
    columns, _rows = read_header(sample)
    return ImportJob.objects.create(
        store=store, kind=kind, file=upload, original_name=upload.name[:255], columns=columns,
        mapping=guess_mapping(kind, columns), created_by=user,
    )  # fmt: skip


def import_preview(job: ImportJob) -> list[list[str]]:
    with job.file.open("rb") as handle:
        return read_header(handle.read(64 * 1024))[1]


def import_start(*, job: ImportJob, mapping: dict[str, str], as_history: bool = True) -> ImportJob:
    """Save the mapping, count the rows and queue the work; the request returns at once. Orders imported
    `as_history` feed figures and send no email."""
    from ..tasks import import_run_task

    allowed = {field.name for field in FIELDS[job.kind]}
    clean = {name: column for name, column in mapping.items() if name in allowed and column in job.columns}
    missing = missing_required(job.kind, clean)
    if missing:
        raise PayloadError(_("Choose a column for: %(fields)s.") % {"fields": ", ".join(missing)})
    with job.file.open("rb") as handle:
        total = _count_rows(handle)
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.UPLOADED).update(
            mapping=clean,
            as_history=as_history,
            total_rows=total,
            status=ImportStatus.QUEUED,
            modified_at=timezone.now(),
        )
    if updated:
        transaction.on_commit(lambda: import_run_task.delay(job.pk))
    job.refresh_from_db()
    return job


def _count_rows(handle) -> int:
    """The data rows of the whole file, read as UTF-8: a file that is not (past the sample the upload
    checked) is refused here, in the request, before anything is imported."""
    try:
        return max(0, sum(1 for _row in iter_rows(io.TextIOWrapper(handle, encoding="utf-8-sig"), b"")))
    except UnicodeDecodeError as exc:
        logger.info("CSV import is not UTF-8: %s", exc)
        raise PayloadError(not_utf8()) from exc
    except csv.Error as exc:
        logger.info("CSV import could not be read: %s", exc)
        raise PayloadError(unreadable_csv()) from exc


def unreadable_csv() -> str:
    return _(
        "A row of the file could not be read as CSV (a quote left open, or a cell far too long). Open it in "
        "your spreadsheet, save it again as “CSV UTF-8” and import it again."
    )


def _claim(job_id: int) -> ImportJob | None:
    """Take the job for this worker: queued, or running but abandoned by a worker that died."""
    stale = timezone.now() - STALE_AFTER
    claimable = Q(status=ImportStatus.QUEUED) | Q(status=ImportStatus.RUNNING, modified_at__lt=stale)
    now = timezone.now()
    if not ImportJob.objects.filter(claimable, pk=job_id).update(status=ImportStatus.RUNNING, modified_at=now):
        return None
    ImportJob.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    return ImportJob.objects.select_related("store").get(pk=job_id)


def import_run(*, job_id: int) -> ImportJob | None:
    job = _claim(job_id)
    if job is None:
        return None  # another worker has it, or it is finished
    # Row problems and a failure are read in the dashboard: written in the language of whoever imported.
    with translation.override(merchant_language(store=job.store, user=job.created_by)):
        try:
            finished = _run(job, deadline=time.monotonic() + SLICE_SECONDS)
        except Exception as exc:
            logger.exception("Import %s failed", job_id)  # the technical detail: for the log only
            ImportJob.objects.filter(pk=job_id).update(
                status=ImportStatus.FAILED, failure=_failure_in_words(exc, job), finished_at=timezone.now()
            )
            raise
    if finished:
        ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.DONE, finished_at=timezone.now())
    else:
        from ..tasks import import_run_task

        ImportJob.objects.filter(pk=job_id).update(status=ImportStatus.QUEUED, modified_at=timezone.now())
        import_run_task.delay(job_id)
    job.refresh_from_db()
    return job


def _failure_in_words(exc: Exception, job: ImportJob) -> str:
    """Why an import stopped, for the merchant: the file's fault and what to do, or ours."""
    if isinstance(exc, UnicodeDecodeError):
        return not_utf8()
    if isinstance(exc, csv.Error):
        return unreadable_csv()
    return _(
        "The import stopped on an error on our side, not in your file. The rows before it are saved. Upload the "
        "file again to finish (rows already imported are not doubled); if it stops again, tell your Afterglow "
        "administrator the import number, %(number)s."
    ) % {"number": job.pk}


def _units(job: ImportJob, rows):
    """(first row number, rows) per order (consecutive rows sharing an id) or per customer row."""
    numbered = enumerate(rows, start=2)  # row 1 is the header
    if job.kind == ImportKind.CUSTOMERS:
        for number, row in numbered:
            yield number, [row]
        return
    column = job.mapping["order_id"]
    for _key, group in groupby(numbered, key=lambda item: (item[1].get(column) or "").strip()):
        group = list(group)
        yield group[0][0], [row for _number, row in group]


def _run(job: ImportJob, *, deadline: float) -> bool:
    """Apply rows after those already done; False when time ran out with rows left."""
    store, resume_after = job.store, job.processed_rows
    with job.file.open("rb") as handle:
        sample = handle.read(8192)
        handle.seek(0)
        rows = iter_rows(io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace"), sample)
        seen, pending = 0, []
        for number, unit_rows in _units(job, rows):
            seen += len(unit_rows)
            if seen <= resume_after:
                continue  # resuming: applied before the previous worker stopped
            pending.append((number, unit_rows))
            if len(pending) == CHUNK:
                _apply_chunk(job, store, pending, seen)
                pending = []
                if time.monotonic() > deadline:
                    return False
        if pending:
            _apply_chunk(job, store, pending, seen)
    return True


def _apply_chunk(job: ImportJob, store: Store, units: list, rows_done: int) -> None:
    created = updated = 0
    errors: list[list] = []
    for number, rows in units:
        try:
            with transaction.atomic():
                was_created = _apply(job, store, rows)
        except RowError as exc:
            errors.append([number, exc.field, str(exc)])
        except (PayloadError, InputError) as exc:  # a value its column cannot hold: that row only
            errors.append([number, next(iter(exc.fields), ""), str(exc)])
        else:
            created += was_created
            updated += not was_created
    _save_progress(job, done_rows=rows_done, created=created, updated=updated, errors=errors)


def _apply(job: ImportJob, store: Store, rows) -> bool:
    """Apply one customer or one order (with its shipment); True when it was new."""
    if job.kind == ImportKind.CUSTOMERS:
        data = customer_from_row(rows[0], job.mapping)
        existed = customer_exists(store=store, email=data.email)
        customer_upsert(store=store, data=data, consent_source=ConsentSource.IMPORT)
        return not existed
    order_data, shipment_data = order_from_rows(
        rows, job.mapping, store_currency=store.currency, store_tz=store.tz, historical=job.as_history
    )
    order, created = order_upsert(store=store, data=order_data)
    if shipment_data:
        shipment_upsert(order=order, data=shipment_data)
    return created


def _save_progress(job: ImportJob, *, done_rows: int, created: int, updated: int, errors: list) -> None:
    job.refresh_from_db(fields=["errors", "error_count"])
    kept = job.errors + errors[: max(0, MAX_REPORTED_ERRORS - len(job.errors))]
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=done_rows,
        created_count=F("created_count") + created,
        updated_count=F("updated_count") + updated,
        error_count=F("error_count") + len(errors),
        errors=kept,
        modified_at=timezone.now(),
    )
