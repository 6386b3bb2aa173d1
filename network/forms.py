from django import forms

from accounts.models import User
from network.selectors import roster
from schools.forms import StyledForm


class TrainingForm(StyledForm):
    users = forms.ModelMultipleChoiceField(
        label="参训人员",
        queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text="可多选（按住 Ctrl 或在手机上逐个点选）",
        error_messages={"required": "请选择参训人员", "invalid_choice": "所选人员不在名册中"},
    )
    course = forms.CharField(label="培训名称", max_length=100)
    organiser = forms.CharField(label="举办单位", max_length=100, required=False)
    date = forms.DateField(
        label="培训日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    hours = forms.DecimalField(label="学时", min_value=0.5, max_value=999, max_digits=5, decimal_places=1)
    certificate_no = forms.CharField(
        label="证书编号", max_length=50, required=False, help_text="仅登记一人时填写"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = User.objects.filter(pk__in=roster(user).values("user_id")).order_by(
            "full_name", "username"
        )
        # Directors are named after their village and village names repeat across townships:
        # each entry says where the person works (岳口镇马岭村), so ten 马岭村儿童主任 differ.
        places: dict[int, list[str]] = {}
        for assignment in roster(user).select_related("unit__parent"):
            unit = assignment.unit
            where = (
                f"{unit.parent.name}{unit.name}"
                if unit.parent_id and unit.parent.level != "city"
                else unit.name
            )
            places.setdefault(assignment.user_id, []).append(where)
        self.fields["users"].label_from_instance = lambda u: (
            f"{u.full_name or u.username}（{'、'.join(sorted(set(places.get(u.pk, []))))}）"
        )
