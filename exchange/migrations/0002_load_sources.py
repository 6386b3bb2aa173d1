from django.db import migrations


def load(apps, schema_editor):
    from exchange.sources import load_sources

    load_sources(
        FeedSource=apps.get_model("exchange", "FeedSource"),
        Department=apps.get_model("network", "Department"),
    )


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial"), ("network", "0002_load_departments")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
