from django import forms

from exchange.models import FeedSource
from exchange.services import MAX_FILE_BYTES


class UploadForm(forms.Form):
    source = forms.ModelChoiceField(
        label="数据来源", queryset=FeedSource.objects.filter(active=True), empty_label="请选择"
    )
    file = forms.FileField(label="文件（.xlsx 或 .csv）")
    is_complete_list = forms.BooleanField(
        label="这是完整名单（教育局：名单中缺失的义务教育阶段儿童将列为疑似失辍学待核实）", required=False
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB，请拆分后再上传")
        if not file.name.lower().endswith((".xlsx", ".xlsm", ".csv", ".txt")):
            raise forms.ValidationError("只能上传 .xlsx 或 .csv 文件；.xls 请先另存为 .xlsx")
        return file


class MappingForm(forms.Form):
    """One select per field of the source: which header of the file holds it."""

    def __init__(self, *args, source: FeedSource, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "（文件中没有此列）")] + [(h, h) for h in headers]
        for f in source.fields:
            self.fields[f["name"]] = forms.ChoiceField(
                label=f["label"] + ("（必填）" if f.get("required") else ""),
                choices=choices,
                required=bool(f.get("required")),
                initial=(source.column_mapping or {}).get(f["name"], ""),
            )

    def mapping(self) -> dict[str, str]:
        return {k: v for k, v in self.cleaned_data.items() if v}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label="确认结果", widget=forms.RadioSelect)
    note = forms.CharField(label="说明", required=False, max_length=200)

    def __init__(self, *args, candidates: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [
            (str(c["child_id"]), f"为档案 {c['child'].file_no}") for c in candidates
        ] + [("new", "都不是，为新儿童")]
