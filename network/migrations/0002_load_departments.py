from django.db import migrations


def load(apps, schema_editor):
    from network.departments import DEPARTMENTS

    Department = apps.get_model("network", "Department")
    for code, name, full_name in DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name": name, "full_name": full_name})


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
