from django.db import migrations


def load(apps, schema_editor):
    from exchange.sources import load_sources

    load_sources(
        FeedSource=apps.get_model("exchange", "FeedSource"),
        Department=apps.get_model("network", "Department"),
    )


class Migration(migrations.Migration):
    """The sources' date fields are typed ("type": "date"): an impossible date rejects the row."""

    dependencies = [("exchange", "0007_feedrow_department_reply")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
