"""The registry: one file per child (一人一档), households and guardians, census rounds,
transfers and documents. Identity and phone numbers are stored encrypted with a blind index."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.fields import EncryptedTextField
from registry.choices import (
    DISABILITY_LEVELS,
    CloseReason,
    DisabilityCategory,
    Health,
    InsurancePlace,
    MigrantStatus,
    MovedWith,
    Relationship,
    SchoolStage,
    Sex,
)


class FileNumberCounter(models.Model):
    """Hands out file numbers in blocks (bulk imports reserve many at once)."""

    last = models.BigIntegerField(default=0)


class Household(models.Model):
    address = models.CharField(_("现居住地址"), max_length=200, blank=True)
    township = models.ForeignKey("places.Unit", on_delete=models.PROTECT, related_name="+", null=True)
    village = models.ForeignKey(
        "places.Unit", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("家庭")
        verbose_name_plural = _("家庭")


class Guardian(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="guardians")
    name = models.CharField(_("监护人姓名"), max_length=50)
    relationship = models.CharField(_("与儿童关系"), max_length=10, choices=Relationship.choices)
    id_number = EncryptedTextField(_("监护人公民身份号码"), blank=True, default="")
    id_hash = models.CharField(max_length=40, blank=True, default="", db_index=True)
    id_masked = models.CharField(_("监护人身份证号（脱敏）"), max_length=18, blank=True, default="")
    phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    phone_hash = models.CharField(max_length=40, blank=True, default="", db_index=True)
    phone_masked = models.CharField(_("联系电话（脱敏）"), max_length=20, blank=True, default="")
    is_primary = models.BooleanField(_("主要监护人"), default=True)

    class Meta:
        verbose_name = _("监护人")
        verbose_name_plural = _("监护人")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.relationship}）"


class Child(models.Model):
    file_no = models.CharField(_("档案编号"), max_length=20, unique=True)
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    name_pinyin = models.CharField(_("姓名拼音"), max_length=120, blank=True, db_index=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"), db_index=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    id_number = EncryptedTextField(_("公民身份号码"), blank=True, default="")
    id_hash = models.CharField(max_length=40, blank=True, default="")
    id_masked = models.CharField(_("公民身份号码（脱敏）"), max_length=18, blank=True, default="")

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="children")
    moved_with = models.CharField(_("随迁情况"), max_length=10, choices=MovedWith.choices, blank=True)
    hukou_address = models.CharField(_("户籍地址"), max_length=200, blank=True)
    hukou_county = models.ForeignKey(
        "places.County", verbose_name=_("户籍地区划"), null=True, blank=True, on_delete=models.PROTECT
    )
    arrival_date = models.DateField(_("到达本地日期"), null=True, blank=True)
    township = models.ForeignKey(
        "places.Unit", verbose_name=_("居住乡镇（街道）"), on_delete=models.PROTECT, related_name="+"
    )
    village = models.ForeignKey(
        "places.Unit",
        verbose_name=_("居住村（社区）"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    address = models.CharField(_("现居住地址"), max_length=200, blank=True)

    school_stage = models.CharField(_("就学状态"), max_length=10, choices=SchoolStage.choices, blank=True)
    school = models.ForeignKey(
        "schools.School",
        verbose_name=_("学校"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pupils",
    )
    school_name = models.CharField(_("学校名称"), max_length=100, blank=True)
    grade = models.CharField(_("年级"), max_length=20, blank=True)
    health = models.CharField(_("健康状况"), max_length=10, choices=Health.choices, blank=True)
    disability_category = models.CharField(
        _("残疾类别"), max_length=10, choices=DisabilityCategory.choices, blank=True
    )
    disability_level = models.PositiveSmallIntegerField(
        _("残疾等级"), choices=DISABILITY_LEVELS, null=True, blank=True
    )
    security = models.JSONField(_("保障类别"), default=list, blank=True)
    residence_permit = models.BooleanField(_("居住证"), null=True, blank=True)
    insurance_place = models.CharField(
        _("医保参保地"), max_length=10, choices=InsurancePlace.choices, blank=True
    )
    housing_difficulty = models.BooleanField(_("住房困难"), default=False)
    remarks = models.TextField(_("备注"), blank=True)

    # Computed by registry.status (never typed).
    migrant_status = models.CharField(
        _("认定状态"),
        max_length=12,
        choices=MigrantStatus.choices,
        default=MigrantStatus.PENDING,
    )
    status_reason = models.CharField(_("认定说明"), max_length=200, blank=True)
    migrant_from = models.DateField(_("认定为流动儿童之日"), null=True, blank=True)
    status_computed_on = models.DateField(_("认定计算日期"), null=True, blank=True)

    # Not indexed: nearly every row is open (NULL), and an index here leads SQLite's planner
    # (without statistics) away from the selective status, township and date indexes.
    closed_at = models.DateField(_("档案关闭日期"), null=True, blank=True)
    close_reason = models.CharField(_("关闭原因"), max_length=20, choices=CloseReason.choices, blank=True)
    close_note = models.CharField(_("关闭说明"), max_length=200, blank=True)
    close_destination = models.CharField(_("迁往地"), max_length=100, blank=True)

    last_verified_on = models.DateField(_("最近核实日期"), null=True, blank=True, db_index=True)
    pending_verification = models.BooleanField(
        _("待核实"), default=False, help_text=_("由部门数据发现、尚未经儿童主任核实")
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("儿童档案")
        verbose_name_plural = _("儿童档案")
        ordering = ["file_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_hash"], condition=~Q(id_hash=""), name="child_unique_id_number"
            ),
        ]
        indexes = [
            models.Index(fields=["id_hash"], name="child_id_hash"),
            models.Index(fields=["township", "migrant_status"], name="child_township_status"),
            models.Index(fields=["village", "migrant_status"], name="child_village_status"),
            models.Index(fields=["school", "migrant_status"], name="child_school_status"),
            models.Index(fields=["migrant_status", "birth_date"], name="child_status_birth"),
            # Covering indexes for the open-file counts of a township or village (home cards).
            models.Index(
                fields=["township", "closed_at", "migrant_status", "last_verified_on"],
                name="child_township_open",
            ),
            models.Index(
                fields=["village", "closed_at", "migrant_status", "last_verified_on"],
                name="child_village_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.file_no}）"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


def document_path(instance, filename: str) -> str:
    return f"documents/{instance.child_id}/{instance.stored_name}"


class ChildDocument(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(_("名称"), max_length=100)
    original_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=80)
    file = models.FileField(upload_to=document_path)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件材料")
        verbose_name_plural = _("附件材料")
        ordering = ["-uploaded_at"]


class Transfer(models.Model):
    """A child moving to another township inside Tianmen: the receiving supervisor accepts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待接收")
        ACCEPTED = "accepted", _("已接收")
        REJECTED = "rejected", _("已退回")
        WITHDRAWN = "withdrawn", _("已撤回（档案关闭）")

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="transfers")
    from_township = models.ForeignKey(
        "places.Unit", verbose_name=_("转出乡镇"), on_delete=models.PROTECT, related_name="+"
    )
    from_village = models.ForeignKey(
        "places.Unit", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    to_township = models.ForeignKey(
        "places.Unit", verbose_name=_("转入乡镇"), on_delete=models.PROTECT, related_name="+"
    )
    to_village = models.ForeignKey(
        "places.Unit",
        verbose_name=_("转入村（社区）"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reason = models.CharField(_("转移原因"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("处理意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("儿童转移")
        verbose_name_plural = _("儿童转移")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"], condition=Q(status="pending"), name="transfer_one_pending_per_child"
            ),
        ]
        indexes = [models.Index(fields=["to_township", "status"], name="transfer_to_status")]


class CensusRound(models.Model):
    """A census round (摸排): every open file gets a verification task."""

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    name = models.CharField(_("名称"), max_length=100)
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    deadline = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("摸排轮次")
        verbose_name_plural = _("摸排轮次")
        ordering = ["-period_start", "-id"]

    def __str__(self) -> str:
        return self.name


class CensusTask(models.Model):
    """One child to re-verify in a round, for the child director of the village."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待核实")
        CONFIRMED = "confirmed", _("已核实无变化")
        UPDATED = "updated", _("已核实并更新")
        MOVED = "moved", _("已迁离")
        NOT_FOUND = "not_found", _("查无此人")
        # Settled without a verdict: the file was closed (registry.closing) before it was verified.
        CLOSED = "closed", _("档案已关闭")

    round = models.ForeignKey(CensusRound, on_delete=models.PROTECT, related_name="tasks")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="census_tasks")
    # The child's township and village when the task was made, kept in step on transfers and
    # edits: progress and scoping read the task table alone.
    township = models.ForeignKey("places.Unit", on_delete=models.PROTECT, related_name="+", null=True)
    village = models.ForeignKey("places.Unit", on_delete=models.PROTECT, related_name="+", null=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("摸排核实任务")
        verbose_name_plural = _("摸排核实任务")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "child"], name="census_task_unique_child"),
        ]
        indexes = [
            models.Index(fields=["round", "village", "status"], name="census_task_village"),
            # Covers the per-village progress of one township as well.
            models.Index(fields=["round", "township", "village", "status"], name="census_task_township_v"),
        ]


class ClosureProposal(models.Model):
    """A proposal to close a file, for the township supervisor to approve or reject: made by a
    census verdict of 已迁离 or 查无此人, or by a child director who wants a file closed.
    Approved, the file closes through ``registry.closing.close_files`` like every other closing."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已同意")
        REJECTED = "rejected", _("已驳回")
        WITHDRAWN = "withdrawn", _("已撤销（档案已关闭）")

    class Source(models.TextChoices):
        CENSUS = "census", _("摸排核实")
        REQUEST = "request", _("申请关闭")

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="closure_proposals")
    reason = models.CharField(_("关闭原因"), max_length=20, choices=CloseReason.choices)
    note = models.CharField(_("情况说明"), max_length=200, blank=True)
    destination = models.CharField(_("迁往地"), max_length=100, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    census_task = models.ForeignKey(
        CensusTask, on_delete=models.PROTECT, null=True, blank=True, related_name="closure_proposals"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("关闭档案申请")
        verbose_name_plural = _("关闭档案申请")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"], condition=Q(status="pending"), name="closure_one_pending_per_child"
            ),
        ]
