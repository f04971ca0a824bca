from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max, Min, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.customers.models import ConsentEvent, Customer
from apps.demo.bulk import bulk_insert, next_id
from apps.orders.models import Cart, CartLine, Order, OrderLine, OrderStatus, Product
from apps.rollups.models import RollupState
from apps.shipments.carriers import CARRIERS
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from apps.stores.models import Membership, Role, SocialNetwork, Store

pytestmark = pytest.mark.django_db

SCALE = 30


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", scale=SCALE, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo(settings) -> Store:
    settings.DEBUG = True
    seed()
    return Store.objects.get(slug="demo")


def row_counts() -> dict[str, int]:
    models = [
        Store,
        Membership,
        Product,
        Customer,
        ConsentEvent,
        Order,
        OrderLine,
        Shipment,
        TrackingEvent,
        Cart,
        CartLine,
    ]
    return {model.__name__: model.objects.count() for model in models}


def test_the_demo_store_is_believable_and_its_three_people_can_sign_in(demo):
    # given a seeded database (the fixture), then the store carries a full brand
    assert demo.name == "Northwind Coffee Roasters"
    assert (demo.default_language, demo.time_zone, demo.currency) == ("en", "Europe/Rome", "EUR")
    assert demo.languages == ["en", "ru", "it", "ko", "kk"]
    assert set(demo.social_links) <= set(SocialNetwork.values) and demo.social_links
    assert demo.sender_email and demo.support_email and demo.review_url and demo.newsletter_url
    assert demo.postal_address
    demo.full_clean(exclude=["logo"])
    # and the owner, manager and support teammate sign in with "demo"
    roles = dict(Membership.objects.filter(store=demo).values_list("user__username", "role"))
    assert roles == {
        "demo@example.com": Role.OWNER,
        "manager@example.com": Role.MANAGER,
        "support@example.com": Role.SUPPORT,
    }
    for user in get_user_model().objects.filter(username__in=roles):
        assert user.check_password("demo")
    # and the owner has a second store to switch to
    tea = Membership.objects.get(store__slug="demo-tea", user__username="demo@example.com")
    assert tea.role == Role.OWNER


def test_the_store_has_customers_orders_shipments_and_carts(demo):
    # then there are `scale` customers, each with orders, and the orders have lines and shipments
    assert Customer.objects.filter(store=demo).count() == SCALE
    assert not Customer.objects.filter(store=demo, orders__isnull=True).exists()
    orders = Order.objects.filter(store=demo)
    assert orders.count() >= 2 * SCALE
    assert not orders.filter(lines__isnull=True).exists()
    assert orders.filter(source="demo").count() == orders.count()
    assert Shipment.objects.filter(store=demo).count() > SCALE
    assert Cart.objects.filter(store=demo).exists()
    assert Product.objects.filter(store=demo).count() >= 40
    assert Product.objects.filter(store=demo, related_products__isnull=False).exists()
    assert Product.objects.filter(store=demo, replenishment_days=30).exists()


def test_a_shipment_waits_in_every_normalised_status(demo):
    statuses = set(Shipment.objects.filter(store=demo).values_list("status", flat=True))
    assert statuses == set(ShipmentStatus.values)


def test_every_shipment_tells_its_story_in_2_to_6_events_that_end_in_its_status(demo):
    shipments = Shipment.objects.filter(store=demo).prefetch_related("events")
    now = timezone.now()
    for shipment in shipments:
        events = sorted(shipment.events.all(), key=lambda event: event.occurred_at)
        assert 2 <= len(events) <= 6, shipment.pk
        assert [e.occurred_at for e in events] == sorted({e.occurred_at for e in events})
        last = events[-1]
        assert (last.status, last.raw_status, last.occurred_at) == (
            shipment.status,
            shipment.raw_status,
            shipment.last_event_at,
        )
        assert last.occurred_at <= now
        assert shipment.shipped_at == events[0].occurred_at
        assert (shipment.delivered_at is not None) == (shipment.status == ShipmentStatus.DELIVERED)
        assert len({e.dedupe_key for e in events}) == len(events)
        assert {e.source for e in events} == {shipment.status_source}
        assert shipment.tracking_url == CARRIERS[shipment.carrier].url_for(shipment.tracking_number)
        assert shipment.carrier_name == CARRIERS[shipment.carrier].name


