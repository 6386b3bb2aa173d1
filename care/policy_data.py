"""Loading the care policy tables from ``care/fixtures/*.json`` (used by the data migration).

Rows are matched on their natural keys, so loading again updates texts without duplicating
rows; a change of policy is a new row with a later ``effective_from`` (and the old row's
``effective_to`` set), never an edit that rewrites history.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "care_policy_tianmen_2025.json"
# Rows added to the policy later, each loaded by the data migration of its time (a fixture
# loaded by an older migration must only name the fields its historical models have).
FIRST_VISIT_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "care_policy_first_visit_2025.json"


def _date(value):
    return dt.date.fromisoformat(value) if value else None


def load_policy(apps, path: Path = FIXTURE) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    RiskCategory = apps.get_model("care", "RiskCategory")
    CadenceRule = apps.get_model("care", "CadenceRule")
    VisitChecklist = apps.get_model("care", "VisitChecklist")
    AssessmentForm = apps.get_model("care", "AssessmentForm")
    EscalationStepType = apps.get_model("care", "EscalationStepType")
    for row in data.get("risk_categories", []):
        RiskCategory.objects.update_or_create(
            code=row["code"],
            defaults=dict(
                name=row["name"],
                description=row.get("description", ""),
                order=row["order"],
                effective_from=_date(row["effective_from"]),
                effective_to=_date(row.get("effective_to")),
            ),
        )
    for row in data.get("cadence_rules", []):
        defaults = dict(
            name=row["name"],
            applies_to=row["applies_to"],
            interval_months=row["interval_months"],
            contact_types=row["contact_types"],
            effective_to=_date(row.get("effective_to")),
        )
        if "interval_days" in row:
            defaults["interval_days"] = row["interval_days"]
        CadenceRule.objects.update_or_create(
            code=row["code"], effective_from=_date(row["effective_from"]), defaults=defaults
        )
    for row in data.get("visit_checklists", []):
        VisitChecklist.objects.update_or_create(
            version=row["version"],
            defaults=dict(
                items=row["items"],
                effective_from=_date(row["effective_from"]),
                effective_to=_date(row.get("effective_to")),
            ),
        )
    for row in data.get("assessment_forms", []):
        AssessmentForm.objects.update_or_create(
            code=row["code"],
            version=row["version"],
            defaults=dict(
                kind=row["kind"],
                name=row["name"],
                items=row["items"],
                bands=row["bands"],
                effective_from=_date(row["effective_from"]),
                effective_to=_date(row.get("effective_to")),
            ),
        )
    for row in data.get("escalation_step_types", []):
        EscalationStepType.objects.update_or_create(
            code=row["code"],
            defaults=dict(
                name=row["name"],
                order=row["order"],
                acting_body=row["acting_body"],
                description=row.get("description", ""),
                effective_from=_date(row["effective_from"]),
                effective_to=_date(row.get("effective_to")),
            ),
        )
