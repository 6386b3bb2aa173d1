"""The append-only audit log. Each row carries the hash of the previous one."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN = "login", _("登录成功")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKED_OUT = "locked_out", _("账号锁定")
    LOGOUT = "logout", _("退出登录")
    READ = "read", _("查看")
    REVEAL = "reveal", _("查看完整证件号/电话")
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    CLOSE = "close", _("关闭档案")
    DELETE = "delete", _("删除")
    EXPORT = "export", _("导出")
    IMPORT = "import", _("导入")
    DENIED = "denied", _("越权访问被拒绝")
    APPROVE = "approve", _("审批")
    SYSTEM = "system", _("系统任务")


class AuditEvent(models.Model):
    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        # Accounts are deactivated, never deleted, once they have acted: the log must not change.
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    ip = models.CharField(_("IP 地址"), max_length=45, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=50, blank=True, db_index=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True, db_index=True)
    summary = models.CharField(_("摘要"), max_length=300, blank=True)
    changes = models.JSONField(_("变更（前 → 后）"), default=dict, blank=True)
    batch = models.CharField(_("批次"), max_length=64, blank=True, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"]),
            # An object's history without its reads (the child's file lists it on every opening,
            # and each opening adds a read: a file read 10,000 times would scan them all).
            models.Index(
                fields=["object_type", "object_id", "seq"],
                condition=~models.Q(action="read"),
                name="audit_object_changes",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    @property
    def actor_label(self) -> str:
        """Who acted, as people name them: the person's name (the login name when the
        account has none), 系统 for the system. ``actor_name`` keeps the login name for the chain."""
        if self.actor_id is None:
            return "系统"
        return str(self.actor)


class AuditHead(models.Model):
    """One row: the last sequence number and hash. Updating it first serialises writers."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
