"""The default copy of every default step, per language (the steps themselves: apps/campaigns/flows)."""

from .copy import LANGUAGES, copy_for


def default_content(kind: str, step_key: str) -> tuple[dict, dict, dict]:
    """(subject, preheader, body) per language for a default step."""
    subject, preheader, body = {}, {}, {}
    for language in LANGUAGES:
        s, p, b = copy_for(language).STEPS[(kind, step_key)]
        subject[language], preheader[language], body[language] = s, p, b
    return subject, preheader, body
