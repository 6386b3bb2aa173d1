"""Forms of the registry. They parse what people type into a ChildInput; the registry's rules
are checked by the services, whose field errors are put back on the form."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.forms import formset_factory

from access.policy import scope_of, villages_visible
from common import idnumber
from places.models import County, Unit
from registry import identity
from registry.choices import (
    DISABILITY_LEVELS,
    CloseReason,
    DisabilityCategory,
    Health,
    InsurancePlace,
    MovedWith,
    Relationship,
    SchoolStage,
    Security,
    Sex,
)
from registry.inputs import ChildInput, GuardianInput
from registry.models import CensusTask

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
BLANK = [("", "—— 请选择 ——")]


def _choices(enum) -> list:
    return BLANK + list(enum.choices)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ChildForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    sex = forms.ChoiceField(label="性别", choices=Sex.choices, widget=forms.RadioSelect)
    birth_date = forms.DateField(label="出生日期", widget=DATE)
    id_number = forms.CharField(
        label="公民身份号码",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off"}),
        help_text="18位；没有身份证号的可以不填",
    )
    ethnicity = forms.CharField(label="民族", max_length=20, required=False, initial="汉族")
    township = UnitChoiceField(label="居住乡镇（街道）", queryset=Unit.objects.none())
    village = UnitChoiceField(label="居住村（社区）", queryset=Unit.objects.none(), required=False)
    address = forms.CharField(label="现居住地址", max_length=200, required=False)
    hukou_county = forms.CharField(
        label="户籍地（县、区）",
        max_length=60,
        required=False,
        help_text="填写6位区划代码，或县（区）名称，如“汉川市”",
    )
    hukou_address = forms.CharField(label="户籍地址", max_length=200, required=False)
    arrival_date = forms.DateField(label="到达天门日期", widget=DATE, required=False)
    moved_with = forms.ChoiceField(label="随迁情况", choices=_choices(MovedWith), required=False)
    school_stage = forms.ChoiceField(label="就学状态", choices=_choices(SchoolStage), required=False)
    school_name = forms.CharField(label="学校名称", max_length=100, required=False)
    grade = forms.CharField(label="年级", max_length=20, required=False)
    health = forms.ChoiceField(label="健康状况", choices=_choices(Health), required=False)
    disability_category = forms.ChoiceField(
        label="残疾类别", choices=_choices(DisabilityCategory), required=False
    )
    disability_level = forms.TypedChoiceField(
        label="残疾等级", choices=BLANK + DISABILITY_LEVELS, coerce=int, empty_value=None, required=False
    )
    security = forms.MultipleChoiceField(
        label="保障类别", choices=Security.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    residence_permit = forms.NullBooleanField(
        label="居住证",
        required=False,
        widget=forms.Select(choices=[("unknown", "未知"), ("true", "有"), ("false", "无")]),
    )
    insurance_place = forms.ChoiceField(label="医保参保地", choices=_choices(InsurancePlace), required=False)
    housing_difficulty = forms.BooleanField(label="住房困难", required=False)
    remarks = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    not_duplicate = forms.BooleanField(label="我已核对上面列出的档案，确认不是同一儿童", required=False)

    # Service error keys -> form fields.
    FIELD_OF = {"township_id": "township", "village_id": "village", "hukou_county_code": "hukou_county"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        scope = scope_of(user)
        townships = Unit.objects.filter(level=Unit.Level.TOWNSHIP)
        if not scope.city:
            parents = Unit.objects.filter(pk__in=scope.village_ids).values("parent_id")
            townships = townships.filter(Q(pk__in=scope.township_ids) | Q(pk__in=parents))
        self.fields["township"].queryset = townships
        self.fields["village"].queryset = villages_visible(user).order_by("parent_id", "code")
        # Most people work in one township or one village: preselect it.
        for name in ("township", "village"):
            choices = list(self.fields[name].queryset.values_list("pk", flat=True)[:2])
            if len(choices) == 1 and not self.initial.get(name):
                self.initial[name] = choices[0]
        if not (scope.city or scope.township_ids) and scope.village_ids:
            self.fields["village"].required = True
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")
            if name in ("name", "id_number", "birth_date"):
                widget.attrs["data-duplicate-check"] = "1"

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number", "")
        if not value or not str(value).strip():
            return ""
        try:
            return idnumber.parse(value).number
        except idnumber.InvalidIdNumber as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_hukou_county(self):
        value = (self.cleaned_data.get("hukou_county") or "").strip()
        if not value:
            return None
        if value.isdigit():
            if len(value) != 6 or not County.objects.filter(code=value).exists():
                raise forms.ValidationError(f"区划代码 {value} 不存在，请填写6位县级区划代码")
            return value
        matches = list(County.objects.filter(name__contains=value).order_by("-current", "code")[:6])
        current = [c for c in matches if c.current]
        chosen = current if len(current) == 1 else matches
        if len(chosen) == 1:
            return chosen[0].code
        if not matches:
            raise forms.ValidationError(f"找不到名为“{value}”的县（区），请改填6位区划代码")
        options = "、".join(str(c) for c in matches[:5])
        raise forms.ValidationError(f"“{value}”对应多个县（区）：{options}，请填写其中一个区划代码")

    def clean(self):
        cleaned = super().clean()
        township, village = cleaned.get("township"), cleaned.get("village")
        if township and village and village.parent_id != township.pk:
            self.add_error("village", "所选村（社区）不属于所选乡镇（街道），请重新选择")
        return cleaned

    def to_input(self, guardians: list[GuardianInput]) -> ChildInput:
        c = self.cleaned_data
        return ChildInput(
            name=c["name"].strip(),
            sex=c["sex"],
            birth_date=c["birth_date"],
            township_id=c["township"].pk,
            id_number=c["id_number"],
            village_id=c["village"].pk if c.get("village") else None,
            ethnicity=c.get("ethnicity", ""),
            hukou_address=c.get("hukou_address", ""),
            hukou_county_code=c.get("hukou_county"),
            arrival_date=c.get("arrival_date"),
            address=c.get("address", ""),
            moved_with=c.get("moved_with", ""),
            school_stage=c.get("school_stage", ""),
            school_name=c.get("school_name", ""),
            grade=c.get("grade", ""),
            health=c.get("health", ""),
            disability_category=c.get("disability_category", ""),
            disability_level=c.get("disability_level"),
            security=list(c.get("security") or []),
            residence_permit=c.get("residence_permit"),
            insurance_place=c.get("insurance_place", ""),
            housing_difficulty=bool(c.get("housing_difficulty")),
            remarks=c.get("remarks", ""),
            guardians=guardians,
        )

    @classmethod
    def initial_from(cls, data: ChildInput, version: int | None = None) -> dict:
        return {
            "name": data.name,
            "sex": data.sex,
            "birth_date": data.birth_date,
            "id_number": data.id_number,
            "ethnicity": data.ethnicity,
            "township": data.township_id,
            "village": data.village_id,
            "address": data.address,
            "hukou_county": data.hukou_county_code or "",
            "hukou_address": data.hukou_address,
            "arrival_date": data.arrival_date,
            "moved_with": data.moved_with,
            "school_stage": data.school_stage,
            "school_name": data.school_name,
            "grade": data.grade,
            "health": data.health,
            "disability_category": data.disability_category,
            "disability_level": data.disability_level,
            "security": data.security,
            "residence_permit": data.residence_permit,
            "insurance_place": data.insurance_place,
            "housing_difficulty": data.housing_difficulty,
            "remarks": data.remarks,
            "version": version,
        }


class GuardianForm(forms.Form):
    name = forms.CharField(label="监护人姓名", max_length=50, required=False)
    relationship = forms.ChoiceField(label="与儿童关系", choices=_choices(Relationship), required=False)
    phone = forms.CharField(
        label="联系电话", max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    id_number = forms.CharField(label="监护人身份证号", max_length=30, required=False)
    is_primary = forms.BooleanField(label="主要监护人", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            else:
                field.widget.attrs.setdefault("class", "form-control")
        self.fields["phone"].widget.attrs["data-duplicate-check"] = "1"

    def clean_phone(self):
        try:
            return identity.normalise_phone(self.cleaned_data.get("phone"))
        except identity.InvalidPhone as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number", "")
        if not value or not str(value).strip():
            return ""
        try:
            return idnumber.parse(value).number
        except idnumber.InvalidIdNumber as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        cleaned = super().clean()
        filled = any(cleaned.get(k) for k in ("name", "phone", "id_number"))
        if filled and not cleaned.get("name"):
            self.add_error("name", "请填写监护人姓名")
        if filled and not cleaned.get("relationship"):
            self.add_error("relationship", "请选择与儿童的关系")
        return cleaned

    def to_input(self) -> GuardianInput | None:
        c = self.cleaned_data
        if not c.get("name"):
            return None
        return GuardianInput(
            name=c["name"].strip(),
            relationship=c["relationship"],
            id_number=c.get("id_number", ""),
            phone=c.get("phone", ""),
            is_primary=bool(c.get("is_primary")),
        )


GuardianFormSet = formset_factory(GuardianForm, extra=0, min_num=1, max_num=4, validate_min=False)


def guardian_initial(data: ChildInput) -> list[dict]:
    rows = [
        {
            "name": g.name,
            "relationship": g.relationship,
            "phone": g.phone,
            "id_number": g.id_number,
            "is_primary": g.is_primary,
        }
        for g in data.guardians
    ]
    return rows or [{"is_primary": True}]


def guardians_from(formset) -> list[GuardianInput]:
    rows = [f.to_input() for f in formset.forms if f.is_valid()]
    guardians = [g for g in rows if g is not None]
    if guardians and not any(g.is_primary for g in guardians):
        guardians[0].is_primary = True
    return guardians


def apply_service_errors(errors: dict, form: ChildForm, formset=None) -> None:
    """Put the services' field errors (InvalidChildData.errors) back on the form fields."""
    for key, message in errors.items():
        if key.startswith("guardians.") and formset is not None:
            _prefix, index, field = key.split(".", 2)
            index = int(index)
            if index < len(formset.forms) and field in formset.forms[index].fields:
                formset.forms[index].add_error(field, message)
                continue
        field = ChildForm.FIELD_OF.get(key, key)
        form.add_error(field if field in form.fields else None, message)