def test_abandoned_carts_wait_at_many_ages_and_converted_ones_point_at_the_buyers_order(demo):
    now = timezone.now()
    limits = [
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(days=1),
        timedelta(days=2),
        timedelta(days=4),
        timedelta(days=7),
        timedelta(days=21),
    ]
    open_carts = Cart.objects.filter(store=demo, converted_order__isnull=True)
    ages = {sum(now - cart.updated_at > limit for limit in limits) for cart in open_carts}
    assert len(ages) >= 6, ages
    assert not open_carts.filter(email="").exists()
    assert not Cart.objects.filter(store=demo, lines__isnull=True).exists()
    for cart in Cart.objects.filter(store=demo, converted_order__isnull=False).select_related("converted_order"):
        assert cart.converted_order.customer_id == cart.customer_id
        assert cart.converted_at == cart.converted_order.placed_at
        assert cart.updated_at < cart.converted_at


def test_every_child_row_belongs_to_its_parents_store(demo):
    mismatches = {
        "order/customer": Order.objects.exclude(store=F("customer__store")),
        "line/order": OrderLine.objects.exclude(store=F("order__store")),
        "line/product": OrderLine.objects.exclude(store=F("product__store")),
        "shipment/order": Shipment.objects.exclude(store=F("order__store")),
        "event/shipment": TrackingEvent.objects.exclude(store=F("shipment__store")),
        "consent/customer": ConsentEvent.objects.exclude(store=F("customer__store")),
        "cart/customer": Cart.objects.filter(customer__isnull=False).exclude(store=F("customer__store")),
        "cart/order": Cart.objects.filter(converted_order__isnull=False).exclude(store=F("converted_order__store")),
        "cart line/cart": CartLine.objects.exclude(store=F("cart__store")),
        "cart line/product": CartLine.objects.exclude(store=F("product__store")),
        "related products": Product.objects.filter(related_products__isnull=False).exclude(
            store=F("related_products__store")
        ),
    }
    assert {name: rows.count() for name, rows in mismatches.items()} == dict.fromkeys(mismatches, 0)


def test_customer_aggregates_equal_what_their_orders_say(demo):
    # the rule of apps.orders.selectors.order_stats_for_customer: every order but the cancelled ones
    counted = ~Q(orders__status=OrderStatus.CANCELLED)
    customers = Customer.objects.filter(store__slug__in=["demo", "demo-tea"]).annotate(
        n=Count("orders", filter=counted),
        spent=Sum("orders__total", filter=counted),
        first=Min("orders__placed_at", filter=counted),
        last=Max("orders__placed_at", filter=counted),
    )
    for customer in customers:
        assert (customer.orders_count, customer.total_spent, customer.first_order_at, customer.last_order_at) == (
            customer.n,
            customer.spent or 0,
            customer.first,
            customer.last,
        ), customer.email


def test_orders_add_up_and_are_numbered_in_the_order_they_were_placed(demo):
    orders = Order.objects.filter(store=demo).annotate(lines_total=Sum(F("lines__unit_price") * F("lines__quantity")))
    for order in orders:
        assert order.subtotal == order.lines_total
        assert order.total == order.subtotal - order.discount_total + order.shipping_total
        assert order.email == order.customer.email and order.currency == "EUR"
        assert len(order.tracking_token) >= 22
    numbers = [int(n.lstrip("#")) for n in orders.order_by("placed_at", "number").values_list("number", flat=True)]
    assert numbers == sorted(numbers) and numbers[0] == 10001
    assert Order.objects.values("tracking_token").distinct().count() == Order.objects.count()
    assert Order.objects.filter(store=demo, status=OrderStatus.CANCELLED, cancelled_at__isnull=False).exists()


