"""The setup checklist on the dashboard home: what a new store still has to do before its emails work, each
step's state read from the database. The home shows it until every step is done."""

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from apps.campaigns.selectors import flows_for_store
from apps.integrations.models import Connection, ImportStatus
from apps.integrations.selectors import import_jobs_for_store
from apps.stores.models import Store
from apps.stores.selectors import api_keys_for_store
from apps.stores.sender_domain import sender_domain_ok

SHOP_SOURCES = ("shopify", "woocommerce")
TRACKING_SOURCES = ("aftership", "easypost", "17track")
BRAND_COLOURS = ("primary_colour", "accent_colour", "background_colour")


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    url: str
    help_text: str
    method: str = "get"  # "post": the step is one button (the test email), not a page to go to


def _working_connections(store: Store, sources: tuple[str, ...]):
    connections = Connection.objects.filter(store=store, source__in=sources, enabled=True)
    try:
        Connection._meta.get_field("state")
    except FieldDoesNotExist:  # before connections knew whether they work
        return connections
    return connections.filter(state="connected")


def _connections_url() -> str:
    try:
        return reverse("dashboard:connection_list")
    except NoReverseMatch:  # before the connections page exists
        return reverse("dashboard:import_list")


def shop_connected(store: Store) -> bool:
    """Orders reach Afterglow: a working shop connection, an API key in use, or a CSV import that finished."""
    return (
        _working_connections(store, SHOP_SOURCES).exists()
        or api_keys_for_store(store=store).filter(revoked_at__isnull=True).exists()
        or import_jobs_for_store(store=store).filter(status=ImportStatus.DONE).exists()
    )


def brand_customised(store: Store) -> bool:
    if store.logo:
        return True
    return any(getattr(store, name) != Store._meta.get_field(name).default for name in BRAND_COLOURS)


def setup_checklist(store: Store) -> list[Step]:
    """The six steps, in the order to do them, each done or not."""
    return [
        Step(
            key="shop",
            title=_("Connect your shop"),
            done=shop_connected(store),
            url=_connections_url(),
            help_text=_("Connect Shopify or WooCommerce, or send orders through the API or a CSV import."),
        ),
        Step(
            key="tracking",
            title=_("Connect parcel tracking"),
            done=_working_connections(store, TRACKING_SOURCES).exists(),
            url=_connections_url(),
            help_text=_("Connect AfterShip, EasyPost or 17TRACK, so shipping emails follow each parcel."),
        ),
        Step(
            key="brand",
            title=_("Add your brand"),
            done=brand_customised(store),
            url=reverse("dashboard:brand"),
            help_text=_("Your logo and colours, on the tracking page and in every email."),
        ),
        Step(
            key="sender_domain",
            title=_("Set up your sender domain"),
            done=sender_domain_ok(store),
            url=reverse("dashboard:sender_domain"),
            help_text=_("Add SPF, DKIM and DMARC records, so your emails reach the inbox and not spam."),
        ),
        Step(
            key="test_email",
            title=_("Send yourself a test email"),
            done=store.setup_test_sent_at is not None,
            url=reverse("dashboard:setup_test_send"),
            help_text=_("An order confirmation with sample data, to your own address."),
            method="post",
        ),
        Step(
            key="flows",
            title=_("Turn your flows on"),
            done=flows_for_store(store=store).filter(enabled=True).exists(),
            url=reverse("dashboard:flow_list"),
            help_text=_("Flows start switched off: turn on the emails you want to send."),
        ),
    ]


@dataclass(frozen=True)
class Progress:
    steps: list[Step]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def complete(self) -> bool:
        return self.done == self.total


def setup_progress(store: Store) -> Progress:
    """The checklist with its count, for the home page."""
    return Progress(steps=setup_checklist(store))
