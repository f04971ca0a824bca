"""What the step editor posts, for tests that drive it."""


def step_form_data(step, **changes) -> dict:
    """The step's values, in every language, with `changes` (e.g. body_en=...)."""
    data = {
        "delay_value": step.delay_minutes,
        "delay_unit": "minutes",
        "enabled": "on",
        "exit_on_order": "on",
        "incentive_kind": step.incentive_kind,
        "incentive_value": step.incentive_value,
        "incentive_valid_days": step.incentive_valid_days,
        "incentive_monthly_budget": step.incentive_monthly_budget,
        "incentive_pool": step.incentive_pool_id or "",
    }
    for part in ("subject", "preheader", "body"):
        for language, text in (getattr(step, part) or {}).items():
            data[f"{part}_{language}"] = text
    return {**data, **changes}
