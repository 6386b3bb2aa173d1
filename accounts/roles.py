"""The roles of the plan's network. What each role may see is decided in access.policy."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("市级管理员")
    SUPERVISOR = "supervisor", _("儿童督导员")
    DIRECTOR = "director", _("儿童主任")
    LIAISON = "liaison", _("部门联络员")
    SCHOOL_STAFF = "school_staff", _("学校人员")
    LEADER = "leader", _("领导")
    AUDITOR = "auditor", _("审计员")


# What an assignment of each role is attached to.
ROLE_TARGET = {
    Role.CITY_ADMIN: "unit",  # the city
    Role.SUPERVISOR: "unit",  # a township
    Role.DIRECTOR: "unit",  # a village / community
    Role.LIAISON: "department",
    Role.SCHOOL_STAFF: "school",
    Role.LEADER: "unit",  # the city or a township
    Role.AUDITOR: None,
}
