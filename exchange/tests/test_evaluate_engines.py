"""The linkage evaluation's engine choice: one engine per process, a clear error for others."""

import json

import pytest

from exchange.matching import evaluate


def test_ours_alone_writes_only_its_results(tmp_path):
    out = tmp_path / "linkage.json"
    assert evaluate.main(["--registry", "300", "--feed", "60", "--engines", "ours", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert list(report["results"]) == ["ours"]
    assert report["results"]["ours"]["rows"] == 60


def test_unknown_engine_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        evaluate.main(
            ["--registry", "30", "--feed", "5", "--engines", "ours,dedupe", "--json", str(tmp_path / "x")]
        )
    assert "dedupe" in capsys.readouterr().err


def test_a_feed_without_birth_dates_still_links_mistyped_numbers(tmp_path):
    out = tmp_path / "linkage.json"
    assert evaluate.main(["--registry", "300", "--feed", "80", "--drop-birth", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["drop_birth"] is True and report["results"]["ours"]["precision"] >= 0.95
