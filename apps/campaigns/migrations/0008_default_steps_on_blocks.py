"""Steps still holding the default copy move onto blocks, with the default design; edited ones keep their HTML.

A step counts as untouched when its body, in every language it has, is exactly the default body of that
language (copy/<language>.py STEPS). This migration imports the default copy and designs from the app
(campaigns.copy, campaigns.design.defaults) rather than freezing a copy of them here: they are what a new
store gets today, and a later change of the default wording makes this migration recognise (and convert)
only steps holding that wording, which is the safe direction (an unrecognised step keeps its HTML).
"""

from django.db import migrations

from apps.campaigns.copy import LANGUAGES, copy_for
from apps.campaigns.design.defaults import LAYOUTS, default_designs


def _untouched(body, kind: str, key: str) -> bool:
    if not isinstance(body, dict) or not body:
        return False
    return all(
        language in LANGUAGES and copy_for(language).STEPS[(kind, key)][2] == text for language, text in body.items()
    )


def default_steps_on_blocks(apps, schema_editor):
    FlowStep = apps.get_model("campaigns", "FlowStep")
    steps = FlowStep.objects.filter(editor="html").select_related("flow").only("pk", "body", "key", "flow__kind")
    for step in steps.iterator(chunk_size=500):
        kind = step.flow.kind
        if (kind, step.key) in LAYOUTS and _untouched(step.body, kind, step.key):
            FlowStep.objects.filter(pk=step.pk).update(editor="blocks", design=default_designs(kind, step.key))


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_step_design"),
    ]

    operations = [
        migrations.RunPython(default_steps_on_blocks, migrations.RunPython.noop),
    ]
