"""Schools, their calendar, the obligations of the plan (as data), activities and the
psychological file. Due / done / overdue are never stored: ``schools.obligations`` derives
them from the calendar and the records."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class School(models.Model):
    class Kind(models.TextChoices):
        KINDERGARTEN = "kindergarten", _("幼儿园")
        PRIMARY = "primary", _("小学")
        JUNIOR = "junior", _("初中")
        NINE_YEAR = "nine_year", _("九年一贯制学校")
        SENIOR = "senior", _("普通高中")
        VOCATIONAL = "vocational", _("中等职业学校")
        SPECIAL = "special", _("特殊教育学校")

    name = models.CharField(_("学校名称"), max_length=100, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    township = models.ForeignKey(
        "places.Unit", verbose_name=_("所在乡镇（街道）"), on_delete=models.PROTECT, related_name="schools"
    )
    active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("学校")
        verbose_name_plural = _("学校")
        ordering = ["township__code", "name"]

    def __str__(self) -> str:
        return self.name


class SchoolYear(models.Model):
    """The calendar of one school year, set by the education bureau. ``school`` empty: the
    city-wide calendar; set: that school's own calendar, which overrides the city's."""

    name = models.CharField(_("学年"), max_length=9, help_text=_("例如 2025-2026"))
    school = models.ForeignKey(
        School,
        verbose_name=_("学校（留空为全市统一校历）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calendars",
    )
    semester1_start = models.DateField(_("第一学期开学"))
    semester1_end = models.DateField(_("第一学期结束"))
    winter_start = models.DateField(_("寒假开始"))
    winter_end = models.DateField(_("寒假结束"))
    semester2_start = models.DateField(_("第二学期开学"))
    semester2_end = models.DateField(_("第二学期结束"))
    summer_start = models.DateField(_("暑假开始"))
    summer_end = models.DateField(_("暑假结束"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("校历")
        verbose_name_plural = _("校历")
        ordering = ["-semester1_start", "school_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(school__isnull=True), name="schoolyear_one_city_calendar"
            ),
            models.UniqueConstraint(
                fields=["name", "school"],
                condition=Q(school__isnull=False),
                name="schoolyear_one_calendar_per_school",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}学年" + (f"（{self.school}）" if self.school_id else "")


class Obligation(models.Model):
    """One duty of the plan, with its cadence and to whom it applies (loaded from
    ``schools/fixtures/obligations.json`` by a data migration)."""

    class Cadence(models.TextChoices):
        PER_SEMESTER = "per_semester", _("每学期")
        PER_SCHOOL_YEAR = "per_school_year", _("每学年")
        BEFORE_EACH_VACATION = "before_each_vacation", _("寒暑假放假前")

    class Scope(models.TextChoices):
        PER_SCHOOL = "per_school", _("每校")
        PER_PUPIL = "per_pupil", _("每名流动学生")

    class Evidence(models.TextChoices):
        ACTIVITY = "activity", _("活动记录")
        PSYCH_ASSESSMENT = "psych_assessment", _("心理健康测评")

    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    basis = models.CharField(_("依据"), max_length=300, blank=True)
    cadence = models.CharField(_("周期"), max_length=24, choices=Cadence.choices)
    scope = models.CharField(_("对象"), max_length=12, choices=Scope.choices)
    min_count = models.PositiveSmallIntegerField(_("每周期至少次数"), default=1)
    evidence = models.CharField(_("完成依据"), max_length=20, choices=Evidence.choices)
    activity_type = models.CharField(_("活动类型"), max_length=30, blank=True)
    school_kinds = models.JSONField(_("适用学校类型"), default=list)
    min_grade = models.PositiveSmallIntegerField(
        _("起始年级"),
        null=True,
        blank=True,
        help_text=_("按 1-12 统一年级：小学 1-6，初中 7-9，高中/中职 10-12"),
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = _("工作要求")
        verbose_name_plural = _("工作要求")
        ordering = ["order", "code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="obligation_code_version"),
        ]

    def __str__(self) -> str:
        return self.name


class ActivityType(models.TextChoices):
    # School activities (the obligations of tasks 6, 7 and 9)
    FAMILY_GUIDANCE = "family_guidance", _("家庭教育指导活动")
    HOME_VISIT = "home_visit", _("家访")
    LEGAL_EDUCATION = "legal_education", _("法治专题教育")
    SAFETY_LECTURE = "safety_lecture", _("安全知识大讲堂")
    MENTAL_HEALTH_EDUCATION = "mental_health_education", _("心理健康教育活动")
    CAMPUS_CULTURE = "campus_culture", _("校园文化活动")
    # Community activities (tasks 8 and 10)
    TONGBAN_MAMA = "tongban_mama", _("童伴妈妈")
    AIXIN_MAMA = "aixin_mama", _("爱心妈妈")
    RAINBOW = "rainbow", _("彩虹行动")
    CARE_CLASS = "care_class", _("爱心托管班")
    READING = "reading", _("阅读指导")
    LETTERS = "letters", _("书信陪伴")
    INTEGRATION = "integration", _("城市融入活动")
    PARENT_JOBS = "parent_jobs", _("家长就业服务")
    SAFETY_EDUCATION = "safety_education", _("安全教育宣传")
    OTHER = "other", _("其他活动")


SCHOOL_ACTIVITY_TYPES = frozenset(
    {
        ActivityType.FAMILY_GUIDANCE,
        ActivityType.HOME_VISIT,
        ActivityType.LEGAL_EDUCATION,
        ActivityType.SAFETY_LECTURE,
        ActivityType.MENTAL_HEALTH_EDUCATION,
        ActivityType.CAMPUS_CULTURE,
    }
)
COMMUNITY_ACTIVITY_TYPES = frozenset(t for t in ActivityType if t not in SCHOOL_ACTIVITY_TYPES)


class Activity(models.Model):
    class OrganiserKind(models.TextChoices):
        SCHOOL = "school", _("学校")
        TOWNSHIP = "township", _("乡镇（街道）")
        COMMUNITY = "community", _("村（社区）")
        DEPARTMENT = "department", _("部门")
        SOCIAL_ORG = "social_org", _("社会组织")

    type = models.CharField(_("活动类型"), max_length=30, choices=ActivityType.choices, db_index=True)
    title = models.CharField(_("活动名称"), max_length=100)
    date = models.DateField(_("活动日期"), db_index=True)
    organiser_kind = models.CharField(_("组织方类型"), max_length=12, choices=OrganiserKind.choices)
    organiser_name = models.CharField(_("组织方名称"), max_length=100)
    school = models.ForeignKey(
        School,
        verbose_name=_("学校"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    unit = models.ForeignKey(
        "places.Unit",
        verbose_name=_("所在乡镇或村（社区）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "network.Department", verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT
    )
    place = models.CharField(_("地点"), max_length=100, blank=True)
    notes = models.TextField(_("活动情况"), blank=True)
    other_participants = models.PositiveIntegerField(
        _("其他参与人数"), default=0, help_text=_("未登记档案的家长、本地儿童等")
    )
    children = models.ManyToManyField(
        "registry.Child", through="Participation", related_name="activities", verbose_name=_("参加儿童")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("活动记录")
        verbose_name_plural = _("活动记录")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["school", "type", "date"], name="activity_school_type_date"),
            models.Index(fields=["unit", "date"], name="activity_unit_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(organiser_kind="school") | Q(school__isnull=False),
                name="activity_school_organiser_has_school",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"


class Participation(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participations")
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="participations")

    class Meta:
        verbose_name = _("参加记录")
        verbose_name_plural = _("参加记录")
        constraints = [
            models.UniqueConstraint(fields=["activity", "child"], name="participation_once_per_activity"),
        ]


def attachment_path(instance, filename: str) -> str:
    return f"activities/{instance.activity_id}/{instance.stored_name}"


class ActivityAttachment(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(_("文件名"), max_length=200)
    stored_name = models.CharField(max_length=80)
    file = models.FileField(upload_to=attachment_path)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("活动附件")
        verbose_name_plural = _("活动附件")
        ordering = ["id"]


class PsychAssessment(models.Model):
    """One psychological assessment (心理健康测评) — part of the protected psychological file."""

    class Result(models.TextChoices):
        NORMAL = "normal", _("正常")
        ATTENTION = "attention", _("需关注")
        ABNORMAL = "abnormal", _("异常")

    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="psych_assessments")
    school = models.ForeignKey(
        School, verbose_name=_("学校"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("测评日期"), db_index=True)
    instrument = models.CharField(_("测评工具"), max_length=100)
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    result = models.CharField(_("测评结果"), max_length=10, choices=Result.choices)
    notes = models.TextField(_("说明"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("测评人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("心理健康测评")
        verbose_name_plural = _("心理健康测评")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["school", "date"], name="psych_school_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_result_display()}"
