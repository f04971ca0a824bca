"""What goes wrong with an uploaded CSV or a product feed is told to the merchant in a sentence that says
what is wrong and what to do; an exception's name and text stay in the log."""

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.integrations.models import ImportJob, ImportStatus
from apps.integrations.services import csv_imports
from apps.integrations.services.csv_imports import import_run
from apps.integrations.services.product_feeds import feed_refresh
from apps.orders.models import Order, Product
from tests.integrations.factories import ProductFeedFactory
from tests.stores.factories import MembershipFactory

pytestmark = pytest.mark.django_db

TECHNICAL = ("Error", "Exception", "Traceback", "codec", "0x", "KeyError", "ParseError", "line 1, column")
NOT_UTF8 = "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”"
CSV = "Email,Order id,Created at,Total\nana@example.com,#1001,2026-10-01 10:00,30.00\n"


@pytest.fixture
def manager(client):
    membership = MembershipFactory(role="manager", store__time_zone="Europe/Rome")
    client.force_login(membership.user)
    return membership


def upload(client, content: bytes, name="orders.csv"):
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(reverse("dashboard:import_list"), {"kind": "orders", "file": file})


def field_errors(response) -> list[str]:
    return list(response.context["form"].errors["file"])


def assert_plain(text: str) -> None:
    for word in TECHNICAL:
        assert word not in text, f"{word!r} reached the merchant: {text}"


# --- CSV files ------------------------------------------------------------------------------------


def test_a_csv_that_is_not_utf8_is_refused_at_upload_with_what_to_do(client, manager):
    # given a spreadsheet export in Windows-1252 (é is one byte there)
    content = "Email,Prénom,Order id,Created at\nana@example.com,Amélie,#1001,2026-10-01 10:00\n".encode("cp1252")
    # when the manager uploads it
    response = upload(client, content)
    # then the form says what is wrong and what to do, and no import was created
    assert response.status_code == 400
    (error,) = field_errors(response)
    assert error.startswith(NOT_UTF8)
    assert "upload it again" in error
    assert_plain(error)
    assert NOT_UTF8 in response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert not ImportJob.objects.exists()


def test_a_csv_that_stops_being_utf8_past_the_first_rows_is_refused_before_it_starts(client, manager):
    # given a file whose first 64 KB are UTF-8 and whose last row is not
    rows = "".join(f"buyer{n}@example.com,#{n},2026-10-01 10:00,10.00\n" for n in range(2000))
    content = ("Email,Order id,Created at,Total\n" + rows).encode() + "zoë@example.com,#x,2026-10-01,1\n".encode(
        "cp1252"
    )
    assert len(content) > 64 * 1024
    assert upload(client, content).status_code == 302
    job = ImportJob.objects.get()
    # when the manager starts it (twice: the second changes nothing either)
    for _ in range(2):
        response = client.post(reverse("dashboard:import_detail", args=[job.pk]), job.mapping)
        # then the mapping page says the file is not UTF-8, and nothing was queued or imported
        assert response.status_code == 400
        (error,) = response.context["form"].non_field_errors()
        assert error.startswith(NOT_UTF8)
        job.refresh_from_db()
        assert job.status == ImportStatus.UPLOADED
    assert not Order.objects.exists()


def test_a_csv_without_a_header_row_is_refused_with_what_to_add(client, manager):
    # given an export whose first row is already an order
    content = b"ana@example.com,#1001,2026-10-01 10:00,30.00\nbo@example.com,#1002,2026-10-02 11:00,12.00\n"
    # when it is uploaded
    response = upload(client, content)
    # then the form says the first row is data and asks for a header row
    assert response.status_code == 400
    (error,) = field_errors(response)
    assert error == (
        "The first row holds data (ana@example.com), not the names of the columns. Add a header row such as "
        "Email, Order id, Created at above your data and upload the file again."
    )
    assert not ImportJob.objects.exists()


def test_a_spreadsheet_workbook_is_refused_with_how_to_save_it_as_csv(client, manager):
    response = upload(client, b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200, name="orders.xlsx")
    assert response.status_code == 400
    (error,) = field_errors(response)
    assert error.startswith("This is a spreadsheet workbook, not a CSV file.")
    assert_plain(error)


def test_a_bad_row_is_reported_in_words(client, manager):
    # given an import with a date and an amount the columns cannot hold
    content = (CSV + "bo@example.com,#1002,yesterday,12.00\ncy@example.com,#1003,2026-10-03 09:00,12 EUR\n").encode()
    upload(client, content)
    job = ImportJob.objects.get()
    client.post(reverse("dashboard:import_detail", args=[job.pk]), job.mapping)
    # when it runs
    import_run(job_id=job.pk)
    job.refresh_from_db()
    # then the good row is imported and each bad row's problem is a sentence naming the value
    assert (job.status, job.created_count, job.error_count) == (ImportStatus.DONE, 1, 2)
    assert job.errors == [
        [3, "placed_at", "“yesterday” is not a date and time Afterglow reads: write it like 2026-10-01 14:30."],
        [
            4,
            "total",
            "“12 EUR” is not an amount: write digits with a decimal point, like 42.50, without a currency.",
        ],
    ]
    report = client.get(reverse("dashboard:import_errors", args=[job.pk])).content.decode()
    assert "is not a date and time Afterglow reads" in report


