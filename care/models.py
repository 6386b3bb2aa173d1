"""Key attention and visits: risk categories and flags (the key-attention register,
重点关注对象工作台账), assessments, the visit and contact cadence, guardianship-failure
escalation, help requests (主动求助) and in-app notifications.

Policy lives in rows with effective dates (RiskCategory, AssessmentForm, CadenceRule,
VisitChecklist, EscalationStepType), loaded from ``care/fixtures/*.json`` by data migrations.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.fields import EncryptedTextField
from common.idnumber import mask_phone, mask_text

# ---------------------------------------------------------------- policy tables


class EffectiveQuerySet(models.QuerySet):
    def in_force(self, on):
        """Rows whose [effective_from, effective_to) period contains ``on``."""
        return self.filter(effective_from__lte=on).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gt=on)
        )


class RiskCategory(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("有效"), default=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("当日起不再适用"))

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("风险类别")
        verbose_name_plural = _("风险类别")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class CadenceRule(models.Model):
    class AppliesTo(models.TextChoices):
        ALL_MIGRANT = "all_migrant", _("全部流动儿童")
        KEY_ATTENTION = "key_attention", _("重点关注儿童")
        # The first home visit of a newly registered or newly migrant child: counted from the
        # later of registration and becoming a migrant child (never from the arrival date).
        FIRST_VISIT = "first_visit", _("新登记或新认定流动儿童的首次走访")

    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=60)
    applies_to = models.CharField(_("适用对象"), max_length=20, choices=AppliesTo.choices)
    interval_months = models.PositiveSmallIntegerField(_("间隔（月）"))
    interval_days = models.PositiveSmallIntegerField(
        _("另加天数"), default=0, help_text=_("间隔按月计算后再加的天数；首次走访的期限按天数规定")
    )
    contact_types = models.JSONField(_("计入的联系方式"), default=list)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("当日起不再适用"))

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访联系频次规则")
        verbose_name_plural = _("走访联系频次规则")
        ordering = ["applies_to", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="care_cadence_code_from"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.effective_from} 起）"


class VisitChecklist(models.Model):
    """The structured checklist of a visit record, versioned: a visit keeps the version it used."""

    version = models.PositiveSmallIntegerField(_("版本"), unique=True)
    items = models.JSONField(_("检查项"))
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访检查表")
        verbose_name_plural = _("走访检查表")
        ordering = ["version"]

    def __str__(self) -> str:
        return f"走访检查表 第{self.version}版"


class AssessmentForm(models.Model):
    class Kind(models.TextChoices):
        GUARDIANSHIP = "guardianship", _("家庭监护能力评估")
        RISK = "risk", _("风险评估")

    code = models.SlugField(_("代码"), max_length=40)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=60)
    version = models.PositiveSmallIntegerField(_("版本"))
    items = models.JSONField(_("题目"), help_text=_("[{code, text, options: [{label, score}]}]"))
    bands = models.JSONField(
        _("结果分级"), help_text=_("[{min, max, level, raises: [风险类别代码]}]，按得分落入区间")
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("评估表")
        verbose_name_plural = _("评估表")
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="care_form_code_version")]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"


class EscalationStepType(models.Model):
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("措施"), max_length=60)
    order = models.PositiveSmallIntegerField(_("顺序"))
    acting_body = models.CharField(_("实施主体"), max_length=60)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        verbose_name = _("监护干预措施")
        verbose_name_plural = _("监护干预措施")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- visits and contacts


class VisitKind(models.TextChoices):
    HOME = "上门走访", _("上门走访")
    PHONE = "电话", _("电话")
    VIDEO = "视频", _("视频")
    SCHOOL = "在校", _("在校")
    WORKSTATION = "工作站", _("工作站")


class VisitOutcome(models.TextChoices):
    REACHED = "reached", _("已见到（已联系上）")
    NOT_REACHED = "not_reached", _("未见到（未联系上）")


def counts_toward_cadence() -> Q:
    """The one definition of a visit or contact that counts toward the cadence (the due dates of
    the work lists, the compliance measures): it reached the child or family, and it says what
    was found — a checklist answer or a note. An empty record or a "not reached" attempt stays
    on the file but satisfies no visit or contact duty. Used as a filter or inside a
    ``When`` by every query that counts visits (care.status, care.selectors)."""
    return Q(outcome=VisitOutcome.REACHED) & (~Q(notes="") | ~Q(checklist={}))


class Visit(models.Model):
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="care_visits")
    kind = models.CharField(_("方式"), max_length=10, choices=VisitKind.choices)
    visited_on = models.DateField(_("日期"))
    # Blank on records made before the outcome was asked: they count toward nothing until
    # someone who knows completes them.
    outcome = models.CharField(_("结果"), max_length=12, choices=VisitOutcome.choices, blank=True)
    participants = models.CharField(_("参与人员"), max_length=200, blank=True)
    checklist_version = models.ForeignKey(
        VisitChecklist, verbose_name=_("检查表版本"), on_delete=models.PROTECT, null=True, blank=True
    )
    checklist = models.JSONField(_("检查情况"), default=dict, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("走访联系记录")
        verbose_name_plural = _("走访联系记录")
        ordering = ["-visited_on", "-id"]
        indexes = [
            # Covering for the compliance probes (a visit of given kinds in a period, per child).
            models.Index(fields=["child", "visited_on", "kind"], name="care_visit_child_date_kind"),
            models.Index(fields=["visited_on"], name="care_visit_date"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.visited_on}"


class FollowUp(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="follow_ups")
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="care_follow_ups")
    action = models.CharField(_("跟进事项"), max_length=200)
    due_on = models.DateField(_("完成期限"))
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("跟进事项")
        verbose_name_plural = _("跟进事项")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["done_on", "due_on"], name="care_followup_open"),
            # A child's open follow-ups on the file page: without it SQLite walks every open one.
            models.Index(fields=["child", "done_on", "due_on"], name="care_followup_child_open"),
        ]


def _work_list_indexes(lead: str | None, name: str) -> list[models.Index]:
    """The visit and contact lists' partial indexes, in the lists' order, led by a scope column
    (None: the city's). See ``CareStatus.Meta`` for why the flag is both condition and column."""
    first = [lead] if lead else []
    return [
        models.Index(
            fields=[*first, "next_visit_due", "child", "last_home_visit_on", "needs_visit"],
            condition=Q(needs_visit=True),
            name=f"care_status_{name}_visit",
        ),
        models.Index(
            fields=[*first, "next_contact_due", "child", "key_attention"],
            condition=Q(key_attention=True),
            name=f"care_status_{name}_contact",
        ),
    ]


def _copy_of_child(to: str, on_delete) -> models.ForeignKey:
    """A copy of one of the child's scope columns on its summary row: no foreign-key constraint
    of its own (the child's holds), no single-column index (the work-list indexes lead with it)."""
    return models.ForeignKey(
        to, on_delete=on_delete, null=True, related_name="+", db_constraint=False, db_index=False
    )


class CareStatus(models.Model):
    """Per-child summary of the cadence, one row per child.

    Work lists over 1,000,000 children must be indexed queries, so the last visit and
    contact dates and the next due dates are kept here: the visit and flag services
    update a child's row in their transaction, and the daily task recomputes every row
    in bulk (rules change by effective date, statuses change with the registry).
    Overdue is not stored: it is ``next_*_due < today``, computed at read time.

    The child's township, village and school are copied here (written by the same refreshes
    that every change of a child's facts sets off, registry.hooks → care.hooks), so that a
    director's work list is scoped by this table's own indexes (access.policy's
    ``scoped_by_child(..., local=True)``) instead of joining every child of the villages.
    A closed file needs no copy: ``needs_visit`` and ``key_attention`` are false for it.
    """

    child = models.OneToOneField(
        "registry.Child", on_delete=models.CASCADE, primary_key=True, related_name="care_status"
    )
    # Copies of the child's columns (``_copy_of_child``).
    township = _copy_of_child("places.Unit", models.PROTECT)
    village = _copy_of_child("places.Unit", models.PROTECT)
    school = _copy_of_child("schools.School", models.SET_NULL)
    needs_visit = models.BooleanField(_("需定期走访"), default=False)
    key_attention = models.BooleanField(_("重点关注"), default=False)
    key_attention_since = models.DateField(_("列入重点关注日期"), null=True, blank=True)
    visit_basis_on = models.DateField(_("走访起算日期"), null=True, blank=True)
    last_home_visit_on = models.DateField(_("最近上门走访"), null=True, blank=True)
    last_contact_on = models.DateField(_("最近联系"), null=True, blank=True)
    next_visit_due = models.DateField(_("下次走访期限"), null=True, blank=True)
    next_contact_due = models.DateField(_("下次联系期限"), null=True, blank=True)
    refreshed_on = models.DateField(_("计算日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("走访状态")
        verbose_name_plural = _("走访状态")
        indexes = [
            models.Index(fields=["needs_visit", "next_visit_due"], name="care_status_visit_due"),
            models.Index(fields=["key_attention", "next_contact_due"], name="care_status_contact_due"),
            # The city's, a village's or a township's work lists: each tab's page is a range of
            # one of these in the list's order (the child breaks ties), each count index-only;
            # ``last_home_visit_on`` is carried for the never-visited tab. Partial on the flag
            # each list requires: SQLite cannot use a boolean column of an index as an equality
            # (Django writes ``WHERE needs_visit``), and the contact indexes hold a few percent.
            # The flag is carried as well: SQLite reads a column of the query's WHERE from the
            # table unless the index holds it, even when the index's condition implies it.
            *_work_list_indexes(None, "city"),
            *_work_list_indexes("village", "village"),
            *_work_list_indexes("township", "township"),
        ]


# ---------------------------------------------------------------- flags and the register


class FlagSource(models.TextChoices):
    ASSESSMENT = "assessment", _("评估")
    VISIT = "visit", _("走访")
    FEED = "feed", _("部门数据")
    IMPORT = "import", _("导入")
    HELP_REQUEST = "help_request", _("主动求助")
    MANUAL = "manual", _("人工登记")
    DATA = "data", _("档案数据")


class RiskFlag(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        CLOSED = "closed", _("已解除")

    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="risk_flags")
    category = models.ForeignKey(RiskCategory, verbose_name=_("风险类别"), on_delete=models.PROTECT)
    source = models.CharField(_("来源"), max_length=20, choices=FlagSource.choices)
    raised_on = models.DateField(_("发现日期"))
    evidence = models.TextField(_("依据"), blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_on = models.DateField(_("确认日期"), null=True, blank=True)
    closed_on = models.DateField(_("解除日期"), null=True, blank=True)
    close_reason = models.CharField(_("解除原因"), max_length=300, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessment = models.ForeignKey(
        "care.Assessment", on_delete=models.SET_NULL, null=True, blank=True, related_name="flags"
    )
    visit = models.ForeignKey(Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="flags")
    help_request = models.ForeignKey(
        "care.HelpRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="flags"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("风险标记")
        verbose_name_plural = _("风险标记")
        ordering = ["-raised_on", "-id"]
        constraints = [
            # One active flag per child and category: raising it again keeps the first.
            models.UniqueConstraint(
                fields=["child", "category"], condition=Q(status="active"), name="care_flag_one_active"
            ),
        ]
        indexes = [
            models.Index(fields=["child", "status"], name="care_flag_child_status"),
            models.Index(fields=["category", "status"], name="care_flag_category_status"),
        ]

    def __str__(self) -> str:
        return f"{self.category}（{self.get_status_display()}）"


class ExitRequest(models.Model):
    """Removing a child's last active flag takes the child off the register: a director asks,
    the township supervisor (or the city) decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已同意")
        REJECTED = "rejected", _("已驳回")

    flag = models.ForeignKey(RiskFlag, on_delete=models.PROTECT, related_name="exit_requests")
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="care_exit_requests")
    reason = models.CharField(_("解除理由"), max_length=300)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("退出重点关注申请")
        verbose_name_plural = _("退出重点关注申请")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["flag"], condition=Q(status="pending"), name="care_exit_one_pending"
            ),
        ]


# ---------------------------------------------------------------- assessments


class Assessment(models.Model):
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="care_assessments")
    form = models.ForeignKey(AssessmentForm, on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField(_("评估日期"))
    answers = models.JSONField(_("答案"), default=dict)
    score = models.IntegerField(_("得分"))
    level = models.CharField(_("结果等级"), max_length=20)
    notes = models.TextField(_("备注"), blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评估记录")
        verbose_name_plural = _("评估记录")
        ordering = ["-assessed_on", "-id"]


# ---------------------------------------------------------------- escalation


def escalation_document_path(instance, filename: str) -> str:
    return f"care/escalation/{instance.child_id}/{instance.stored_name}"


class EscalationStep(models.Model):
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="care_escalations")
    step_type = models.ForeignKey(EscalationStepType, verbose_name=_("措施"), on_delete=models.PROTECT)
    acting_body = models.CharField(_("实施主体"), max_length=100)
    taken_on = models.DateField(_("日期"))
    notes = models.TextField(_("情况说明"), blank=True)
    document = models.FileField(_("文书"), upload_to=escalation_document_path, blank=True)
    document_name = models.CharField(max_length=200, blank=True)
    stored_name = models.CharField(max_length=80, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("监护干预记录")
        verbose_name_plural = _("监护干预记录")
        ordering = ["-taken_on", "-id"]
        indexes = [models.Index(fields=["child", "taken_on"], name="care_escalation_child")]


# ---------------------------------------------------------------- help requests


class HelpRequest(models.Model):
    class Who(models.TextChoices):
        CHILD = "child", _("儿童本人")
        FAMILY = "family", _("家长或家人")
        OTHER = "other", _("其他知情人")

    class Status(models.TextChoices):
        NEW = "new", _("待受理")
        LINKED = "linked", _("已关联儿童")
        CLOSED = "closed", _("已办结")

    class Channel(models.TextChoices):
        WEB = "web", _("网页")
        API = "api", _("小程序")

    reference = models.CharField(_("受理编号"), max_length=20, unique=True)
    who = models.CharField(_("求助人"), max_length=10, choices=Who.choices)
    township = models.ForeignKey("places.Unit", verbose_name=_("所在乡镇（街道）"), on_delete=models.PROTECT)
    description = models.TextField(_("遇到的困难"))
    contact_name = EncryptedTextField(_("称呼"), blank=True, default="")
    contact_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.NEW)
    child = models.ForeignKey(
        "registry.Child", on_delete=models.PROTECT, null=True, blank=True, related_name="care_help_requests"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handling_note = models.CharField(_("处理说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("求助申请")
        verbose_name_plural = _("求助申请")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["township", "status"], name="care_help_township_status")]

    # Shown masked on every staff page; the full values only through care.services.help_request_reveal.
    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone) if self.contact_phone else ""

    @property
    def description_masked(self) -> str:
        return mask_text(self.description)


class RateLimitHit(models.Model):
    """One attempt at a rate-limited public form; counted in the database so that every
    worker process shares one count. The client address is stored only as a keyed hash."""

    bucket = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["bucket", "key", "at"], name="care_ratelimit_lookup")]


# ---------------------------------------------------------------- notifications


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(_("内容"), max_length=300)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    created = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    key = models.CharField(
        max_length=80, blank=True, help_text="de-duplication key, e.g. worklist:2026-11-29"
    )

    class Meta:
        verbose_name = _("消息提醒")
        verbose_name_plural = _("消息提醒")
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="care_notification_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="care_notification_once"
            ),
        ]
