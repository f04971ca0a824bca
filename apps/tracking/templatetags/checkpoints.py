"""A carrier checkpoint in people's words, for buyer pages and the dashboard alike (apps.tracking.checkpoints)."""

from django import template

from apps.tracking.checkpoints import checkpoint_sentence

register = template.Library()


@register.filter
def checkpoint_said(event) -> str:
    """The sentence for what the event's carrier code means, in the active language; "" when unknown."""
    return checkpoint_sentence(event)
