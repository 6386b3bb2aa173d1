"""Load the risk categories, cadences, checklist, assessment forms and escalation steps of the
Tianmen plan (care/fixtures/care_policy_tianmen_2025.json)."""

from django.db import migrations


def load(apps, schema_editor):
    from care.policy_data import load_policy

    load_policy(apps)


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
