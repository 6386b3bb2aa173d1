"""One ledger row → ChildInput: every problem gets a Chinese reason."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common import idnumber
from common.dates import date_to_excel_serial
from ledger.rows import FIELDS, PlaceIndex, parse_row, row_to_input

ON = dt.date(2026, 11, 29)
BIRTH = dt.date(2016, 3, 4)
ID = idnumber.make("420881", BIRTH, 123)  # odd sequence: male
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９x")


@pytest.fixture
def places(city):
    return PlaceIndex.load()


def good(**changes):
    values = {f.name: None for f in FIELDS}
    values.update(
        name="张小明",
        sex="男",
        birth_date="2016-03-04",
        id_number=ID,
        hukou_address="湖北省荆门市钟祥市胡集镇新村3组",
        arrival_date="2020-05-01",
        township="岳口镇",
        village=None,
        guardian_name="张大明",
        guardian_relationship="父亲",
        guardian_phone="13812345678",
        school_stage="小学",
    )
    values.update(changes)
    return values


def errors_of(places, **changes):
    data, errors, _warnings = row_to_input(good(**changes), on=ON, places=places)
    assert data is None
    return " ".join(errors)


def test_a_good_row_becomes_a_child_input(places, city):
    village = city.yuekou_community.name
    data, errors, warnings = row_to_input(good(village=village), on=ON, places=places)
    assert errors == []
    assert data.id_number == ID and data.sex == "男" and data.birth_date == BIRTH
    assert data.township_id == city.yuekou.pk and data.village_id == city.yuekou_community.pk
    assert data.hukou_county_code == "420881"
    assert data.guardians[0].phone == "13812345678" and data.guardians[0].relationship == "父亲"


def test_id_number_full_width_lower_case_x_and_spaces_are_normalised(places):
    number = idnumber.make("420881", BIRTH, 1)
    while not number.endswith("X"):
        number = idnumber.make("420881", BIRTH, int(number[14:17]) + 2)
    shown = f"{number[:6]} {number[6:14]} {number[14:]}".translate(FULL_WIDTH)
    data, errors, _ = row_to_input(good(id_number=shown), on=ON, places=places)
    assert errors == [] and data.id_number == number


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id_number": ID[:-1] + ("0" if ID[-1] != "0" else "1")}, "校验位错误"),
        ({"id_number": "420881201602301234"}, "出生日期 20160230 不存在"),
        ({"id_number": "999999201603041231"}, "不是已知的县级行政区划代码"),
        ({"id_number": "4208812016030412"}, "应为18位"),
        ({"id_number": None}, "公民身份号码为空"),
        ({"sex": "女"}, "性别“女”与公民身份号码不符"),
        ({"birth_date": "2016-03-05"}, "与公民身份号码中的出生日期 2016-03-04 不符"),
        ({"birth_date": "2016-02-30"}, "出生日期“2016-02-30”不是有效日期"),
        ({"township": "幸福镇"}, "不是天门市的乡镇（街道）"),
        ({"village": "不存在村"}, "村（社区）“不存在村”不在岳口镇的名单中，请先由管理员添加"),
        ({"guardian_phone": "1381234"}, "联系电话“1381234”格式不正确"),
        ({"guardian_id_number": "420881198001011234"}, "监护人公民身份号码"),
        ({"hukou_address": "老家", "hukou_county_code": None}, "请填写户籍地区划代码"),
        ({"hukou_county_code": "12345"}, "户籍地区划代码“12345”应为6位数字"),
        ({"school_stage": "大学"}, "就学状态“大学”无法识别"),
        ({"moved_with": "随朋友"}, "随迁情况“随朋友”无法识别"),
        ({"disability_level": "五级"}, "残疾等级“五级”无法识别"),
        ({"security": "低保、富裕"}, "保障类别“富裕”无法识别"),
        ({"residence_permit": "也许"}, "居住证“也许”无法识别"),
        ({"arrival_date": "2015-01-01"}, "早于出生日期"),
        ({"arrival_date": "2027-01-01"}, "晚于今天"),
        ({"name": None}, "姓名为空"),
        ({"id_number": "420881********1234"}, "公民身份号码是脱敏后的号码"),
        ({"guardian_phone": "138****5678"}, "监护人联系电话是脱敏后的号码"),
    ],
)
def test_each_problem_is_explained(places, changes, expected):
    assert expected in errors_of(places, **changes)


@pytest.mark.parametrize(
    ("written", "current"),
    [
        ("侨乡街道开发区", "侯口街道"),
        ("候口", "侯口街道"),
        ("候口街道", "侯口街道"),
        ("石河镇", "石家河镇"),
        ("多宝", "多宝镇"),
        ("天门市岳口镇", "岳口镇"),
        ("竟陵街道", "竟陵街道"),
    ],
)
def test_township_by_current_or_former_name(places, written, current):
    from places.models import Unit

    result = parse_row(good(township=written), on=ON, places=places)
    assert result.errors == []
    assert result.township_id == Unit.objects.get(name=current).pk
    if written != current:
        assert any(current in w for w in result.warnings)


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("湖北省荆门市钟祥市胡集镇", "420881"),
        ("河南省周口市郸城县某村", "411625"),
        ("河南周口郸城县", "411625"),
        ("重庆市万州区", "500101"),
        ("湖北省天门市岳口镇", "429006"),
        ("北京市朝阳区", "110105"),
        ("河南郸城", "411625"),
        ("湖北天门", "429006"),
        ("湖南岳阳华容", "430623"),
    ],
)
def test_hukou_county_derived_from_address(places, address, code):
    data, errors, _ = row_to_input(good(hukou_address=address), on=ON, places=places)
    assert errors == [] and data.hukou_county_code == code


def test_ambiguous_hukou_address_asks_for_the_code(places):
    # 朝阳区 exists in Beijing and in Changchun: without the province the code is needed.
    assert "请填写户籍地区划代码" in errors_of(places, hukou_address="朝阳区某街道")


def test_hukou_code_wins_over_the_address(places):
    data, errors, _ = row_to_input(good(hukou_county_code="411625"), on=ON, places=places)
    assert errors == [] and data.hukou_county_code == "411625"


def test_enumerations_accept_the_variants_staff_type(places):
    data, errors, _ = row_to_input(
        good(
            moved_with="父母双方",
            guardian_relationship="外婆",
            school_stage="高中",
            health="良好",
            disability_category="肢体残疾",
            disability_level="二级",
            security="低保，孤儿",
            residence_permit="有",
            insurance_place="居住地",
            housing_difficulty="是",
        ),
        on=ON,
        places=places,
    )
    assert errors == []
    assert data.moved_with == "随父母双方" and data.guardians[0].relationship == "外祖父母"
    assert data.school_stage == "普通高中" and data.health == "健康"
    assert data.disability_category == "肢体" and data.disability_level == 2
    assert data.security == ["低保", "孤儿"] and data.residence_permit is True
    assert data.housing_difficulty is True


def test_security_none_gives_an_empty_list(places):
    data, errors, _ = row_to_input(good(security="无"), on=ON, places=places)
    assert errors == [] and data.security == []


def test_extra_columns_are_kept_in_the_remarks(places):
    data, errors, _ = row_to_input(
        good(remarks="新迁入"), on=ON, places=places, extras={"核实情况": "已入户", "空列": None}
    )
    assert errors == [] and data.remarks == "新迁入；核实情况：已入户"


def test_phone_written_as_a_number_is_read(places):
    data, errors, _ = row_to_input(good(guardian_phone=13812345678), on=ON, places=places)
    assert errors == [] and data.guardians[0].phone == "13812345678"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    birth=st.dates(min_value=dt.date(2011, 1, 1), max_value=dt.date(2026, 1, 1)),
    sequence=st.integers(min_value=0, max_value=999),
    form=st.sampled_from(["iso", "slash", "dot", "compact", "chinese", "date", "serial"]),
    full_width=st.booleans(),
    spaced=st.booleans(),
)
def test_any_valid_id_and_date_form_round_trips(places, birth, sequence, form, full_width, spaced):
    number = idnumber.make("420881", birth, sequence)
    shown = number.lower()
    if spaced:
        shown = f"{shown[:6]} {shown[6:14]} {shown[14:]}"
    if full_width:
        shown = shown.translate(FULL_WIDTH)
    written = {
        "iso": birth.isoformat(),
        "slash": f"{birth.year}/{birth.month}/{birth.day}",
        "dot": f"{birth.year}.{birth.month}.{birth.day}",
        "compact": f"{birth:%Y%m%d}",
        "chinese": f"{birth.year}年{birth.month}月{birth.day}日",
        "date": birth,
        "serial": date_to_excel_serial(birth),
    }[form]
    sex = "男" if sequence % 2 else "女"
    data, errors, _ = row_to_input(
        good(id_number=shown, birth_date=written, sex=sex, arrival_date=birth), on=ON, places=places
    )
    assert errors == []
    assert data.id_number == number and data.birth_date == birth and data.sex == sex


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([f.name for f in FIELDS]), st.one_of(st.text(max_size=30), st.integers(), st.none())
    )
)
def test_arbitrary_cells_never_crash(places, values):
    data, errors, warnings = row_to_input(values, on=ON, places=places)
    assert (data is None) == bool(errors)


@pytest.mark.parametrize("written", ["2016.3", "2016年3月", "201603", "2016-03", "2016/3"])
def test_birth_year_and_month_only_must_agree_with_the_id(places, written):
    data, errors, _ = row_to_input(good(birth_date=written), on=ON, places=places)
    assert errors == [] and data.birth_date == BIRTH


def test_birth_year_and_month_that_disagree_are_rejected(places):
    assert "出生年月 2016年4月与公民身份号码中的出生日期 2016-03-04 不符" in errors_of(
        places, birth_date="2016.4"
    )


def test_arrival_year_and_month_counts_from_the_first(places):
    data, errors, warnings = row_to_input(good(arrival_date="2020年5月"), on=ON, places=places)
    assert errors == [] and data.arrival_date == dt.date(2020, 5, 1)
    assert any("只有年月" in w for w in warnings)


def test_township_without_a_village_list_files_at_township_level(places, city):
    from places.models import Unit

    Unit.objects.filter(parent=city.duobao).update(active=False)
    data, errors, warnings = row_to_input(
        good(township="多宝镇", village="新村"), on=ON, places=PlaceIndex.load()
    )
    assert errors == [] and data.village_id is None and data.township_id == city.duobao.pk
    assert "居住村（社区）：新村" in data.remarks
    assert any("尚未建立村（社区）名单" in w for w in warnings)


def test_provinces_are_tried_longest_name_first_and_follow_additions(places):
    order = places._provinces_longest_first()
    assert sorted(order) == sorted(places.provinces)
    assert [len(n) for n in order] == sorted((len(n) for n in order), reverse=True)
    places.provinces["测试自治区很长的名字"] = "990000"
    assert places._provinces_longest_first()[0] == "测试自治区很长的名字"


def test_a_cell_read_twice_gives_the_same_text():
    from ledger.rows import _Row

    row = _Row({"name": "  张　小明 ", "grade": 3.0})
    assert row.get("name") == row.get("name") == "张 小明"
    assert row.get("grade") == "3"
    assert row.get("missing") == ""


def test_a_hukou_address_read_again_gives_the_same_county(places):
    first = places.county_from_address("湖北省荆门市钟祥市胡集镇新村3组")
    assert places.county_from_address("湖北省荆门市钟祥市胡集镇新村3组") == first == ("420881", "")
    assert places.county_from_address("朝阳区某街道")[0] is None
    assert places.county_from_address("朝阳区某街道") == places._county_from_address("朝阳区某街道")
