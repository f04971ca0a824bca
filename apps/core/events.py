from django.db import transaction
from django.dispatch import Signal


def announce_after_commit(signal: Signal, sender, **ids) -> None:
    """Send a domain event once the surrounding transaction commits, never for a rolled-back change."""
    transaction.on_commit(lambda: signal.send(sender=sender, **ids), robust=True)
