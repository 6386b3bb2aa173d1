"""Small cells: counts from 1 to 4 are "<5" everywhere — table, chart, workbook, API."""

from stats.selectors import Measure, as_dict, chart_payload, small_cell, suppress


def test_small_cell():
    assert small_cell(0) == 0
    assert [small_cell(n) for n in (1, 2, 3, 4)] == ["<5"] * 4
    assert small_cell(5) == 5
    assert small_cell(True) is True
    assert small_cell("文字") == "文字"


MEASURE = Measure(
    name="demo",
    title="示例",
    columns=["类别", "人数", "占比（%）"],
    rows=[["甲", 3, 3.0], ["乙", 97, 97.0], ["丙", 0, 0.0]],
    chart_kind="bar",
    rate_columns={2: (1,)},
    total=["合计", 100, 100.0],
)


def test_suppress_hides_small_counts_and_the_rates_that_reveal_them():
    shown = suppress(MEASURE)
    assert shown.rows == [["甲", "<5", "—"], ["乙", 97, 97.0], ["丙", 0, 0.0]]
    assert shown.total == ["合计", 100, 100.0]
    assert MEASURE.rows[0] == ["甲", 3, 3.0]  # the measure itself is untouched


def test_chart_draws_no_bar_height_for_small_cells():
    payload = chart_payload(MEASURE)
    assert payload["categories"] == ["甲", "乙", "丙"]
    assert payload["series"][0]["data"] == [None, 97, 0]
    assert payload["series"][0]["labels"] == ["<5", "97", "0"]


def test_api_dict_is_suppressed():
    assert as_dict(MEASURE)["rows"][0] == ["甲", "<5", "—"]
