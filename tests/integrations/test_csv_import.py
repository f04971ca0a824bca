"""CSV import: upload, map, run in the background, report problems; a second run adds nothing."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.customers.models import ConsentEvent, Customer
from apps.integrations.csv_rows import guess_mapping
from apps.integrations.models import ImportJob, ImportStatus
from apps.integrations.services.csv_imports import import_run
from apps.orders.models import Order
from apps.shipments.models import Shipment
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db

HEADER = "Name,Email,Created at,Currency,Total,Lineitem name,Lineitem quantity,Lineitem price,"
HEADER += "Tracking number,Tracking company,Shipping Zip"
ORDERS_CSV = f"""{HEADER}
#1001,ana@example.com,2026-10-01 10:00,EUR,30.00,Espresso beans,2,15.00,1Z999AA10123456784,UPS,20100
#1002,BOB@example.com,2026-10-02T11:00:00+02:00,EUR,42.00,Moka pot,1,30.00,,,00184
#1002,BOB@example.com,2026-10-02T11:00:00+02:00,EUR,42.00,Filter papers,3,4.00,,,00184
#1003,not-an-email,2026-10-03 09:00,EUR,10.00,Mug,1,10.00,,,
#1004,dan@example.com,yesterday,EUR,10.00,Mug,1,10.00,,,
"""


@pytest.fixture
def manager(client):
    membership = MembershipFactory(role="manager", store__currency="EUR", store__time_zone="Europe/Rome")
    client.force_login(membership.user)
    return membership


def upload(client, kind: str, text: str, name="orders.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(reverse("dashboard:import_list"), {"kind": kind, "file": file})


def start(client, job: ImportJob, mapping: dict | None = None):
    return client.post(reverse("dashboard:import_detail", args=[job.pk]), mapping or job.mapping)


def test_common_export_headers_are_mapped_without_help():
    columns = next(csv.reader(io.StringIO(ORDERS_CSV)))
    mapping = guess_mapping("orders", columns)
    assert mapping["order_id"] == "Name"
    assert mapping["email"] == "Email"
    assert mapping["placed_at"] == "Created at"
    assert mapping["tracking_number"] == "Tracking number"
    assert mapping["carrier"] == "Tracking company"
    assert mapping["postcode"] == "Shipping Zip"


def test_orders_import_creates_orders_lines_and_shipments_and_reports_bad_rows(client, manager):
    # given an uploaded export, its columns guessed
    response = upload(client, "orders", ORDERS_CSV)
    job = ImportJob.objects.get(store=manager.store)
    assert response.status_code == 302
    assert "Name" in client.get(reverse("dashboard:import_detail", args=[job.pk])).content.decode()

    # when the manager starts it: the request only queues the work
    response = start(client, job)
    job.refresh_from_db()
    assert response.status_code == 302
    assert (job.status, job.total_rows, job.processed_rows) == (ImportStatus.QUEUED, 5, 0)
    assert not Order.objects.exists()

    # and the worker runs it
    import_run(job_id=job.pk)
    job.refresh_from_db()

    # then good orders exist with their lines and shipment; bad rows are reported by row and field
    assert job.status == ImportStatus.DONE
    assert (job.processed_rows, job.created_count, job.error_count) == (5, 2, 2)
    assert set(Order.objects.filter(store=manager.store).values_list("number", flat=True)) == {"#1001", "#1002"}
    assert Order.objects.get(number="#1002").lines.count() == 2
    assert Order.objects.get(number="#1002").email == "bob@example.com"
    shipment = Shipment.objects.get(order__number="#1001")
    assert (shipment.carrier, shipment.tracking_number) == ("ups", "1Z999AA10123456784")
    report = client.get(reverse("dashboard:import_errors", args=[job.pk])).content.decode(
        "utf-8-sig"
    )  # with the BOM spreadsheets read
    rows = list(csv.reader(io.StringIO(report)))
    assert rows[0] == ["row", "field", "problem"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("5", "email"), ("6", "placed_at")]


def test_importing_the_same_file_twice_adds_nothing(client, manager):
    for _ in range(2):
        upload(client, "orders", ORDERS_CSV)
        job = ImportJob.objects.filter(store=manager.store).order_by("-pk").first()
        start(client, job)
        import_run(job_id=job.pk)
    second = ImportJob.objects.filter(store=manager.store).order_by("-pk").first()
    assert (second.created_count, second.updated_count) == (0, 2)
    assert Order.objects.filter(store=manager.store).count() == 2
    assert Shipment.objects.filter(store=manager.store).count() == 1


def test_customers_import_records_consent_with_its_source(client, manager):
    text = "email,first_name,accepts_marketing\nana@example.com,Ana,yes\nbo@example.com,Bo,no\n"
    upload(client, "customers", text, name="customers.csv")
    job = ImportJob.objects.get(store=manager.store)
    start(client, job)
    import_run(job_id=job.pk)
    ana = Customer.objects.get(store=manager.store, email="ana@example.com")
    assert ana.marketing_consent is True
    assert ConsentEvent.objects.get(customer=ana).source == "import"
    assert Customer.objects.get(email="bo@example.com").marketing_consent is False


def test_a_required_column_left_unmapped_is_a_form_error(client, manager):
    upload(client, "orders", ORDERS_CSV)
    job = ImportJob.objects.get(store=manager.store)
    mapping = {**job.mapping, "email": ""}
    response = start(client, job, mapping)
    assert response.status_code == 400
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_a_file_that_is_not_csv_is_refused_at_upload(client, manager):
    response = upload(client, "orders", "", name="empty.csv")
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_the_progress_block_polls_until_the_job_is_done(client, manager):
    upload(client, "orders", ORDERS_CSV)
    job = ImportJob.objects.get(store=manager.store)
    start(client, job)
    polling = client.get(reverse("dashboard:import_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in polling
    import_run(job_id=job.pk)
    finished = client.get(reverse("dashboard:import_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in finished
    assert "download the error report" in finished


def test_a_job_abandoned_by_a_dead_worker_resumes_where_it_stopped(client, manager):
    upload(client, "orders", ORDERS_CSV)
    job = ImportJob.objects.get(store=manager.store)
    start(client, job)
    # given a worker that claimed it, applied the first row and died ten minutes ago
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed_rows=1)
    ImportJob.objects.filter(pk=job.pk).update(modified_at=timezone.now() - timezone.timedelta(minutes=11))
    # when another worker picks it up, then it does the rest only
    import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert not Order.objects.filter(number="#1001").exists()  # skipped: counted as done before
    assert Order.objects.filter(number="#1002").exists()


def test_a_running_job_is_not_taken_by_a_second_worker(client, manager):
    upload(client, "orders", ORDERS_CSV)
    job = ImportJob.objects.get(store=manager.store)
    start(client, job)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    assert import_run(job_id=job.pk) is None
    assert not Order.objects.exists()


def test_support_staff_cannot_import(client):
    support = MembershipFactory(role="support")
    client.force_login(support.user)
    assert client.get(reverse("dashboard:import_list")).status_code == 403


def test_values_their_columns_cannot_hold_fail_their_row_only(client, manager):
    # given an export with an absurd quantity and an absurd total among good rows
    text = f"""{HEADER}
#2001,ana@example.com,2026-10-01 10:00,EUR,30.00,Espresso beans,2,15.00,,,20100
#2002,bob@example.com,2026-10-01 10:00,EUR,30.00,Espresso beans,{2**40},15.00,,,20100
#2003,cy@example.com,2026-10-01 10:00,EUR,1e30,Espresso beans,1,15.00,,,20100
#2004,dan@example.com,2026-10-01 10:00,EUR,12.00,Mug,1,12.00,,,20100
"""
    # when it is imported, twice
    for _ in range(2):
        upload(client, "orders", text)
        job = ImportJob.objects.filter(store=manager.store).order_by("-pk").first()
        start(client, job)
        import_run(job_id=job.pk)
        job.refresh_from_db()
        # then the job finishes, the bad rows are reported, the good ones are in
        assert job.status == ImportStatus.DONE
        assert job.error_count == 2
    assert set(Order.objects.filter(store=manager.store).values_list("number", flat=True)) == {"#2001", "#2004"}
