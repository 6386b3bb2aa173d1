"""Department data exchange: feed sources (policy as data), batches, rows with their
outcome, the review queue, the effects recorded on a child's file, health records and
verification tasks raised by the feeds.

Row values are stored with identifiers masked: a feed row never keeps a clear ID or phone
number; the blind index (``id_hash``) and a keyed content hash are enough to find the row
again and to re-use a reviewer's decision."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.fields import EncryptedTextField


class Effect(models.TextChoices):
    EDUCATION = "education", _("更新就学信息；完整名单中缺失的义务教育阶段儿童列为疑似失辍学")
    POLICE = "police", _("确认居住（居住证、到达日期）")
    HEALTH = "health", _("记录预防接种和健康筛查")
    INSURANCE = "insurance", _("高额医疗费用预警：家庭生活困难核查")
    DISABILITY = "disability", _("更新残疾类别和等级")
    NONE = "none", _("仅比对，不更新档案")


class FeedSource(models.Model):
    """A department's feed: its expected fields and header synonyms, and what a linked row does."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    department = models.ForeignKey(
        "network.Department",
        verbose_name=_("报送部门"),
        on_delete=models.PROTECT,
        related_name="feed_sources",
    )
    fields = models.JSONField(
        _("字段及表头同义词"),
        default=list,
        help_text=_('列表，每项 {"name": 字段, "label": 中文名, "synonyms": [表头…], "required": 是否必填}'),
    )
    column_mapping = models.JSONField(_("已保存的列对应"), default=dict, blank=True)
    effect = models.CharField(_("关联后的处理"), max_length=20, choices=Effect.choices)
    registers_new = models.BooleanField(_("发现未登记儿童时登记为待核实档案"), default=True)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("部门数据来源")
        verbose_name_plural = _("部门数据来源")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class FeedBatch(models.Model):
    class Via(models.TextChoices):
        UI = "ui", _("网页上传")
        API = "api", _("部门接口")
        COMMAND = "command", _("命令行")

    class Status(models.TextChoices):
        PENDING = "pending", _("等待处理")
        MAPPING = "mapping", _("需要指定列对应")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        ROLLED_BACK = "rolled_back", _("已撤销")

    source = models.ForeignKey(FeedSource, verbose_name=_("数据来源"), on_delete=models.PROTECT)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    sha256 = models.CharField(_("文件摘要"), max_length=64, blank=True, db_index=True)
    stored_file = models.CharField(max_length=300, blank=True)  # a private path, removed after the import
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+"
    )
    via = models.CharField(_("方式"), max_length=10, choices=Via.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    is_complete_list = models.BooleanField(_("完整名单"), default=False)
    columns = models.JSONField(_("使用的列对应"), default=dict, blank=True)
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    error = models.TextField(_("错误"), blank=True)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    linked = models.PositiveIntegerField(_("已关联"), default=0)
    review = models.PositiveIntegerField(_("待人工确认"), default=0)
    new = models.PositiveIntegerField(_("新发现"), default=0)
    rejected = models.PositiveIntegerField(_("未采用"), default=0)
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    rolled_back_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("数据批次")
        verbose_name_plural = _("数据批次")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source.name} 第{self.pk}批"

    @property
    def label(self) -> str:
        """The batch name used in audit rows."""
        return f"feed-{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.ROLLED_BACK)


class Outcome(models.TextChoices):
    LINKED = "linked", _("已关联")
    REVIEW = "review", _("待人工确认")
    NEW = "new", _("新发现")
    REJECTED = "rejected", _("未采用")


