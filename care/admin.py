"""Policy tables in the admin site (city administrators only). Changes are audited; a change
of cadence is best made as a new row from a date (care.services.cadence_change), which keeps
the history that due dates before the change were computed from."""

from django.contrib import admin

from audit.services import record
from care.models import AssessmentForm, CadenceRule, EscalationStepType, RiskCategory, VisitChecklist


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(
            actor=request.user,
            action="update" if change else "create",
            obj=obj,
            summary=f"后台{'修改' if change else '新增'}{obj._meta.verbose_name}：{obj}",
            changes={name: str(form.cleaned_data.get(name)) for name in form.changed_data},
        )

    def has_delete_permission(self, request, obj=None):
        return False  # policy rows end by their effective_to date, never disappear


@admin.register(RiskCategory)
class RiskCategoryAdmin(AuditedAdmin):
    list_display = ["order", "code", "name", "active", "effective_from", "effective_to"]


@admin.register(CadenceRule)
class CadenceRuleAdmin(AuditedAdmin):
    list_display = ["code", "name", "applies_to", "interval_months", "effective_from", "effective_to"]
    list_filter = ["applies_to"]


@admin.register(VisitChecklist)
class VisitChecklistAdmin(AuditedAdmin):
    list_display = ["version", "effective_from", "effective_to"]


@admin.register(AssessmentForm)
class AssessmentFormAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "version", "effective_from", "effective_to"]


@admin.register(EscalationStepType)
class EscalationStepTypeAdmin(AuditedAdmin):
    list_display = ["order", "code", "name", "acting_body", "effective_from", "effective_to"]