def test_consenting_customers_have_the_history_behind_it(demo):
    customers = Customer.objects.filter(store=demo)
    assert customers.filter(marketing_consent=True).exists()
    for customer in customers.filter(marketing_consent=True):
        latest = ConsentEvent.objects.filter(customer=customer).order_by("-occurred_at").first()
        assert latest.granted
        assert (latest.source, latest.occurred_at) == (customer.consent_source, customer.consent_at)
    for customer in customers.filter(suppressed_at__isnull=False):
        assert not customer.marketing_consent and customer.suppression_reason
    assert {c.locale for c in customers} <= {"en", "ru", "it", "ko", "kk"}
    assert all(c.email == c.email.lower() and c.first_name and c.last_name for c in customers)


def test_seeding_again_without_reset_changes_nothing(demo):
    # given a seeded database
    before = row_counts()
    # when it is seeded again
    output = seed()
    # then nothing changed and the login is repeated
    assert row_counts() == before
    assert "already seeded" in output and "demo@example.com / demo" in output


def test_reset_rebuilds_the_demo_stores_from_scratch(demo):
    # given a seeded store someone played with
    stray = Customer.objects.create(store=demo, email="someone@example.com")
    old_ids = set(Store.objects.filter(slug__in=["demo", "demo-tea"]).values_list("pk", flat=True))
    # when it is seeded with --reset
    seed(reset=True)
    # then the old stores and everything in them are gone, and new ones stand in their place
    assert not Store.objects.filter(pk__in=old_ids).exists()
    assert not Customer.objects.filter(pk=stray.pk).exists()
    assert not Customer.objects.filter(store_id__in=old_ids).exists()
    assert Customer.objects.filter(store__slug="demo").count() == SCALE
    assert Membership.objects.filter(store__slug="demo").count() == 3
    assert get_user_model().objects.filter(username="demo@example.com").count() == 1


def test_reset_leaves_other_stores_alone(demo):
    # given another store with a customer
    other = Store.objects.create(slug="someone-else", name="Someone Else")
    Customer.objects.create(store=other, email="keep@example.com")
    # when the demo is rebuilt, then the other store's data stays
    seed(reset=True)
    assert Customer.objects.filter(store=other, email="keep@example.com").exists()


def test_seeding_is_refused_when_debug_is_off(settings):
    # given production settings
    settings.DEBUG = False
    # when someone seeds, then it is refused and nothing is written
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not Store.objects.filter(slug="demo").exists()


def test_force_seeds_even_when_debug_is_off(settings):
    settings.DEBUG = False
    seed(force=True)
    assert Store.objects.filter(slug="demo").exists()


def test_bulk_insert_fills_left_out_fields_with_their_model_defaults(settings):
    # given a store, and a customer row that names only some columns
    store = Store.objects.create(slug="bulk", name="Bulk")
    now = timezone.now()
    first = next_id(Customer)
    # when it is bulk inserted
    written = bulk_insert(
        Customer, ["id", "store", "email", "created_at", "modified_at"], [(first, store.pk, "a@example.com", now, now)]
    )
    # then the rest have what Customer() would have given them
    customer = Customer.objects.get(pk=first)
    assert written == 1
    assert (customer.orders_count, customer.total_spent, customer.marketing_consent) == (0, 0, False)
    assert customer.created_at == now


