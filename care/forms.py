"""Forms of key attention and visits. Every error message is Chinese and says what to do."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from care.models import (
    AssessmentForm,
    EscalationStepType,
    HelpRequest,
    RiskCategory,
    VisitChecklist,
    VisitKind,
    VisitOutcome,
)
from places.models import Unit
from registry.identity import normalise_phone

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def _text(**attrs):
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _area(rows=3, **attrs):
    return forms.Textarea(attrs={"class": "form-control", "rows": rows, **attrs})


def _not_future(value: dt.date | None, label: str = "日期") -> dt.date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(f"{label}不能晚于今天")
    return value


def checklist_fields(
    definition: VisitChecklist | None, initial: dict | None = None
) -> dict[str, forms.Field]:
    """Form fields for a versioned checklist definition (prefix ``cl_``)."""
    fields: dict[str, forms.Field] = {}
    if definition is None:
        return fields
    for item in definition.items:
        name = f"cl_{item['code']}"
        if item.get("type") == "choice":
            fields[name] = forms.ChoiceField(
                label=item["label"],
                choices=[("", "—")] + [(o, o) for o in item["options"]],
                required=False,
                widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                initial=(initial or {}).get(item["code"], ""),
            )
        else:
            fields[name] = forms.CharField(
                label=item["label"],
                required=False,
                max_length=300,
                widget=_text(),
                initial=(initial or {}).get(item["code"], ""),
            )
    return fields


class _ChecklistMixin:
    checklist_definition: VisitChecklist | None = None

    def add_checklist(self, definition, initial=None):
        self.checklist_definition = definition
        self.fields.update(checklist_fields(definition, initial))

    def checklist_answers(self) -> dict:
        return {
            name[3:]: value for name, value in self.cleaned_data.items() if name.startswith("cl_") and value
        }

    def checklist_bound_fields(self):
        return [self[name] for name in self.fields if name.startswith("cl_")]


class VisitForm(_ChecklistMixin, forms.Form):
    kind = forms.ChoiceField(
        label="方式",
        choices=VisitKind.choices,
        initial=VisitKind.HOME,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": "请选择走访联系方式", "invalid_choice": "请选择走访联系方式"},
    )
    visited_on = forms.DateField(
        label="日期", widget=DATE, error_messages={"required": "请填写日期", "invalid": "日期格式不正确"}
    )
    outcome = forms.ChoiceField(
        label="结果",
        choices=VisitOutcome.choices,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        help_text="未见到（未联系上）的记录会保存，但不计入走访联系频次；计入频次还需填写检查情况或情况记录",
        error_messages={
            "required": "请选择结果：已见到儿童或家人，或未见到",
            "invalid_choice": "请选择结果：已见到儿童或家人，或未见到",
        },
    )
    participants = forms.CharField(label="参与人员", required=False, max_length=200, widget=_text())
    notes = forms.CharField(label="情况记录", required=False, max_length=4000, widget=_area())
    flags = forms.ModelMultipleChoiceField(
        label="发现风险（列入重点关注）",
        queryset=RiskCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    flag_evidence = forms.CharField(label="风险依据", required=False, max_length=1000, widget=_area(2))
    follow_up_1 = forms.CharField(label="跟进事项", required=False, max_length=200, widget=_text())
    follow_up_1_due = forms.DateField(label="完成期限", required=False, widget=DATE)
    follow_up_2 = forms.CharField(label="跟进事项（二）", required=False, max_length=200, widget=_text())
    follow_up_2_due = forms.DateField(label="完成期限", required=False, widget=DATE)

    def __init__(self, *args, categories=None, checklist=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flags"].queryset = categories if categories is not None else RiskCategory.objects.none()
        self.fields["flags"].label_from_instance = lambda c: c.name
        self.add_checklist(checklist)

    def clean_visited_on(self):
        return _not_future(self.cleaned_data.get("visited_on"), "走访日期")

    def clean(self):
        data = super().clean()
        for n in (1, 2):
            action, due = data.get(f"follow_up_{n}"), data.get(f"follow_up_{n}_due")
            if action and not due:
                self.add_error(f"follow_up_{n}_due", "请填写跟进事项的完成期限")
            if due and not action:
                self.add_error(f"follow_up_{n}", "请填写跟进事项内容")
            visited = data.get("visited_on")
            if due and visited and due < visited:
                self.add_error(f"follow_up_{n}_due", "完成期限不能早于走访日期")
        if data.get("flags") and not (data.get("flag_evidence") or "").strip():
            self.add_error("flag_evidence", "列入重点关注请简要写明依据")
        return data

    def follow_ups(self) -> list[tuple[str, dt.date]]:
        out = []
        for n in (1, 2):
            action = self.cleaned_data.get(f"follow_up_{n}")
            if action:
                out.append((action, self.cleaned_data[f"follow_up_{n}_due"]))
        return out


class VisitEditForm(_ChecklistMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    kind = VisitForm.base_fields["kind"]
    visited_on = VisitForm.base_fields["visited_on"]
    outcome = VisitForm.base_fields["outcome"]
    participants = VisitForm.base_fields["participants"]
    notes = VisitForm.base_fields["notes"]

    def __init__(self, *args, checklist=None, checklist_initial=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_checklist(checklist, checklist_initial)

    def clean_visited_on(self):
        return _not_future(self.cleaned_data.get("visited_on"), "走访日期")


class FlagForm(forms.Form):
    category = forms.ModelChoiceField(
        label="风险类别",
        queryset=RiskCategory.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": "请选择风险类别", "invalid_choice": "请选择风险类别"},
    )
    raised_on = forms.DateField(label="发现日期", widget=DATE, error_messages={"required": "请填写发现日期"})
    evidence = forms.CharField(
        label="依据", max_length=1000, widget=_area(), error_messages={"required": "请写明列入重点关注的依据"}
    )

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = (
            categories if categories is not None else RiskCategory.objects.none()
        )
        self.fields["category"].label_from_instance = lambda c: c.name

    def clean_raised_on(self):
        return _not_future(self.cleaned_data.get("raised_on"), "发现日期")


class FlagCloseForm(forms.Form):
    reason = forms.CharField(
        label="解除原因", max_length=300, widget=_area(2), error_messages={"required": "请填写解除原因"}
    )


class ExitDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="审批",
        choices=[("approve", "同意"), ("reject", "驳回")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择审批结果", "invalid_choice": "请选择审批结果"},
    )
    note = forms.CharField(label="审批意见", required=False, max_length=300, widget=_text())

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "驳回时请填写审批意见")
        return data


class ApproveFlagForm(forms.Form):
    flag = forms.IntegerField(widget=forms.HiddenInput)


class AssessmentEntryForm(forms.Form):
    assessed_on = forms.DateField(
        label="评估日期", widget=DATE, error_messages={"required": "请填写评估日期"}
    )
    notes = forms.CharField(label="备注", required=False, max_length=2000, widget=_area(2))

    def __init__(self, *args, form_definition: AssessmentForm, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition = form_definition
        for item in form_definition.items:
            self.fields[f"q_{item['code']}"] = forms.TypedChoiceField(
                label=item["text"],
                choices=[(str(i), f"{o['label']}") for i, o in enumerate(item["options"])],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": f"请回答：{item['text']}", "invalid_choice": "选项无效"},
            )

    def clean_assessed_on(self):
        return _not_future(self.cleaned_data.get("assessed_on"), "评估日期")

    def answers(self) -> dict[str, int]:
        return {n[2:]: v for n, v in self.cleaned_data.items() if n.startswith("q_")}

    def item_fields(self):
        return [self[n] for n in self.fields if n.startswith("q_")]


class EscalationForm(forms.Form):
    step_type = forms.ModelChoiceField(
        label="措施",
        queryset=EscalationStepType.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": "请选择措施", "invalid_choice": "请选择措施"},
    )
    taken_on = forms.DateField(label="日期", widget=DATE, error_messages={"required": "请填写日期"})
    acting_body = forms.CharField(
        label="实施主体",
        required=False,
        max_length=100,
        widget=_text(placeholder="默认为该措施的法定实施主体"),
    )
    notes = forms.CharField(label="情况说明", required=False, max_length=4000, widget=_area())
    document = forms.FileField(label="文书（可选）", required=False)

    def __init__(self, *args, step_types=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step_type"].queryset = (
            step_types if step_types is not None else EscalationStepType.objects.none()
        )
        self.fields["step_type"].label_from_instance = lambda s: f"{s.order}. {s.name}（{s.acting_body}）"

    def clean_taken_on(self):
        return _not_future(self.cleaned_data.get("taken_on"))


class HelpRequestForm(forms.Form):
    who = forms.ChoiceField(
        label="您是",
        choices=HelpRequest.Who.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择您是谁", "invalid_choice": "请选择您是谁"},
    )
    township = forms.ModelChoiceField(
        label="所在乡镇（街道）",
        queryset=Unit.objects.filter(level=Unit.Level.TOWNSHIP, active=True).order_by("code"),
        empty_label="请选择",
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": "请选择所在乡镇（街道）", "invalid_choice": "请选择所在乡镇（街道）"},
    )
    description = forms.CharField(
        label="遇到了什么困难",
        min_length=5,
        max_length=2000,
        widget=_area(4),
        error_messages={
            "required": "请简要说明遇到的困难",
            "min_length": "请简要说明遇到的困难（至少5个字）",
            "max_length": "内容过长，请控制在2000字以内",
        },
    )
    contact_name = forms.CharField(label="怎么称呼您（可选）", required=False, max_length=50, widget=_text())
    contact_phone = forms.CharField(
        label="联系电话（可选）",
        required=False,
        max_length=30,
        widget=_text(inputmode="tel", autocomplete="tel"),
        help_text="留下电话，工作人员会尽快与您联系",
    )

    def clean_contact_phone(self):
        try:
            return normalise_phone(self.cleaned_data.get("contact_phone"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class HelpCloseForm(forms.Form):
    note = forms.CharField(
        label="办结说明", max_length=300, widget=_text(), error_messages={"required": "请填写办结说明"}
    )


class ComplianceForm(forms.Form):
    start = forms.DateField(label="开始日期", widget=DATE, error_messages={"invalid": "开始日期格式不正确"})
    end = forms.DateField(label="结束日期", widget=DATE, error_messages={"invalid": "结束日期格式不正确"})
    by = forms.ChoiceField(
        label="统计口径",
        choices=[("township", "按乡镇（街道）"), ("village", "按村（社区）"), ("worker", "按儿童主任")],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "结束日期不能早于开始日期")
        return data
