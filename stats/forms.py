"""The dashboard's filter: township (within the scope) and period."""

from __future__ import annotations

import datetime as dt

from django import forms

from stats.selectors import Period, default_period

MAX_PERIOD_DAYS = 366 * 5


class StatsFilterForm(forms.Form):
    township = forms.IntegerField(label="乡镇（街道）", required=False, widget=forms.Select)
    start = forms.DateField(
        label="开始日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "开始日期格式不正确，请按 2026-01-01 的格式填写"},
    )
    end = forms.DateField(
        label="结束日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "结束日期格式不正确，请按 2026-01-01 的格式填写"},
    )

    def __init__(self, *args, townships, on: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.on = on
        choices = [("", "全部（本人统计范围）")] + [(t.pk, t.name) for t in townships]
        self.fields["township"].widget.choices = choices
        self.fields["township"].error_messages["invalid"] = "请选择列表中的乡镇（街道）"

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        default = default_period(self.on)
        if start and end and start > end:
            self.add_error("end", "结束日期不能早于开始日期")
        elif start and end and (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("start", "统计期最长五年，请缩短统计期")
        if end and end > self.on:
            self.add_error("end", "结束日期不能晚于今天")
        period = Period(start=start or default.start, end=end or default.end)
        if period.start > period.end and "end" not in self.errors:
            self.add_error("start", "开始日期不能晚于结束日期")
        data["period"] = period
        return data