class FeedRow(models.Model):
    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(_("行号"))  # data rows from 1
    values = models.JSONField(_("内容（证件号、电话已脱敏）"), default=dict)
    # Not indexed: written for every row of large feeds, looked up through ReviewItem only.
    id_hash = models.CharField(max_length=40, blank=True)
    content_hash = models.CharField(max_length=40, blank=True)
    # Kept (encrypted) only while a reviewer has to decide, so that "new child" can register it.
    id_number = EncryptedTextField(blank=True, default="")
    phone = EncryptedTextField(blank=True, default="")
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    child = models.ForeignKey(
        "registry.Child", null=True, blank=True, on_delete=models.SET_NULL, related_name="feed_rows"
    )
    created_child = models.BooleanField(_("本行登记了新档案"), default=False)
    score = models.FloatField(_("得分"), null=True, blank=True)
    contributions = models.JSONField(_("各项得分"), default=list, blank=True)
    reason = models.CharField(_("说明"), max_length=300, blank=True)
    effect = models.JSONField(_("已执行的处理"), default=dict, blank=True)
    # What the sending department is told of the row: {"outcome": received/rejected, "errors": […]},
    # worked out from the row's own data alone (exchange.rows), never from the registry.
    reply = models.JSONField(_("对报送部门的答复"), default=dict, blank=True)

    class Meta:
        verbose_name = _("数据行")
        verbose_name_plural = _("数据行")
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="feedrow_unique_number")]


class ReviewItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("待确认")
        DECIDED = "decided", _("已确认")
        CANCELLED = "cancelled", _("已撤销")

    class Decision(models.TextChoices):
        CHILD = "child", _("为已登记儿童")
        NEW = "new", _("为新儿童")

    row = models.OneToOneField(FeedRow, on_delete=models.CASCADE, related_name="review_item")
    content_hash = models.CharField(max_length=40, db_index=True)
    source = models.ForeignKey(FeedSource, on_delete=models.PROTECT, related_name="+")
    candidates = models.JSONField(_("候选儿童"), default=list)  # [{child_id, score, contributions, reason}]
    township = models.ForeignKey(
        "places.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField(_("决定"), max_length=10, choices=Decision.choices, blank=True)
    child = models.ForeignKey(
        "registry.Child", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("人工确认")
        verbose_name_plural = _("人工确认")
        ordering = ["created_at", "id"]


class ChildEffect(models.Model):
    """What a feed did to a child's file, with the values before (for the rollback)."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("登记为待核实档案")
        SCHOOLING = "schooling", _("更新就学信息")
        DROPOUT = "dropout", _("疑似失辍学")
        RESIDENCE = "residence", _("确认居住")
        HEALTH = "health", _("健康管理信息")
        HARDSHIP = "hardship", _("高额医疗费用预警")
        DISABILITY = "disability", _("更新残疾信息")

    child = models.ForeignKey("registry.Child", on_delete=models.CASCADE, related_name="feed_effects")
    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE, related_name="effects")
    row = models.ForeignKey(FeedRow, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    summary = models.CharField(_("内容"), max_length=300)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("部门数据处理记录")
        verbose_name_plural = _("部门数据处理记录")
        ordering = ["-created_at", "-id"]


class HealthRecord(models.Model):
    """Child health management data pushed by 卫健委 (vaccination, screening)."""

    child = models.ForeignKey("registry.Child", on_delete=models.CASCADE, related_name="health_records")
    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE, related_name="+")
    row = models.ForeignKey(FeedRow, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    vaccination = models.CharField(_("预防接种"), max_length=100, blank=True)
    vaccination_complete = models.BooleanField(_("按程序完成接种"), null=True, blank=True)
    screening = models.CharField(_("健康筛查"), max_length=200, blank=True)
    managed_on = models.DateField(_("健康管理日期"), null=True, blank=True)
    institution = models.CharField(_("管理机构"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("健康管理记录")
        verbose_name_plural = _("健康管理记录")
        ordering = ["-managed_on", "-id"]


class VerificationTask(models.Model):
    """A finding of a feed that a person must verify (possible drop-out, family hardship)."""

    class Kind(models.TextChoices):
        DROPOUT = "dropout", _("失辍学")
        HARDSHIP = "hardship", _("家庭生活困难")
        VACCINATION = "vaccination", _("未按程序接种")

    class Status(models.TextChoices):
        OPEN = "open", _("待核实")
        CONFIRMED = "confirmed", _("情况属实")
        DISMISSED = "dismissed", _("情况不属实")
        CANCELLED = "cancelled", _("已撤销")

    child = models.ForeignKey("registry.Child", on_delete=models.CASCADE, related_name="feed_tasks")
    batch = models.ForeignKey(FeedBatch, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    reason = models.CharField(_("原因"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("待核实事项")
        verbose_name_plural = _("待核实事项")
        ordering = ["-created_at", "-id"]
