from django.db import migrations


def load(apps, schema_editor):
    from exchange.sources import load_sources

    load_sources(
        FeedSource=apps.get_model("exchange", "FeedSource"),
        Department=apps.get_model("network", "Department"),
    )


class Migration(migrations.Migration):
    """The sources' fixture gained header synonyms (parents' names and phones, dates of birth)."""

    dependencies = [("exchange", "0003_feedrow_review_identifiers")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