@pytest.mark.postgres
@pytest.mark.parametrize("may_skip_checks", [True, False], ids=["superuser", "no-replica-role"])
def test_the_big_load_path_builds_the_same_kind_of_store(settings, monkeypatch, may_skip_checks):
    # given the thresholds of a big load lowered to this small one: worker processes encode the chunks,
    # and the bulk tables are loaded without their indexes (rebuilt after); their foreign keys stay unchecked
    # where the session may switch triggers off, else are dropped and checked after
    from apps.demo import seed as demo_module

    settings.DEBUG = True
    monkeypatch.setattr(demo_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(demo_module, "DEFER_INDEXES_FROM", 1)
    monkeypatch.setattr(demo_module, "CHUNK_CUSTOMERS", 7)
    monkeypatch.setattr(demo_module, "_worth_rebuilding", lambda scale: True)
    if not may_skip_checks:  # in the module the seed calls into (another test may have imported the app afresh)
        bulk_globals = demo_module.constraints_deferred.__wrapped__.__globals__
        monkeypatch.setitem(bulk_globals, "_replica_role_set", lambda connection, tables: None)
    schema_before = bulk_table_schema()
    # when the demo is seeded
    output = seed()
    # then the store is complete and consistent, every constraint came back and every reference holds
    store = Store.objects.get(slug="demo")
    if may_skip_checks:
        assert "kept 18 foreign keys, not checked" in output and "checked 18 foreign keys" not in output
    else:
        assert "dropped 18 foreign keys" in output and "checked 18 foreign keys" in output
    assert Customer.objects.filter(store=store).count() == SCALE
    assert set(Shipment.objects.filter(store=store).values_list("status", flat=True)) == set(ShipmentStatus.values)
    assert not OrderLine.objects.exclude(store=F("order__store")).exists()
    assert bulk_table_schema() == schema_before
    assert foreign_keys_broken() == []
    assert session_replication_role() == "origin"


@pytest.mark.postgres
def test_a_trusted_load_fires_the_reference_checks_again_after_its_block():
    from django.db import IntegrityError, transaction

    from apps.demo.bulk import constraints_deferred

    # given a load whose references are trusted (the seed's)
    store = Store.objects.create(slug="bulk", name="Bulk")
    fields = ["id", "store", "customer", "granted", "source", "occurred_at"]
    with pytest.raises(IntegrityError), transaction.atomic():
        with constraints_deferred([ConsentEvent], references_trusted=True, progress=lambda message: None):
            assert session_replication_role() == "replica"
        # when the same transaction then writes a row pointing at no customer, then it is refused
        assert session_replication_role() == "origin"
        bulk_insert(ConsentEvent, fields, [(next_id(ConsentEvent), store.pk, 10**12, True, "checkout", timezone.now())])
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not ConsentEvent.objects.filter(store=store).exists()


@pytest.mark.postgres
def test_a_session_that_may_not_switch_triggers_off_keeps_them_and_its_transaction():
    from django.db import transaction

    from apps.demo.bulk import _replica_role_set

    # given a role without the right to set session_replication_role (not a superuser)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE ROLE afterglow_seed_probe NOLOGIN")
        cursor.execute("SET LOCAL ROLE afterglow_seed_probe")
        # when the load asks, then it is told no, and the transaction goes on with triggers on
        assert _replica_role_set(connection, [ConsentEvent._meta.db_table]) is None
        assert session_replication_role() == "origin"
        cursor.execute("RESET ROLE")
        transaction.set_rollback(True)


@pytest.mark.postgres
def test_a_trusted_load_into_a_table_with_its_own_trigger_keeps_it_firing_and_checks_the_references():
    from django.db import transaction

    from apps.demo.bulk import constraints_deferred

    # given a trigger of the database's own on a table the load writes
    store = Store.objects.create(slug="bulk", name="Bulk")
    customer = Customer.objects.create(store=store, email="a@example.com")
    messages: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION pg_temp.consent_noted() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN NEW.note := 'noted by a trigger'; RETURN NEW; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER consent_noted BEFORE INSERT ON {ConsentEvent._meta.db_table} "
            "FOR EACH ROW EXECUTE FUNCTION pg_temp.consent_noted()"
        )
        # when rows are loaded with their references trusted
        with constraints_deferred([ConsentEvent], references_trusted=True, progress=messages.append):
            assert session_replication_role() == "origin"
            fields = ["id", "store", "customer", "granted", "source", "occurred_at"]
            bulk_insert(
                ConsentEvent, fields, [(next_id(ConsentEvent), store.pk, customer.pk, True, "checkout", timezone.now())]
            )
        # then the trigger fired, and the foreign keys were dropped and checked rather than skipped
        assert ConsentEvent.objects.get(customer=customer).note == "noted by a trigger"
        assert "checked 2 foreign keys" in messages
        transaction.set_rollback(True)


def session_replication_role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('session_replication_role')")
        return cursor.fetchone()[0]


def foreign_keys_broken() -> list[str]:
    """The foreign keys on the bulk tables that PostgreSQL refuses to add again: each is dropped and added back
    (which checks every row) inside a savepoint."""
    from django.db import IntegrityError, transaction

    from apps.demo.rows import BULK_MODELS

    tables = [model._meta.db_table for model in BULK_MODELS]
    broken = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        for table, name, definition in cursor.fetchall():
            try:
                with transaction.atomic():
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            except IntegrityError:
                broken.append(name)
    return broken


