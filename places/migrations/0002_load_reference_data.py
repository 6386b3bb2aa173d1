from django.db import migrations


def load(apps, schema_editor):
    from places.loading import load_counties, load_home_units

    load_counties(apps.get_model("places", "County"))
    load_home_units(apps.get_model("places", "Unit"))


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
