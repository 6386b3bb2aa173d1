from django.db import migrations


def load(apps, schema_editor):
    from exchange.sources import load_sources

    load_sources(
        FeedSource=apps.get_model("exchange", "FeedSource"),
        Department=apps.get_model("network", "Department"),
    )


class Migration(migrations.Migration):
    """The sources' fixture gained header synonyms (health screening and vaccination, insurance amounts)."""

    dependencies = [("exchange", "0004_more_header_synonyms")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