class SearchForm(forms.Form):
    q = forms.CharField(label="搜索", required=False)
    township = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    village = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "全部认定状态"),
            ("migrant", "流动儿童"),
            ("pending", "待满6个月"),
            ("not_migrant", "非流动儿童"),
        ],
    )
    state = forms.ChoiceField(
        required=False, choices=[("open", "在档"), ("closed", "已关闭"), ("all", "全部")]
    )
    stale = forms.BooleanField(required=False)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        label="关闭原因",
        choices=BLANK
        + [(v, label) for v, label in CloseReason.choices if v not in ("turned_16", "local_hukou")],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    destination = forms.CharField(
        label="迁往地（迁离天门时必填）",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "例如：湖北省武汉市江汉区"}),
    )
    note = forms.CharField(
        label="说明", max_length=200, required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class ReopenForm(forms.Form):
    note = forms.CharField(
        label="重新打开的原因", max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class TransferRequestForm(forms.Form):
    to_township = UnitChoiceField(
        label="转入乡镇（街道）",
        queryset=Unit.objects.filter(level=Unit.Level.TOWNSHIP),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(
        label="转移原因",
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "例如：随父母搬到多宝镇居住"}),
    )

    def __init__(self, *args, child=None, **kwargs):
        super().__init__(*args, **kwargs)
        if child is not None:
            # A file moves to another township: its own is not a choice.
            field = self.fields["to_township"]
            field.queryset = field.queryset.exclude(pk=child.township_id)


class TransferDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="处理", choices=[("accept", "接收"), ("reject", "退回")], widget=forms.RadioSelect
    )
    to_village = UnitChoiceField(
        label="接收到村（社区）",
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    note = forms.CharField(
        label="处理意见（退回时必填）",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, transfer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_village"].queryset = Unit.objects.filter(parent_id=transfer.to_township_id)
        self.fields["to_village"].initial = transfer.to_village_id


class DocumentForm(forms.Form):
    title = forms.CharField(
        label="材料名称", max_length=100, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    file = forms.FileField(
        label="文件（PDF、JPG、PNG、Word、Excel）",
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
    )


class CensusOpenForm(forms.Form):
    name = forms.CharField(
        label="名称",
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "2026年秋季摸排"}),
    )
    period_start = forms.DateField(
        label="开始日期", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    period_end = forms.DateField(
        label="结束日期", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )
    deadline = forms.DateField(
        label="完成期限", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = dt.date.today()
        self.fields["period_start"].initial = today
        self.fields["period_end"].initial = today + dt.timedelta(days=45)
        self.fields["deadline"].initial = today + dt.timedelta(days=30)


class CensusVerifyForm(forms.Form):
    outcome = forms.ChoiceField(
        label="核实结果",
        choices=[(v, label) for v, label in CensusTask.Status.choices if v not in ("pending", "updated")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="说明（已迁离、查无此人时必填）",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
