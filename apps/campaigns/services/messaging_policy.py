"""The store's sending rules (MessagingPolicy) as the merchant edits them, each within its range."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import MessagingPolicy

# The store's rules the merchant edits, with the range each may take (both ends included). The
# dashboard's form reads the same ranges, so a value refused here is refused there first.
POLICY_LIMITS: dict[str, tuple] = {
    "frequency_cap_count": (0, 50),  # 0: no cap
    "frequency_cap_hours": (1, 24 * 30),
    "quiet_hours_start": (0, 23),
    "quiet_hours_end": (0, 23),  # equal to the start: no quiet hours
    "click_window_days": (1, 90),
    "open_window_days": (0, 30),  # 0: opens never credit an order
    "ab_min_sends": (10, 1_000_000),
    "ab_confidence": (Decimal("0.5"), Decimal("0.999")),
    "response_target_hours": (1, 24 * 30),
    "history_max_age_hours": (1, 24 * 30),
    "lapse_lookback_days": (1, 730),
}


POLICY_FIELDS = frozenset({"marketing_requires_consent", *POLICY_LIMITS})


def _policy_errors(fields: dict) -> dict[str, str]:
    errors = {}
    for name, value in fields.items():
        if name == "marketing_requires_consent":
            if not isinstance(value, bool):
                errors[name] = _("Choose yes or no.")
            continue
        low, high = POLICY_LIMITS[name]
        if name == "ab_confidence":
            try:
                value = Decimal(str(value))
            except ArithmeticError:
                value = None
            ok = value is not None and value.is_finite() and low <= value <= high
            if not ok:
                errors[name] = _("Confidence is between %(low)s and %(high)s (50 %% to 99.9 %%).") % {
                    "low": low,
                    "high": high,
                }
        elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = _("A whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
    return errors


@transaction.atomic
def policy_update(*, store, **fields) -> MessagingPolicy:
    """Change the store's sending rules (consent, frequency cap, quiet hours, attribution windows, A/B
    test thresholds, the critics response target, the history age and the win-back look-back).

    Only the fields given change. Unknown fields are a programming error (ValueError); a value out of
    range raises ValidationError by field name, and nothing is saved."""
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise ValueError(f"not sending-rule fields: {', '.join(sorted(unknown))}")
    errors = _policy_errors(fields)
    if errors:
        raise ValidationError(errors)
    MessagingPolicy.objects.get_or_create(store=store)
    policy = MessagingPolicy.objects.select_for_update().get(store=store)
    for name, value in fields.items():
        if name == "ab_confidence":
            value = Decimal(str(value)).quantize(Decimal("0.001"))
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    store._messaging_policy = policy  # what rules.policy_for keeps on the store object
    return policy