@pytest.mark.postgres
def test_a_load_that_repeats_an_id_fails_when_its_keys_are_rebuilt_and_leaves_nothing():
    from django.db import IntegrityError, transaction

    from apps.demo.bulk import constraints_deferred

    # given a customer, and consent events loaded without the table's primary key (no other table points at it)
    store = Store.objects.create(slug="bulk", name="Bulk")
    customer = Customer.objects.create(store=store, email="a@example.com")
    schema_before = bulk_table_schema()
    first, now = next_id(ConsentEvent), timezone.now()
    fields = ["id", "store", "customer", "granted", "source", "occurred_at"]
    rows = [(first, store.pk, customer.pk, True, "checkout", now), (first, store.pk, customer.pk, False, "email", now)]
    # when two rows share an id, then the load fails as the key is built again
    deferred = constraints_deferred([ConsentEvent], progress=lambda message: None)
    with pytest.raises(IntegrityError), transaction.atomic(), deferred:
        assert bulk_insert(ConsentEvent, fields, rows) == 2
    # and nothing of it stays, the key included
    assert not ConsentEvent.objects.filter(customer=customer).exists()
    assert bulk_table_schema() == schema_before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # no test transaction around it: autocommit, as a careless caller has
def test_deferring_constraints_outside_a_transaction_is_refused_and_changes_nothing():
    from apps.demo.bulk import constraints_deferred

    schema_before = bulk_table_schema()
    with pytest.raises(RuntimeError, match="inside a transaction"), constraints_deferred([ConsentEvent]):
        pass
    assert bulk_table_schema() == schema_before


@pytest.mark.postgres
def test_a_load_that_keeps_its_indexes_keeps_its_primary_keys_too():
    from django.db import transaction

    from apps.demo.bulk import constraints_deferred

    with transaction.atomic(), constraints_deferred([ConsentEvent], drop_indexes=False):
        kept = {name for name, _ in bulk_table_schema()}
    assert "customers_consentevent_pkey" in kept


def bulk_table_schema() -> set[tuple[str, str]]:
    """Every index and constraint definition on the tables the seed loads in bulk."""
    from django.db import connection

    from apps.demo.rows import BULK_MODELS

    tables = [model._meta.db_table for model in BULK_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) "
            "UNION SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid::regclass::text = ANY(%s)",
            [tables, tables],
        )
        return set(cursor.fetchall())


def test_first_start_of_the_demo_emails_no_one_about_its_history(demo, mailoutbox):
    from apps.campaigns.dispatch import message_send, messages_due
    from apps.campaigns.models import Flow, Message, MessageStatus
    from apps.campaigns.scans import SCANS, run_scan

    # given the seeded demo (its flows on, months of orders, carts of every age, parcels stuck and late)
    assert Flow.objects.filter(store=demo, enabled=True, live_since__isnull=False).exists()
    seeded = set(Message.objects.values_list("pk", flat=True))
    # when beat runs every scan on first start, twice, and the dispatcher sends what is due
    for _ in range(2):
        for name in SCANS:
            run_scan(name, store=demo)
        for message_id, _transactional in messages_due():
            message_send(message_id=message_id)
    # then the history planned nothing and no buyer got an email
    assert not Message.objects.exclude(pk__in=seeded).exists()
    assert not Message.objects.filter(status=MessageStatus.SCHEDULED).exists()
    assert mailoutbox == []


def test_the_owners_first_look_at_the_dashboard_finds_the_figures_counted(demo, client):
    # given a fresh seed, when the owner signs in and opens the home for the first time
    client.force_login(get_user_model().objects.get(username="demo@example.com"))
    with CaptureQueriesContext(connection) as queries:
        home = client.get(reverse("dashboard:home"))
    # then the page shows the seeded store's figures without counting them on the way
    assert home.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "rollups_storeday" in q["sql"] and "INSERT" in q["sql"]]
    assert RollupState.objects.filter(store__slug__in=["demo", "demo-tea"]).count() == 2
