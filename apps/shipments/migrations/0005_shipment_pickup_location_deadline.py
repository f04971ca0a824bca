from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shipments", "0004_flows_act_on_the_present"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipment",
            name="pickup_location",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="shipment",
            name="pickup_deadline",
            field=models.DateField(blank=True, null=True),
        ),
    ]
