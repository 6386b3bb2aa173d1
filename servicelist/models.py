"""The Basic Service List (versioned), per-child entitlements, need flags and referrals (转介).

Services are identified across versions by their number (序号): a child's
entitlement to service 3 carries its status over when a new version of the
list comes into force, as long as the new version still has a service 3.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ServiceListVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    code = models.SlugField(_("版本代码"), max_length=40, unique=True)
    title = models.CharField(_("标题"), max_length=100)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    # The last day in force; null while the version is the latest one.
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    based_on = models.ForeignKey(
        "self", verbose_name=_("复制自"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("依据"), max_length=200, blank=True)
    notes = models.TextField(_("修订说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("服务清单版本")
        verbose_name_plural = _("服务清单版本")
        ordering = ["-effective_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(effective_from__isnull=False),
                name="servicelist_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How people name a version: its title and since when it applies. The code is for
        URLs, the API and the audit, not for screens."""
        if self.effective_from is None:
            return f"{self.title}（草稿）"
        return f"{self.title}（{self.effective_from:%Y-%m-%d}起）"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def in_force_on(self, on: dt.date) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.effective_from is not None
            and self.effective_from <= on
            and (self.effective_to is None or on <= self.effective_to)
        )


class ServiceGroup(models.Model):
    version = models.ForeignKey(ServiceListVersion, on_delete=models.CASCADE, related_name="groups")
    no = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("类别"), max_length=30)

    class Meta:
        verbose_name = _("服务类别")
        verbose_name_plural = _("服务类别")
        ordering = ["version", "no"]
        constraints = [models.UniqueConstraint(fields=["version", "no"], name="servicegroup_unique_no")]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    version = models.ForeignKey(ServiceListVersion, on_delete=models.CASCADE, related_name="services")
    no = models.PositiveSmallIntegerField(_("序号"))
    group = models.ForeignKey(ServiceGroup, verbose_name=_("类别"), on_delete=models.PROTECT)
    name = models.CharField(_("服务项目"), max_length=100)
    target = models.CharField(_("服务对象"), max_length=200)
    content = models.TextField(_("服务内容"))
    departments = models.ManyToManyField(
        "network.Department", verbose_name=_("责任部门"), through="ServiceDepartment", related_name="+"
    )
    # The target group as a condition of servicelist.rules; validated by the services, never eval'd.
    rule = models.JSONField(_("适用规则"), default=bool)
    # A referral for this service shares the guardian's full phone number with the department.
    needs_contact = models.BooleanField(_("部门需联系家庭"), default=False)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["version", "no"]
        constraints = [models.UniqueConstraint(fields=["version", "no"], name="service_unique_no")]

    def __str__(self) -> str:
        return f"{self.no}. {self.name}"

    def department_list(self) -> list:
        """Departments in the list's order (the through table's position)."""
        return [link.department for link in self.department_links.all()]


class ServiceDepartment(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="department_links")
    department = models.ForeignKey("network.Department", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["service", "position"]
        constraints = [
            models.UniqueConstraint(fields=["service", "department"], name="servicedepartment_unique")
        ]


class Entitlement(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未开展")
        REFERRED = "referred", _("已转介")
        RECEIVING = "receiving", _("正在享受")
        DECLINED = "declined", _("家庭放弃")
        NOT_APPLICABLE = "not_applicable", _("不适用")

    # A million children have ~9 million rows: indexes are kept to the three the queries use (the
    # unique (child, no) also serves lookups by child; (version, status, no) serves the gap counts;
    # (child, version, no, status) covers the statistics' count per township, read child by child
    # without touching the table's rows).
    child = models.ForeignKey(
        "registry.Child", on_delete=models.CASCADE, related_name="entitlements", db_index=False
    )
    # The number of the service, stable across versions; service/version point at the list last applied.
    no = models.PositiveSmallIntegerField(_("服务序号"))
    service = models.ForeignKey(
        Service, verbose_name=_("服务项目"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    version = models.ForeignKey(
        ServiceListVersion, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    reason = models.CharField(_("说明"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务享有情况")
        verbose_name_plural = _("服务享有情况")
        ordering = ["child", "no"]
        constraints = [models.UniqueConstraint(fields=["child", "no"], name="entitlement_unique_child_no")]
        indexes = [
            models.Index(fields=["version", "status", "no"], name="entitlement_version_status"),
            models.Index(fields=["child", "version", "no", "status"], name="entitlement_child_version"),
        ]

    def __str__(self) -> str:
        return f"{self.child_id}·{self.no}·{self.status}"


class NeedFlag(models.Model):
    """Circumstances the registry does not hold, recorded by a supervisor: they feed rules 15 and 16."""

    class Kind(models.TextChoices):
        EMERGENCY_HARDSHIP = "emergency_hardship", _("遭遇突发性、紧迫性、灾难性困难")
        LEGAL_AID_NEED = "legal_aid_need", _("符合法律援助或司法救助条件")

    child = models.ForeignKey("registry.Child", on_delete=models.CASCADE, related_name="need_flags")
    kind = models.CharField(_("情形"), max_length=24, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("需求情形")
        verbose_name_plural = _("需求情形")
        ordering = ["-set_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "kind"], condition=Q(active=True), name="needflag_one_active_per_kind"
            )
        ]


class Referral(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", _("已发送")
        ACCEPTED = "accepted", _("已接收")
        REJECTED = "rejected", _("已退回")
        COMPLETED = "completed", _("已办结")

    OPEN_STATUSES = (Status.SENT, Status.ACCEPTED)

    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(
        Service, verbose_name=_("服务项目"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # care.RiskFlag is another app's model; kept as a plain id so this app does not depend on it.
    risk_flag_id = models.PositiveBigIntegerField(_("风险标记"), null=True, blank=True)
    department = models.ForeignKey(
        "network.Department", verbose_name=_("接收部门"), on_delete=models.PROTECT, related_name="referrals"
    )
    reason = models.TextField(_("转介事由"))
    deadline = models.DateField(_("办理期限"))
    share_contact = models.BooleanField(_("向部门提供监护人完整电话"), default=False)
    consent = models.BooleanField(_("监护人已同意"), default=False)
    consent_by = models.CharField(_("同意人"), max_length=50, blank=True)
    consent_on = models.DateField(_("同意日期"), null=True, blank=True)
    consent_override_reason = models.TextField(_("未经同意转介的理由"), blank=True)
    consent_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.SENT, db_index=True
    )
    rejection_reason = models.TextField(_("退回理由"), blank=True)
    feedback = models.TextField(_("办理反馈"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rejected_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("转介")
        verbose_name_plural = _("转介")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status"], name="referral_department_status"),
            models.Index(fields=["status", "deadline"], name="referral_status_deadline"),
        ]

    def __str__(self) -> str:
        return f"转介#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, on: dt.date | None = None) -> bool:
        """Open after its deadline (overdue is derived, never stored)."""
        return self.is_open and self.deadline < (on or timezone.localdate())
