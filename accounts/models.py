"""Users and their role assignments (role × unit / department / school)."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROLE_TARGET, Role


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("工作电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username


class Assignment(models.Model):
    """One role of a user over one place, department or school. A user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        "places.Unit", verbose_name=_("辖区"), null=True, blank=True, on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        "network.Department", verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT
    )
    school = models.ForeignKey(
        "schools.School", verbose_name=_("学校"), null=True, blank=True, on_delete=models.PROTECT
    )
    active = models.BooleanField(_("有效"), default=True)
    psych_designated = models.BooleanField(
        _("心理档案指定人员"), default=False, help_text=_("学校人员：可查看本校心理健康档案")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        indexes = [models.Index(fields=["user", "active"])]

    def __str__(self) -> str:
        target = self.unit or self.department or self.school or ""
        return f"{self.get_role_display()} {target}".strip()

    def clean(self) -> None:
        target = ROLE_TARGET.get(Role(self.role))
        set_targets = {
            name for name in ("unit", "department", "school") if getattr(self, f"{name}_id") is not None
        }
        if target is None and set_targets:
            raise ValidationError(_("审计员不绑定辖区、部门或学校"))
        if target and set_targets != {target}:
            labels = {"unit": "辖区", "department": "部门", "school": "学校"}
            raise ValidationError(_("该角色必须且只能指定%(t)s") % {"t": labels[target]})
        if self.role in (Role.SUPERVISOR,) and self.unit and self.unit.level != "township":
            raise ValidationError(_("儿童督导员的辖区必须是乡镇（街道）"))
        if self.role == Role.DIRECTOR and self.unit and self.unit.level != "village":
            raise ValidationError(_("儿童主任的辖区必须是村（社区）"))
        if self.role == Role.CITY_ADMIN and self.unit and self.unit.level != "city":
            raise ValidationError(_("市级管理员的辖区必须是全市"))


class LoginFailure(models.Model):
    """Failed logins by username, for lockout (the audit log keeps the full history)."""

    username = models.CharField(max_length=150, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
