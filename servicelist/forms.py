"""Forms of the service list app. Every message is Chinese; no input produces a 500."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from network.models import Department
from servicelist import rules
from servicelist.models import Entitlement, NeedFlag, Service, ServiceGroup

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BootstrapForm(forms.Form):
    """Bootstrap classes on the widgets, so templates can render fields plainly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                if isinstance(widget, forms.CheckboxSelectMultiple):
                    widget.attrs.setdefault("class", "form-check-input")
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError onto the form (unknown keys go to the top of the form)."""
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            form.add_error(key if key in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


# ---------------------------------------------------------------- public self-check


class PublicCheckForm(BootstrapForm):
    birth_date = forms.DateField(label="出生日期", required=False, widget=DATE_WIDGET)
    age = forms.IntegerField(
        label="或：年龄（周岁）", required=False, min_value=0, max_value=17, help_text="不知道出生日期时填写"
    )
    school_stage = forms.ChoiceField(
        label="就学状态", required=False, choices=[("", "（请选择）")] + [(s, s) for s in rules.SCHOOL_STAGES]
    )
    health = forms.ChoiceField(
        label="健康状况", required=False, choices=[("", "（请选择）")] + [(s, s) for s in rules.HEALTH_STATES]
    )
    security = forms.MultipleChoiceField(
        label="保障类别（可多选）",
        required=False,
        choices=[(s, s) for s in rules.SECURITY_CATEGORIES],
        widget=forms.CheckboxSelectMultiple,
    )
    housing_difficulty = forms.BooleanField(label="家庭住房困难", required=False)
    emergency_hardship = forms.BooleanField(
        label="遭遇突发性、紧迫性、灾难性困难，生活暂时困难", required=False
    )
    legal_aid_need = forms.BooleanField(label="需要法律援助或司法救助", required=False)

    def clean(self):
        data = super().clean()
        if not data.get("birth_date") and data.get("age") is None and not self.errors:
            raise ValidationError("请填写出生日期或年龄")
        return data

    def payload(self, today: dt.date) -> dict:
        """The same input as the public API takes (so both go through api.parse_check_input)."""
        data = self.cleaned_data
        birth = data.get("birth_date")
        if birth is None:
            # A child of N 周岁 today: born N years ago today at the latest.
            birth = rules._add_months(today, -12 * data["age"])
        return {
            "birth_date": birth.isoformat(),
            "school_stage": data.get("school_stage") or None,
            "health": data.get("health") or None,
            "security": list(data.get("security") or []),
            "housing_difficulty": bool(data.get("housing_difficulty")),
            "emergency_hardship": bool(data.get("emergency_hardship")),
            "legal_aid_need": bool(data.get("legal_aid_need")),
            "on_date": today.isoformat(),
        }


# ---------------------------------------------------------------- editing the list


class DraftForm(BootstrapForm):
    # The code names the version in URLs, the API and the audit; people name it by its title
    # and date, so nobody has to invent one.
    code = forms.SlugField(
        label="版本代码（可不填）",
        max_length=40,
        required=False,
        help_text="不填时由系统生成；只用于数据接口和审计记录",
    )
    title = forms.CharField(label="标题", max_length=100)
    notes = forms.CharField(label="修订说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_code(self) -> str:
        from django.utils import timezone

        from servicelist.models import ServiceListVersion

        code = self.cleaned_data.get("code") or ""
        if code:
            return code
        base = f"list-{timezone.localdate():%Y%m%d}"
        code, n = base, 1
        while ServiceListVersion.objects.filter(code=code).exists():
            n += 1
            code = f"{base}-{n}"
        return code


class ServiceForm(BootstrapForm):
    no = forms.IntegerField(label="序号", min_value=1, max_value=99)
    group = forms.ModelChoiceField(label="类别", queryset=ServiceGroup.objects.none())
    name = forms.CharField(label="服务项目", max_length=100)
    target = forms.CharField(label="服务对象", max_length=200)
    content = forms.CharField(label="服务内容", widget=forms.Textarea(attrs={"rows": 5}))
    departments = forms.ModelMultipleChoiceField(
        label="责任部门",
        queryset=Department.objects.filter(active=True).order_by("id"),
        widget=forms.CheckboxSelectMultiple,
    )
    rule = forms.CharField(
        label="适用规则（JSON）",
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace", "spellcheck": "false"}),
        help_text='例如 {"fact": "age_years", "op": "lte", "value": 6}；true 表示全体流动儿童',
    )
    needs_contact = forms.BooleanField(label="转介时向部门提供监护人完整电话", required=False)

    def __init__(self, *args, version, service: Service | None = None, **kwargs):
        if service is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "no": service.no,
                "group": service.group_id,
                "name": service.name,
                "target": service.target,
                "content": service.content,
                "departments": [d.pk for d in service.department_list()],
                "rule": json.dumps(service.rule, ensure_ascii=False, indent=2),
                "needs_contact": service.needs_contact,
            }
        super().__init__(*args, **kwargs)
        self.service = service
        self.fields["group"].queryset = ServiceGroup.objects.filter(version=version).order_by("no")

    def clean_rule(self):
        text = self.cleaned_data["rule"]
        try:
            rule = json.loads(text)
        except ValueError as error:
            raise ValidationError(f"规则不是有效的 JSON（第 {error.lineno} 行第 {error.colno} 列）") from None
        errors = rules.validate_rule(rule)
        if errors:
            raise ValidationError(errors)
        return rule

    def clean_departments(self):
        chosen = list(self.cleaned_data["departments"])
        # Keep the list's order of departments (the first is the lead); new ones go last.
        previous = [d.pk for d in self.service.department_list()] if self.service else []
        return sorted(chosen, key=lambda d: (previous.index(d.pk) if d.pk in previous else 999, d.pk))


class PublishForm(BootstrapForm):
    effective_from = forms.DateField(label="生效日期", widget=DATE_WIDGET)


# ---------------------------------------------------------------- a child's services


class ReferralForm(BootstrapForm):
    service = forms.ModelChoiceField(label="服务项目", queryset=Service.objects.none())
    department = forms.ModelChoiceField(label="接收部门", queryset=Department.objects.filter(active=True))
    reason = forms.CharField(label="转介事由", widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label="办理期限", widget=DATE_WIDGET)
    share_contact = forms.BooleanField(label="部门需要联系家庭（提供监护人完整电话）", required=False)
    consent = forms.BooleanField(label="监护人已同意转介", required=False)
    consent_by = forms.CharField(label="同意人（监护人）", max_length=50, required=False)
    consent_on = forms.DateField(label="同意日期", required=False, widget=DATE_WIDGET)
    consent_override_reason = forms.CharField(
        label="未取得同意时的转介理由（仅督导员）", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, child, version, **kwargs):
        super().__init__(*args, **kwargs)
        applicable = Entitlement.objects.filter(child=child).exclude(status=Entitlement.Status.NOT_APPLICABLE)
        self.fields["service"].queryset = Service.objects.filter(
            version=version, no__in=applicable.values("no")
        ).order_by("no")
        self.fields["service"].label_from_instance = lambda s: f"{s.no}. {s.name}"
        if "deadline" not in self.initial:
            self.initial["deadline"] = timezone.localdate() + dt.timedelta(days=15)


class EntitlementStatusForm(BootstrapForm):
    status = forms.ChoiceField(
        label="状态",
        choices=[
            (Entitlement.Status.NOT_STARTED, "未开展"),
            (Entitlement.Status.RECEIVING, "正在享受"),
            (Entitlement.Status.DECLINED, "家庭放弃"),
        ],
    )
    reason = forms.CharField(label="说明", max_length=200, required=False)


class NeedFlagForm(BootstrapForm):
    kind = forms.ChoiceField(label="情形", choices=NeedFlag.Kind.choices)
    note = forms.CharField(label="说明", max_length=200, required=False)


class InboxActionForm(BootstrapForm):
    text = forms.CharField(label="理由或反馈", required=False, widget=forms.Textarea(attrs={"rows": 3}))