def test_an_import_that_fails_on_our_side_says_so_without_the_exception(client, manager, monkeypatch, caplog):
    # given a started import, and a bug that raises KeyError('x') while applying a row
    upload(client, CSV.encode())
    job = ImportJob.objects.get()
    client.post(reverse("dashboard:import_detail", args=[job.pk]), job.mapping)

    def broken(*args, **kwargs):
        raise KeyError("x")

    monkeypatch.setattr(csv_imports, "_apply", broken)
    # when the worker runs it
    with caplog.at_level(logging.ERROR, logger="apps.integrations.services.csv_imports"), pytest.raises(KeyError):
        import_run(job_id=job.pk)
    job.refresh_from_db()
    # then the job failed with a sentence for the merchant, and the KeyError is in the log only
    assert job.status == ImportStatus.FAILED
    assert job.failure.startswith("The import stopped on an error on our side, not in your file.")
    assert f"the import number, {job.pk}." in job.failure
    assert_plain(job.failure)
    assert "KeyError" in caplog.text
    progress = client.get(reverse("dashboard:import_progress", args=[job.pk])).content.decode()
    assert "The import stopped on an error on our side" in progress
    assert "KeyError" not in progress


# --- Product feeds --------------------------------------------------------------------------------


def refresh_with(content: bytes, **feed):
    feed = ProductFeedFactory(**feed)
    return feed_refresh(feed_id=feed.pk, fetch=lambda url: content)


def test_a_feed_that_is_not_xml_says_so_and_what_to_use_instead():
    refreshed = refresh_with(b"id,title,price\nmug-1,Stoneware mug,15.00\n")
    assert refreshed.last_ok is False
    assert refreshed.last_error == (
        "The file is not XML, so it is not a product feed Afterglow reads. Use the address of a YML (Yandex "
        "Market) or Google Merchant feed (RSS or Atom) from your shop."
    )
    assert not Product.objects.exists()


def test_a_feed_address_that_opens_a_web_page_says_so():
    refreshed = refresh_with(b"<!DOCTYPE html><html><head><title>Shop</title></head><body>Hi</body></html>")
    assert refreshed.last_error.startswith("The address opens a web page, not a product feed.")


def test_a_broken_xml_feed_names_the_line_not_the_parser(caplog):
    # given a feed cut off in the middle of line 3
    content = b'<?xml version="1.0"?>\n<yml_catalog><shop><offers>\n<offer id="1"><name>Mug</name>'
    with caplog.at_level(logging.INFO, logger="apps.integrations.services.product_feeds"):
        refreshed = refresh_with(content)
    # then the merchant reads where it breaks and what to do; the parser's words are in the log
    assert refreshed.last_error == (
        "The feed is not valid XML: it breaks off or is damaged at line 3. Open its address in a browser to "
        "check that the whole feed comes through, then refresh it."
    )
    assert_plain(refreshed.last_error)
    assert "no element found" in caplog.text


def test_a_feed_url_that_answers_404_says_there_is_no_feed_there(settings, httpserver, client, manager):
    # given a feed on a server the operator allowed, whose address answers 404
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    httpserver.expect_request("/feed.xml").respond_with_data("Not here", status=404)
    feed = ProductFeedFactory(store=manager.store, url=f"http://127.0.0.1:{httpserver.port}/feed.xml")
    # when it is refreshed twice (the second time changes nothing but the time)
    for _ in range(2):
        refreshed = feed_refresh(feed_id=feed.pk)
        # then the feed says there is no feed at the address and what to do
        assert refreshed.last_ok is False
        assert refreshed.last_error == (
            "There is no feed at this address: the server answered “404 Not Found”. Copy the feed's address "
            "again from your shop and save it here."
        )
    # and the dashboard's feed list shows it
    page = client.get(reverse("dashboard:feed_list")).content.decode()
    assert "There is no feed at this address" in page


def test_an_uploaded_file_that_is_not_a_feed_is_a_form_error_in_words(client, manager):
    file = SimpleUploadedFile("feed.xml", b"<catalog><item/></catalog>", content_type="application/xml")
    response = client.post(reverse("dashboard:feed_list"), {"upload-file": file})
    assert response.status_code == 400
    (error,) = response.context["upload_form"].errors["file"]
    assert error.startswith("The file is XML, but not a product feed Afterglow reads.")


def test_the_error_report_never_hands_a_spreadsheet_a_formula(client, manager):
    """A problem quotes the file's own values: one starting with "=" is written as text, not run."""
    job = ImportJob.objects.create(
        store=manager.store,
        kind="orders",
        file=SimpleUploadedFile("orders.csv", b"x"),
        original_name="orders.csv",
        errors=[[2, "email", '=HYPERLINK("https://evil.example","x")'], [3, "total", "+1 is fine"]],
    )
    report = client.get(reverse("dashboard:import_errors", args=[job.pk])).content.decode("utf-8-sig")
    rows = report.splitlines()
    assert rows[1].startswith("2,email,\"'=HYPERLINK(") and rows[2] == "3,total,'+1 is fine"
