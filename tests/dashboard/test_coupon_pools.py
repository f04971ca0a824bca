"""Coupon pools: the merchant uploads codes their shop made; each goes to one buyer only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.models import Coupon, CouponPool, Flow, FlowKind
from apps.campaigns.services.coupons import coupon_pool_add_codes, coupon_pool_create
from apps.dashboard.coupon_views import codes_from_csv
from tests.stores.factories import MembershipFactory, StoreFactory

pytestmark = pytest.mark.django_db

LIST = reverse("dashboard:coupon_pool_list")


def csv_file(text: str | bytes, name: str = "codes.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def codes_of(pool) -> list[str]:
    return sorted(Coupon.objects.filter(pool=pool).values_list("code", flat=True))


def test_a_shopify_export_with_a_header_row_makes_a_pool(client, manager):
    # given Shopify's bulk code export: a header row, the codes under "Code", other columns beside
    export = "Code,Usage Count,Status\nSPRING-AB12,0,Active\n  SPRING-CD34 ,0,Active\n\nSPRING-EF56,0,Active\n"
    # when the manager creates a pool from it
    response = client.post(LIST, {"name": "Spring 10%", "file": csv_file(export)}, follow=True)
    # then the pool holds the three codes, spaces stripped, and says so
    pool = CouponPool.objects.get(store=manager.store)
    assert pool.name == "Spring 10%"
    assert codes_of(pool) == ["SPRING-AB12", "SPRING-CD34", "SPRING-EF56"]
    assert "3 codes added." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("dashboard:coupon_pool_detail", args=[pool.pk])


def test_a_plain_list_without_a_header_makes_a_pool(client, manager):
    # given one code per line, no header, Windows line ends and a byte-order mark
    plain = "\ufeffWELCOME-1\r\nWELCOME-2\r\n\r\nWELCOME-3\r\n".encode()
    # when uploaded
    client.post(LIST, {"name": "Welcome", "file": csv_file(plain)})
    # then every line is a code
    assert codes_of(CouponPool.objects.get(store=manager.store)) == ["WELCOME-1", "WELCOME-2", "WELCOME-3"]


def test_codes_already_in_the_store_or_repeated_are_skipped_and_counted(client, manager):
    # given a pool holding A1, and another pool of the store holding B1
    pool = coupon_pool_create(store=manager.store, name="Autumn")
    coupon_pool_add_codes(pool=pool, codes=["A1"])
    coupon_pool_add_codes(pool=coupon_pool_create(store=manager.store, name="Older"), codes=["B1"])
    # when a file with A1, B1, A2 twice and A3 is added to the first pool
    url = reverse("dashboard:coupon_pool_detail", args=[pool.pk])
    response = client.post(url, {"file": csv_file("Discount Code\nA1\nB1\nA2\nA2\nA3\n")}, follow=True)
    # then only A2 and A3 are new, the other three are counted as skipped, and B1 stays in its own pool
    page = response.content.decode()
    assert "2 codes added." in page
    assert "3 skipped: already in your store or repeated in the file." in page
    assert codes_of(pool) == ["A1", "A2", "A3"]
    assert Coupon.objects.get(store=manager.store, code="B1").pool.name == "Older"


def test_a_bad_file_is_refused_naming_its_bad_lines_and_nothing_is_saved(client, manager):
    # given a file with a good code, one too long and one with a control character
    bad = "GOOD-1\n" + "X" * 65 + "\nBAD\x07BELL\nGOOD-2\n"
    # when the manager tries to make a pool of it
    response = client.post(LIST, {"name": "Broken", "file": csv_file(bad)})
    # then the form says which lines are wrong, and neither the pool nor any code exists
    assert response.status_code == 400
    page = response.content.decode()
    assert "nothing was saved" in page
    assert "Line 2: longer than 64 characters" in page
    assert "Line 3: holds a control character" in page
    assert not CouponPool.objects.filter(store=manager.store).exists()
    assert not Coupon.objects.filter(store=manager.store).exists()


def test_a_file_too_large_or_with_too_many_codes_is_refused(client, manager):
    # given a file over 2 MB, and one under 2 MB holding 100,001 codes
    too_big = csv_file(b"C" * 60 + b"\n" + b"X" * (2 * 1024 * 1024))
    too_many = csv_file("".join(f"C{n}\n" for n in range(100_001)))
    # when each is uploaded, then each is refused with its reason and nothing is kept
    response = client.post(LIST, {"name": "Huge", "file": too_big})
    assert response.status_code == 400
    assert "larger than 2 MB" in response.content.decode()
    response = client.post(LIST, {"name": "Many", "file": too_many})
    assert response.status_code == 400
    assert "more than 100,000 codes" in response.content.decode()
    assert not CouponPool.objects.exists()
    assert not Coupon.objects.exists()


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Name,Value,Value Type\nVIP-1,10,percentage\nVIP-2,10,percentage\n", ["VIP-1", "VIP-2"]),
        ("code\nlower-header\n", ["lower-header"]),
        ("Code;Status\nSEMI-1;Active\n", ["SEMI-1"]),
        ('Code,Note\n"QUOTED-1","has, a comma"\n', ["QUOTED-1"]),
        ("ONLY-ONE", ["ONLY-ONE"]),
    ],
)
def test_the_reader_finds_the_codes_column_or_takes_one_code_per_line(text, codes):
    assert codes_from_csv(text.encode()) == codes


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "holds no codes"),
        ("Code\n\n  \n", "holds no codes"),
        ("Title,Status\nX,Active\n", "none is named Code"),
        ("ONE\nTWO,THREE\n", "Line 2: more than one value"),
    ],
)
def test_the_reader_refuses_what_is_not_a_list_of_codes(text, problem):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        codes_from_csv(text.encode())
    assert any(problem in message for message in refused.value.messages)


def test_only_the_first_five_bad_lines_are_listed(client, manager):
    bad = "\n".join("Y" * 70 for _ in range(8))
    response = client.post(LIST, {"name": "Long", "file": csv_file(bad)})
    page = response.content.decode()
    assert "Line 5: longer" in page
    assert "Line 6: longer" not in page
    assert "…and 3 more bad lines." in page


def test_a_file_that_is_not_utf8_is_refused(client, manager):
    response = client.post(LIST, {"name": "Latin", "file": csv_file("CAFÉ-1\n".encode("latin-1"))})
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    assert not CouponPool.objects.exists()


def test_a_second_pool_of_the_same_name_is_refused(client, manager):
    coupon_pool_create(store=manager.store, name="Spring")
    response = client.post(LIST, {"name": "spring", "file": csv_file("S-1\n")})
    assert response.status_code == 400
    assert CouponPool.objects.filter(store=manager.store).count() == 1


def test_the_list_shows_free_issued_and_redeemed_and_the_steps_using_each_pool(client, manager):
    # given a pool of four codes: one issued, one issued and redeemed, and a flow step handing them out
    pool = coupon_pool_create(store=manager.store, name="Win-back codes")
    coupon_pool_add_codes(pool=pool, codes=["W1", "W2", "W3", "W4"])
    now = timezone.now()
    Coupon.objects.filter(code="W1").update(issued_at=now)
    Coupon.objects.filter(code="W2").update(issued_at=now, redeemed_at=now)
    step = Flow.objects.get(store=manager.store, kind=FlowKind.ABANDONED_CART).steps.order_by("position").first()
    step.incentive_pool = pool
    step.save(update_fields=["incentive_pool"])
    # when the manager opens the pools page
    response = client.get(LIST)
    # then the counts and the step are shown, with the explanation
    (row,) = response.context["pools"]
    assert (row.free, row.issued, row.redeemed) == (2, 2, 1)
    assert [s.pk for s in row.steps.all()] == [step.pk]
    page = response.content.decode()
    assert reverse("dashboard:step_edit", args=[step.pk]) in page
    assert "Each code goes to one buyer only." in page


def test_the_pools_page_costs_the_same_queries_for_one_pool_or_many(client, manager, django_assert_max_num_queries):
    coupon_pool_add_codes(pool=coupon_pool_create(store=manager.store, name="P0"), codes=["P0-1"])
    client.get(LIST)
    with django_assert_max_num_queries(8) as one:
        client.get(LIST)
    for n in range(1, 6):
        coupon_pool_add_codes(pool=coupon_pool_create(store=manager.store, name=f"P{n}"), codes=[f"P{n}-1"])
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(LIST)


def test_another_stores_pool_is_a_404_and_gets_no_codes(client, manager):
    # given a pool of another store
    theirs = coupon_pool_create(store=StoreFactory(), name="Not yours")
    url = reverse("dashboard:coupon_pool_detail", args=[theirs.pk])
    # when the manager opens it or uploads codes to it, then it does not exist for them
    assert client.get(url).status_code == 404
    assert client.post(url, {"file": csv_file("SNEAKY-1\n")}).status_code == 404
    assert not Coupon.objects.filter(code="SNEAKY-1").exists()
    assert "Not yours" not in client.get(LIST).content.decode()


def test_support_cannot_upload_codes_nor_open_the_pools(client):
    # given a support member and a pool of their store
    support = MembershipFactory(role="support")
    client.force_login(support.user)
    pool = coupon_pool_create(store=support.store, name="Spring")
    detail = reverse("dashboard:coupon_pool_detail", args=[pool.pk])
    # when they try to create a pool or add codes, then both are refused and nothing is saved
    assert client.post(LIST, {"name": "Mine", "file": csv_file("S-1\n")}).status_code == 403
    assert client.post(detail, {"file": csv_file("S-2\n")}).status_code == 403
    assert client.get(LIST).status_code == 403
    assert list(CouponPool.objects.filter(store=support.store)) == [pool]
    assert not Coupon.objects.filter(store=support.store).exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.post(LIST, {"name": "Mine", "file": csv_file("S-1\n")})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not CouponPool.objects.exists()
