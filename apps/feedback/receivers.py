"""Anymail signal receivers: a buyer's emailed answer to a case reply."""

from .services.case_events import case_reply_receive


def case_reply_inbound(sender, event, esp_name, **kwargs) -> None:
    case_reply_receive(message=event.message, event_id=event.event_id or "", esp_name=esp_name or "")
