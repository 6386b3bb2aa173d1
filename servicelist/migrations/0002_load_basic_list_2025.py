"""Load the Tianmen Basic Service List of 2025-07-30 as the first published version."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "basic_list_tianmen_2025.json"


def load(apps, schema_editor):
    from servicelist.rules import validate_service_list

    Version = apps.get_model("servicelist", "ServiceListVersion")
    Group = apps.get_model("servicelist", "ServiceGroup")
    Service = apps.get_model("servicelist", "Service")
    Link = apps.get_model("servicelist", "ServiceDepartment")
    Department = apps.get_model("network", "Department")
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    errors = validate_service_list(data)
    if errors:
        raise ValueError("；".join(errors))
    if Version.objects.filter(code=data["code"]).exists():
        return
    version = Version.objects.create(
        code=data["code"],
        title=data["title"],
        effective_from=data["effective_from"],
        status="published",
        source=data.get("source", ""),
        notes="首个版本：工作方案附件《流动儿童在居住地享有关爱服务基础清单》。",
    )
    groups = {g["name"]: Group.objects.create(version=version, no=g["no"], name=g["name"]) for g in data["groups"]}
    departments = {d.code: d for d in Department.objects.all()}
    for item in data["services"]:
        service = Service.objects.create(
            version=version,
            no=item["no"],
            group=groups[item["group"]],
            name=item["name"],
            target=item["target"],
            content=item["content"],
            rule=item["rule"],
        )
        Link.objects.bulk_create(
            Link(service=service, department=departments[code], position=position)
            for position, code in enumerate(item["departments"])
        )


def unload(apps, schema_editor):
    apps.get_model("servicelist", "ServiceListVersion").objects.filter(code="tianmen-2025").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("servicelist", "0001_initial"),
        ("network", "0002_load_departments"),
    ]

    operations = [migrations.RunPython(load, unload)]
