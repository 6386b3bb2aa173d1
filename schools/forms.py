"""Forms of the schools app. Every field error is a Chinese message; nothing here writes."""

from __future__ import annotations

import re

from django import forms

from access.policy import children_visible, townships_visible, villages_visible
from network.models import Department
from places.models import Unit
from schools.models import Activity, ActivityType, PsychAssessment, School
from schools.services import CALENDAR_FIELDS, MAX_ATTACHMENTS, schools_editable

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_SEPARATORS = re.compile(r"[\s,，、;；]+")
MAX_PARTICIPANTS = 2000


class StyledForm(forms.Form):
    """Bootstrap classes on every widget (the templates render fields one by one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class CalendarForm(StyledForm):
    name = forms.RegexField(
        label="学年",
        regex=r"^\d{4}-\d{4}$",
        max_length=9,
        error_messages={"invalid": "请按“2025-2026”的格式填写学年"},
    )
    school = forms.ModelChoiceField(
        label="学校",
        queryset=School.objects.filter(active=True).select_related("township"),
        required=False,
        empty_label="全市统一校历",
        help_text="留空为全市统一校历；选择学校则为该校单独的校历，覆盖全市校历",
    )
    semester1_start = forms.DateField(label="第一学期开学", widget=DATE)
    semester1_end = forms.DateField(label="第一学期结束", widget=DATE)
    winter_start = forms.DateField(label="寒假开始", widget=DATE)
    winter_end = forms.DateField(label="寒假结束", widget=DATE)
    semester2_start = forms.DateField(label="第二学期开学", widget=DATE)
    semester2_end = forms.DateField(label="第二学期结束", widget=DATE)
    summer_start = forms.DateField(label="暑假开始", widget=DATE)
    summer_end = forms.DateField(label="暑假结束", widget=DATE)

    def dates(self) -> dict:
        return {f: self.cleaned_data[f] for f in CALENDAR_FIELDS}


class FileNumbersField(forms.CharField):
    """File numbers (档案编号) typed or pasted, separated by spaces, commas or line breaks."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "每行一个档案编号，或用空格、逗号分隔"})

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [n for n in dict.fromkeys(_SEPARATORS.split(text.strip())) if n]


def resolve_children(user, numbers: list[str]):
    """The children with these file numbers in the user's scope, or a ValidationError naming the rest."""
    if len(numbers) > MAX_PARTICIPANTS:
        raise forms.ValidationError(f"一次最多填写 {MAX_PARTICIPANTS} 个档案编号")
    found = list(children_visible(user).filter(file_no__in=numbers))
    missing = sorted(set(numbers) - {c.file_no for c in found})
    if missing:
        shown = "、".join(missing[:10]) + ("等" if len(missing) > 10 else "")
        raise forms.ValidationError(f"以下档案编号不存在或不在您的查看范围内：{shown}")
    return found


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ActivityForm(StyledForm):
    type = forms.ChoiceField(label="活动类型", choices=ActivityType.choices)
    title = forms.CharField(label="活动名称", max_length=100)
    date = forms.DateField(label="活动日期", widget=DATE)
    organiser_kind = forms.ChoiceField(label="组织方类型", choices=Activity.OrganiserKind.choices)
    organiser_name = forms.CharField(label="组织方名称", max_length=100)
    school = forms.ModelChoiceField(label="学校", queryset=School.objects.none(), required=False)
    unit = forms.ModelChoiceField(
        label="所在乡镇或村（社区）",
        queryset=Unit.objects.none(),
        required=False,
        help_text="学校组织的活动可不填",
    )
    department = forms.ModelChoiceField(
        label="部门", queryset=Department.objects.filter(active=True), required=False
    )
    place = forms.CharField(label="地点", max_length=100, required=False)
    notes = forms.CharField(label="活动情况", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    other_participants = forms.IntegerField(
        label="其他参与人数",
        min_value=0,
        max_value=100000,
        initial=0,
        required=False,
        help_text="未登记档案的家长、本地儿童等",
    )
    file_numbers = FileNumbersField(label="参加儿童档案编号", required=False)
    whole_school = forms.BooleanField(
        label="本校全部流动学生参加", required=False, help_text="勾选后自动加入所选学校的全部流动学生"
    )
    files = MultipleFileField(label=f"附件（最多 {MAX_ATTACHMENTS} 个）", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["school"].queryset = schools_editable(user).filter(active=True).select_related("township")
        townships = townships_visible(user).filter(pk__in=_own_townships(user))
        self.fields["unit"].queryset = (
            Unit.objects.filter(pk__in=townships) | villages_visible(user)
        ).order_by("code")

    def clean_file_numbers(self):
        return resolve_children(self.user, self.cleaned_data["file_numbers"])

    def clean(self):
        data = super().clean()
        kind = data.get("organiser_kind")
        if kind == Activity.OrganiserKind.SCHOOL and not data.get("school"):
            self.add_error("school", "学校组织的活动请选择学校")
        if kind and kind != Activity.OrganiserKind.SCHOOL and not data.get("unit"):
            self.add_error("unit", "请选择活动所在的乡镇或村（社区）")
        if data.get("whole_school") and not data.get("school"):
            self.add_error("whole_school", "请先选择学校")
        if data.get("files") and len(data["files"]) > MAX_ATTACHMENTS:
            self.add_error("files", f"每项活动最多上传 {MAX_ATTACHMENTS} 个附件")
        return data


def _own_townships(user):
    """Townships where the user works (not the ones whose statistics they only read)."""
    from access.policy import scope_of

    scope = scope_of(user)
    if scope.city:
        return Unit.objects.filter(level=Unit.Level.TOWNSHIP).values("pk")
    return list(scope.township_ids)


class ParticipantsForm(StyledForm):
    file_numbers = FileNumbersField(label="增加参加儿童（档案编号）")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_file_numbers(self):
        numbers = self.cleaned_data["file_numbers"]
        if not numbers:
            raise forms.ValidationError("请填写至少一个档案编号")
        return resolve_children(self.user, numbers)


class AttachmentsForm(StyledForm):
    files = MultipleFileField(label=f"附件（最多 {MAX_ATTACHMENTS} 个）")


class PsychForm(StyledForm):
    date = forms.DateField(label="测评日期", widget=DATE)
    instrument = forms.CharField(
        label="测评工具", max_length=100, help_text="例如：中小学生心理健康量表（MHT）"
    )
    score = forms.DecimalField(label="得分", max_digits=7, decimal_places=2, required=False)
    result = forms.ChoiceField(
        label="测评结果", choices=PsychAssessment.Result.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TermForm(StyledForm):
    """The compliance page's filters."""

    span = forms.ChoiceField(
        choices=[("semester", "本学期"), ("year", "本学年")], required=False, initial="semester"
    )
    township = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False, empty_label="全部乡镇")
    on = forms.DateField(required=False, widget=DATE)

    def __init__(self, *args, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships
