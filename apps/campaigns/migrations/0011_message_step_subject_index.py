# A partitioned ledger has no (step, subject_key) unique index (its key lives in MessageKey), so a lookup by
# step and subject read every row of the step in each month's partition. The new index leads with the step,
# so the step's own index goes. It is made before the old one is dropped.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0010_message_indexes_only_where_linked"),
        ("customers", "0005_drop_indexes_a_composite_index_covers"),
        ("orders", "0006_drop_indexes_a_composite_index_covers"),
        ("shipments", "0007_drop_indexes_a_composite_index_covers"),
        ("stores", "0006_user_language"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["step", "subject_key"], name="message_step_subject"),
        ),
        migrations.AlterField(
            model_name="message",
            name="step",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="messages",
                to="campaigns.flowstep",
            ),
        ),
    ]
