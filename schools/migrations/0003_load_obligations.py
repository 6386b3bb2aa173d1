"""Load the obligations of the plan (schools/fixtures/obligations.json)."""

import datetime as dt
import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "obligations.json"


def load(apps, schema_editor):
    Obligation = apps.get_model("schools", "Obligation")
    for row in json.loads(FIXTURE.read_text(encoding="utf-8")):
        row = dict(row)
        key = {"code": row.pop("code"), "effective_from": dt.date.fromisoformat(row.pop("effective_from"))}
        if row.get("effective_to"):
            row["effective_to"] = dt.date.fromisoformat(row["effective_to"])
        Obligation.objects.update_or_create(**key, defaults=row)


def unload(apps, schema_editor):
    Obligation = apps.get_model("schools", "Obligation")
    codes = [row["code"] for row in json.loads(FIXTURE.read_text(encoding="utf-8"))]
    Obligation.objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("schools", "0002_calendar_obligations_activities_psych")]

    operations = [migrations.RunPython(load, unload)]
