"""Staged imports of the standard ledger: the upload, then one row per data row with its
outcome. Raw cell values are kept encrypted (they hold ID and phone numbers) so that the
commit can re-read them and the rejected rows can be handed back for correction."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.fields import EncryptedTextField


class LedgerImport(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        PREVIEWED = "previewed", _("待确认")
        COMMITTING = "committing", _("正在导入")
        COMMITTED = "committed", _("已导入")
        FAILED = "failed", _("失败")

    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(
        "places.Unit",
        verbose_name=_("导入范围"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("督导员的乡镇（街道）；空为全市"),
    )
    source = models.CharField(_("来源"), max_length=10, default="web")  # "web" or "command"
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    error = models.TextField(_("错误"), blank=True)
    headers = models.JSONField(_("原表头"), default=list, blank=True)
    mapping = models.JSONField(_("列对应"), default=dict, blank=True)
    warnings = models.JSONField(_("文件提示"), default=list, blank=True)
    on = models.DateField(_("认定基准日"))
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    valid_rows = models.PositiveIntegerField(_("有效行数"), default=0)
    rejected_rows = models.PositiveIntegerField(_("退回行数"), default=0)
    registered = models.PositiveIntegerField(_("新建档案"), default=0)
    updated = models.PositiveIntegerField(_("更新档案"), default=0)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.get_status_display()}）"

    @property
    def batch(self) -> str:
        """The audit batch of every write of this import."""
        return f"ledger-import-{self.pk}"


class LedgerImportRow(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "", _("待导入")
        REGISTERED = "registered", _("新建")
        UPDATED = "updated", _("更新")
        REJECTED = "rejected", _("退回")

    ledger_import = models.ForeignKey(LedgerImport, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(_("行号"))  # data rows from 1, the first row under the header
    cells = EncryptedTextField(_("原始内容"), blank=True, default="")  # JSON {header: value}, encrypted
    shown = models.JSONField(_("脱敏内容"), default=dict, blank=True)
    id_hash = models.CharField(max_length=40, blank=True, default="", db_index=True)
    id_masked = models.CharField(_("公民身份号码（脱敏）"), max_length=40, blank=True, default="")
    valid = models.BooleanField(_("校验通过"), default=False)
    planned = models.CharField(_("预计"), max_length=12, blank=True)  # "register" / "update"
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices, blank=True, default="")
    file_no = models.CharField(_("档案编号"), max_length=20, blank=True)
    migrant_status = models.CharField(_("认定状态"), max_length=12, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    child = models.ForeignKey(
        "registry.Child", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("台账导入行")
        verbose_name_plural = _("台账导入行")
        ordering = ["ledger_import", "number"]
        constraints = [
            models.UniqueConstraint(fields=["ledger_import", "number"], name="ledger_row_unique_number"),
        ]
