"""Forms of the ledger pages: the upload and the export options."""

from __future__ import annotations

from django import forms
from django.conf import settings

from access.policy import has_capability, townships_visible
from common.tabular import TableError, parse_columns_option

ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt")


class UploadForm(forms.Form):
    file = forms.FileField(
        label="台账文件",
        help_text="Excel（.xlsx）或 CSV 文件，用 Excel、WPS 保存的都可以；表头上方可以有标题行。",
        error_messages={"required": "请选择要导入的台账文件", "empty": "上传的文件是空的，请检查后重新选择"},
    )
    columns = forms.CharField(
        label="列对应（可选）",
        required=False,
        help_text="表头与标准台账不同时填写，写成 标准列名=您的表头，例如：公民身份号码=证件号,姓名=学生姓名",
        widget=forms.TextInput(attrs={"placeholder": "字段=表头,字段=表头"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if upload.size > settings.IMPORT_MAX_BYTES:
            limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"文件超过了导入上限 {limit} MB，请分成几个文件后再导入")
        if not name.endswith(ALLOWED_SUFFIXES):
            if name.endswith(".xls"):
                raise forms.ValidationError(
                    "系统不能读取旧版 Excel（.xls），请用 Excel 或 WPS 另存为 .xlsx 后再导入"
                )
            raise forms.ValidationError("只能导入 Excel（.xlsx）或 CSV 文件")
        return upload

    def clean_columns(self):
        text = self.cleaned_data.get("columns") or ""
        try:
            return parse_columns_option(text) if text.strip() else None
        except TableError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ExportForm(forms.Form):
    township = forms.ModelChoiceField(
        label="乡镇（街道）", required=False, queryset=None, empty_label="我的全部辖区"
    )
    include_closed = forms.BooleanField(label="包括已关闭的档案", required=False)
    full_ids = forms.BooleanField(
        label="导出完整证件号",
        required=False,
        help_text="导出完整的公民身份号码和联系电话（会记入审计日志）；不勾选时脱敏导出。",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["township"].queryset = townships_visible(user).order_by("code")
        if not has_capability(user, "registry.reveal"):
            del self.fields["full_ids"]
