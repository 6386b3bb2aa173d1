from places.models import County, Unit


def test_counties_include_historical_codes(db):
    assert County.objects.count() > 6000
    tianmen_old = County.objects.get(code="422404")
    assert tianmen_old.name == "天门市" and not tianmen_old.current
    assert County.objects.get(code="429006").current


def test_tianmen_has_28_township_units_with_former_names(db):
    townships = Unit.objects.filter(level=Unit.Level.TOWNSHIP)
    assert townships.count() == 28
    assert set(townships.values_list("parent__code", flat=True)) == {"429006"}
    assert "侨乡街道开发区" in Unit.objects.get(name="侯口街道").former_names
    assert "石河镇" in Unit.objects.get(name="石家河镇").former_names
    assert Unit.objects.get(code="429006452").name == "沉湖管委会"
