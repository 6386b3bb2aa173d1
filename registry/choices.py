"""Enumerations of the standard ledger (shared/spec/ledger.md). The stored values are the
ledger's own Chinese words, so that imports, exports, eligibility rules and the API agree."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "男", _("男")
    FEMALE = "女", _("女")


class MovedWith(models.TextChoices):
    BOTH_PARENTS = "随父母双方", _("随父母双方")
    FATHER = "随父亲", _("随父亲")
    MOTHER = "随母亲", _("随母亲")
    OTHER = "随其他监护人", _("随其他监护人")


class Relationship(models.TextChoices):
    FATHER = "父亲", _("父亲")
    MOTHER = "母亲", _("母亲")
    GRANDPARENT = "祖父母", _("祖父母")
    MATERNAL_GRANDPARENT = "外祖父母", _("外祖父母")
    OTHER = "其他", _("其他")


class SchoolStage(models.TextChoices):
    NONE = "未入学", _("未入学")
    NURSERY = "托育", _("托育")
    KINDERGARTEN = "幼儿园", _("幼儿园")
    PRIMARY = "小学", _("小学")
    JUNIOR = "初中", _("初中")
    SENIOR = "普通高中", _("普通高中")
    VOCATIONAL = "中职", _("中职")
    DROPOUT = "失学辍学", _("失学辍学")


class Health(models.TextChoices):
    HEALTHY = "健康", _("健康")
    CHRONIC = "慢性病", _("慢性病")
    DISABLED = "残疾", _("残疾")
    SEVERE_MENTAL = "严重精神障碍", _("严重精神障碍")


class DisabilityCategory(models.TextChoices):
    VISION = "视力", _("视力")
    HEARING = "听力", _("听力")
    SPEECH = "言语", _("言语")
    PHYSICAL = "肢体", _("肢体")
    INTELLECTUAL = "智力", _("智力")
    MENTAL = "精神", _("精神")
    MULTIPLE = "多重", _("多重")


DISABILITY_LEVELS = [(1, "一级"), (2, "二级"), (3, "三级"), (4, "四级")]


class Security(models.TextChoices):
    DIBAO = "低保", _("低保")
    DIBAO_EDGE = "低保边缘", _("低保边缘")
    TEKUN = "特困", _("特困")
    ORPHAN = "孤儿", _("孤儿")
    UNSUPPORTED = "事实无人抚养", _("事实无人抚养")
    HIV = "艾滋病病毒感染", _("艾滋病病毒感染")


class InsurancePlace(models.TextChoices):
    RESIDENCE = "居住地", _("居住地")
    HUKOU = "户籍地", _("户籍地")
    NONE = "未参保", _("未参保")


class MigrantStatus(models.TextChoices):
    MIGRANT = "migrant", _("流动儿童")
    PENDING = "pending", _("待满6个月")
    NOT_MIGRANT = "not_migrant", _("非流动儿童")


class CloseReason(models.TextChoices):
    TURNED_16 = "turned_16", _("年满16周岁")
    MOVED_AWAY = "moved_away", _("迁离天门")
    RETURNED_HOME = "returned_home", _("返回户籍地")
    HUKOU_TRANSFERRED = "hukou_transferred", _("户籍迁入天门")
    LOCAL_HUKOU = "local_hukou", _("本地户籍")
    DUPLICATE = "duplicate", _("重复档案")
    DECEASED = "deceased", _("死亡")
    NOT_FOUND = "not_found", _("查无此人")
    OTHER = "other", _("其他")
