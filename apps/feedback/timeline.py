"""A case's timeline, read: the NPS answer, the order's and its shipments' moments, and every CaseEvent
(replies in and out, notes, assignments, status changes, re-surveys, escalation, hand-off), in time order.
Built from a case loaded by `critic_case_for_store` (order, shipments and their events prefetched) plus one
query for the case's own events."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from .models import CaseEvent, CaseEventKind, CaseStatus, CriticCase


@dataclass
class Entry:
    at: datetime
    kind: str  # a CaseEventKind value, or order / shipment / checkpoint
    title: str
    body: str = ""
    author: object = None
    subject: str = ""
    detail: dict = field(default_factory=dict)

    @property
    def internal(self) -> bool:
        return self.kind == CaseEventKind.NOTE

    def as_json(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "title": self.title,
            "subject": self.subject,
            "body": self.body,
            "author": (self.author.email if self.author is not None else None),
        }


def case_events(*, case: CriticCase) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).select_related("author").order_by("happened_at", "id"))


def _event_title(event: CaseEvent) -> str:
    detail = event.detail or {}
    if event.kind == CaseEventKind.REPLY_OUT:
        return _("Reply sent to %(email)s") % {"email": detail.get("to", "")}
    if event.kind == CaseEventKind.REPLY_IN:
        return _("The buyer answered")
    if event.kind == CaseEventKind.NOTE:
        return _("Internal note (not sent)")
    if event.kind == CaseEventKind.ASSIGNED:
        who = detail.get("assignee") or _("nobody")
        return _("Assigned to %(name)s") % {"name": who}
    if event.kind == CaseEventKind.STATUS:
        status = dict(CaseStatus.choices).get(detail.get("status"), detail.get("status", ""))
        return _("Status: %(status)s") % {"status": status}
    if event.kind == CaseEventKind.RESURVEY:
        return _("Re-survey planned for %(date)s") % {"date": detail.get("scheduled_for", "")[:16].replace("T", " ")}
    if event.kind == CaseEventKind.ESCALATED:
        return _("Past the %(hours)s h response target unanswered: the owners were told") % {
            "hours": detail.get("target_hours", "")
        }
    if event.kind == CaseEventKind.HANDOFF:
        if detail.get("ok"):
            return _("Sent to the help desk")
        return _("Sending to the help desk failed: %(error)s") % {"error": detail.get("error", "")}
    return event.get_kind_display()


def case_timeline(*, case: CriticCase, events: list[CaseEvent] | None = None) -> list[Entry]:
    response = case.response
    order = response.order
    entries = [
        Entry(
            at=order.placed_at,
            kind="order",
            title=_("Order %(number)s placed") % {"number": order.number},
        )
    ]
    for shipment in order.shipments.all():
        name = shipment.carrier_name or shipment.carrier or _("Shipment")
        if shipment.shipped_at:
            entries.append(
                Entry(
                    at=shipment.shipped_at,
                    kind="shipment",
                    title=_("Shipped with %(carrier)s %(number)s")
                    % {"carrier": name, "number": shipment.tracking_number},
                )
            )
        for checkpoint in shipment.events.all():
            place = ", ".join(part for part in (checkpoint.city, checkpoint.country) if part)
            entries.append(
                Entry(
                    at=checkpoint.occurred_at,
                    kind="checkpoint",
                    title=f"{name}: {checkpoint.get_status_display()}",
                    body=" · ".join(part for part in (checkpoint.message, place) if part),
                )
            )
        if shipment.delivered_at and not any(e.status == "delivered" for e in shipment.events.all()):
            entries.append(Entry(at=shipment.delivered_at, kind="shipment", title=_("Delivered")))
    entries.append(
        Entry(
            at=case.opened_at,
            kind=CaseEventKind.ANSWER,
            title=_("Answered %(score)s out of 10") % {"score": response.score},
            body=response.comment,
        )
    )
    for event in case_events(case=case) if events is None else events:
        entries.append(
            Entry(
                at=event.happened_at,
                kind=event.kind,
                title=_event_title(event),
                body=event.body,
                author=event.author,
                subject=event.subject,
                detail=event.detail or {},
            )
        )
    order_of_kind = {"order": 0, "shipment": 1, "checkpoint": 2}
    entries.sort(key=lambda entry: (entry.at, order_of_kind.get(entry.kind, 3)))
    return entries
