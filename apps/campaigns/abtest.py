"""A/B tests of a step's subject: a stable variant per recipient, and a winner once it is ahead with
the store's confidence (default 95 %) over at least the minimum number of sends per variant.

The chance that each variant is best is estimated from Beta posteriors of its click rate (a uniform
prior), by sampling: simple, and exact enough at the sizes a shop sees.
"""

import hashlib
import random
from dataclasses import dataclass

from django.db.models import Count, Q

from .models import FlowStep, Message, MessageStatus, Variant

SAMPLES = 20_000


def in_holdout(flow, email: str) -> bool:
    """Whether this recipient is in the flow's holdout group: the same buyer always lands on the same side,
    so the group's orders can be compared with those of the buyers who got the emails."""
    if flow.is_transactional or not flow.holdout_percent:
        return False
    point = int(hashlib.sha256(f"holdout:{flow.pk}:{email.strip().lower()}".encode()).hexdigest()[:8], 16) % 100
    return point < flow.holdout_percent


def variant_for(step: FlowStep, subject_key: str, variants: list[Variant] | None = None) -> Variant | None:
    """The same recipient always gets the same variant; weights decide the split."""
    live = variants if variants is not None else list(step.variants.filter(retired=False).order_by("label"))
    if not live:
        return None
    winner = next((v for v in live if v.is_winner), None)
    if winner:
        return winner
    total = sum(v.weight or 1 for v in live)
    point = int(hashlib.sha256(f"{step.pk}:{subject_key}".encode()).hexdigest()[:8], 16) % total
    for variant in live:
        point -= variant.weight or 1
        if point < 0:
            return variant
    return live[-1]


@dataclass(frozen=True)
class VariantResult:
    variant: Variant
    sends: int
    clicks: int
    orders: int
    chance_best: float

    @property
    def click_rate(self) -> float:
        return self.clicks / self.sends if self.sends else 0.0


def chances_best(counts: list[tuple[int, int]], *, samples: int = SAMPLES, seed: int = 7) -> list[float]:
    """P(variant i has the highest rate) for (successes, trials) per variant."""
    rng = random.Random(seed)
    wins = [0] * len(counts)
    for _ in range(samples):
        draws = [rng.betavariate(1 + s, 1 + max(0, n - s)) for s, n in counts]
        wins[draws.index(max(draws))] += 1
    return [w / samples for w in wins]


def results_for(step: FlowStep) -> list[VariantResult]:
    variants = list(step.variants.order_by("label"))
    if not variants:
        return []
    stats = {
        row["variant_id"]: row
        for row in Message.objects.filter(step=step, status=MessageStatus.SENT, variant__isnull=False)
        .values("variant_id")
        .annotate(
            sends=Count("id"),
            clicks=Count("id", filter=Q(clicked_at__isnull=False)),
            orders=Count("id", filter=Q(attributed_order__isnull=False)),
        )
    }
    counts = [(stats.get(v.pk, {}).get("clicks", 0), stats.get(v.pk, {}).get("sends", 0)) for v in variants]
    chances = chances_best(counts)
    return [
        VariantResult(v, stats.get(v.pk, {}).get("sends", 0), stats.get(v.pk, {}).get("clicks", 0),
                      stats.get(v.pk, {}).get("orders", 0), chance)
        for v, chance in zip(variants, chances, strict=True)
    ]  # fmt: skip
