"""A store's saved replies: saving and deleting one, and filling one in for a case's buyer."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from apps.stores.models import Language

from ..models import CriticCase, SavedReply
from .case_events import DeskError


def buyer_name(case: CriticCase) -> str:
    customer = case.response.customer
    return (customer.first_name or customer.full_name) if customer else ""


def tracking_link(case: CriticCase) -> str:
    order = case.response.order
    return settings.SITE_URL + order.get_tracking_url() if order.tracking_token else ""


class _Blank(dict):
    def __missing__(self, key):  # an unknown {placeholder} stays as it was
        return "{" + key + "}"


def saved_reply_fill(*, reply: SavedReply, case: CriticCase) -> tuple[str, str]:
    """The saved reply's subject and body with {name}, {order} and {tracking_link} filled for the buyer."""
    values = _Blank(name=buyer_name(case), order=case.response.order.number, tracking_link=tracking_link(case))
    try:
        return reply.subject.format_map(values), reply.body.format_map(values)
    except (ValueError, IndexError):  # stray braces: leave the text as written
        return reply.subject, reply.body


@transaction.atomic
def saved_reply_save(*, store, title: str, language: str, subject: str, body: str) -> SavedReply:
    """Add a saved reply, or replace the one with the same title and language."""
    title, body = (title or "").strip()[:120], (body or "").strip()
    if not title or not body:
        raise DeskError(_("A saved reply needs a title and a text."))
    if language not in Language.values:
        raise DeskError(_("Choose a language."))
    reply, _created = SavedReply.objects.update_or_create(
        store=store, title=title, language=language, defaults={"subject": (subject or "").strip()[:255], "body": body}
    )
    return reply


def saved_reply_delete(*, store, pk: int) -> int:
    deleted, _rows = SavedReply.objects.filter(store=store, pk=pk).delete()
    return deleted
