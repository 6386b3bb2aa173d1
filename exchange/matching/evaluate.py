"""Evaluate the linkage engine (and optionally Splink) on synthetic data with known truth.

    python -m exchange.matching.evaluate --registry 200000 --feed 50000 --seed 1 [--splink] [--json OUT]
    python -m exchange.matching.evaluate ... --engines splink   # one engine per process (own peak)
    python -m exchange.matching.evaluate --fit --registry 200000 --feed 50000 --seed 0   # refit params.json
    python -m exchange.matching.evaluate ... --drop-birth   # a feed without a birth-date column

Precision counts automatic links only; recall is over rows whose child is in
the registry, a row sent to review counting as not linked.  "after review"
assumes the reviewer decides review rows correctly.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

from . import compare as cmp
from . import synth
from .blocking import Index
from .model import LINKED, NEW, PARAMS_PATH, REVIEW, Matcher, Params, fit


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def metrics(outcomes: list[tuple[str, str | None]], truth: list[str | None]) -> dict:
    tp = fp = review = review_match = linked = 0
    for (outcome, key), true_key in zip(outcomes, truth, strict=True):
        if outcome == LINKED:
            linked += 1
            if key == true_key:
                tp += 1
            else:
                fp += 1
        elif outcome == REVIEW:
            review += 1
            review_match += true_key is not None
    positives = sum(t is not None for t in truth)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives if positives else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    recall_after = (tp + review_match) / positives if positives else 1.0
    f1_after = 2 * precision * recall_after / (precision + recall_after) if precision + recall_after else 0.0
    n = len(truth)
    return {
        "rows": n,
        "true_matches": positives,
        "linked": linked,
        "true_positives": tp,
        "false_positives": fp,
        "review": review,
        "new": n - linked - review,
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "review_rate": round(review / n, 5) if n else 0.0,
        "f1_after_review": round(f1_after, 5),
    }


def run_ours(data: synth.Synthetic, params: Params | None = None, *, keep: dict | None = None) -> dict:
    """Our engine on the data. ``keep``: a dict that receives the prepared registry and feed
    records ("registry", "feed"), so that Splink's tables are built without preparing (reading
    the pinyin of) a million names again."""
    t0 = time.perf_counter()
    index = Index.build(data.registry)
    t1 = time.perf_counter()
    rss_index = peak_rss_mb()
    matcher = Matcher(params)
    decisions = []
    candidates = 0
    feed = []
    for row in data.feed:
        prepared = cmp.prepare(row)
        decision = matcher.match(prepared, index.candidates(prepared))
        candidates += decision.candidates
        decisions.append(decision)
        feed.append(prepared)
    t2 = time.perf_counter()
    if keep is not None:
        keep["registry"], keep["feed"] = index.records, feed
    result = metrics([(d.outcome, d.best_key) for d in decisions], data.truth)
    result.update(
        index_seconds=round(t1 - t0, 2),
        link_seconds=round(t2 - t1, 2),
        rows_per_second=round(len(data.feed) / (t2 - t1), 1),
        candidates_per_row=round(candidates / max(1, len(data.feed)), 1),
        peak_rss_mb_after_index=round(rss_index, 1),
        peak_rss_mb=round(peak_rss_mb(), 1),
    )
    result["errors"] = _error_sample(data, decisions)
    return result


def _error_sample(data: synth.Synthetic, decisions, limit: int = 12) -> dict:
    """Counts of wrong links, missed links and reviews by the noise applied, for diagnosis."""
    buckets: dict[str, dict[str, int]] = {"false_link": {}, "missed": {}, "review": {}}
    for d, true_key, noise in zip(decisions, data.truth, data.noise, strict=True):
        kind = None
        if d.outcome == LINKED and d.best_key != true_key:
            kind = "false_link"
        elif d.outcome == NEW and true_key is not None:
            kind = "missed"
        elif d.outcome == REVIEW:
            kind = "review"
        if kind:
            label = f"{'known' if true_key else 'new'}:{noise}:{d.reason_zh[:12]}"
            buckets[kind][label] = buckets[kind].get(label, 0) + 1
    return {k: dict(sorted(v.items(), key=lambda kv: -kv[1])[:limit]) for k, v in buckets.items()}


def fit_params(data: synth.Synthetic, *, seed: int, random_pairs: int = 1_000_000) -> Params:
    """m from the labelled pairs, u from random pairs, thresholds from a grid search."""
    registry = [cmp.prepare(p) for p in data.registry]
    by_key = {p.key: p for p in registry}
    feed = [cmp.prepare(p) for p in data.feed]
    matched = [(row, by_key[t]) for row, t in zip(feed, data.truth, strict=True) if t is not None]
    rng = random.Random(seed)
    randoms = ((rng.choice(feed), rng.choice(registry)) for _ in range(random_pairs))
    params = fit(matched, randoms)
    index = Index.build(registry)
    matcher = Matcher(params)
    rankings = [(row, matcher.rank(row, index.candidates(row))) for row in feed]
    best = None
    for link, review, margin in itertools.product(range(4, 26), range(-6, 16, 2), (2, 4, 6, 8, 10)):
        if review > link:
            continue
        params.link_threshold, params.review_threshold, params.margin = (
            float(link),
            float(review),
            float(margin),
        )
        outcomes = [(d.outcome, d.best_key) for d in (matcher.decide(r, rk) for r, rk in rankings)]
        m = metrics(outcomes, data.truth)
        if m["review_rate"] > 0.025:
            continue
        # Prefer F1; among equal F1, fewer reviews.
        key = (m["f1"], -m["review_rate"])
        if best is None or key > best[0]:
            best = (key, (link, review, margin), m)
    (_, (link, review, margin), m) = best
    params.link_threshold, params.review_threshold, params.margin = float(link), float(review), float(margin)
    params.meta.update(
        fitted_on={"registry": len(data.registry), "feed": len(data.feed), "seed": seed},
        fit_metrics={k: m[k] for k in ("precision", "recall", "f1", "review_rate")},
    )
    return params


SPLINK_COLUMNS = (
    "unique_id name full_py surname_py given_py birth sex id_number county guardian_py phone address "
    "id14 idt sym bg ny"
).split()


def _splink_rows(people) -> dict[str, list]:
    from .blocking import blocking_keys

    cols: dict[str, list] = {k: [] for k in SPLINK_COLUMNS}
    for person in people:
        p = person if isinstance(person, cmp.Prepared) else cmp.prepare(person)
        keys = {k.split(":", 1)[0]: k for k in blocking_keys(p)}
        values = {
            "unique_id": p.key,
            "name": p.name or None,
            "full_py": " ".join(p.pinyin) or None,
            "surname_py": " ".join(p.pinyin[: p.surname_len]) or None,
            "given_py": " ".join(p.pinyin[p.surname_len :]) or None,
            "birth": f"{p.birth:08d}" if p.birth else None,
            "sex": p.sex or None,
            "id_number": p.id_number or None,
            "county": p.county or None,
            "guardian_py": " ".join(p.guardian_pinyin) or None,
            "phone": p.phone or None,
            "address": p.address or None,
            "id14": keys.get("idh"),
            "idt": keys.get("idt"),
            "sym": keys.get("sym"),
            "bg": keys.get("bg"),
            "ny": keys.get("ny"),
        }
        for k, v in values.items():
            cols[k].append(v)
    return cols


def _splink_table(people, chunk: int = 100_000):
    """Splink's input as an Arrow table, built in record batches: the Python lists of one batch
    at a time, not of a million records."""
    import pyarrow as pa

    schema = pa.schema([(name, pa.string()) for name in SPLINK_COLUMNS])
    batches = [
        pa.RecordBatch.from_pydict(_splink_rows(people[i : i + chunk]), schema=schema)
        for i in range(0, len(people), chunk)
    ]
    return pa.Table.from_batches(batches, schema=schema)


def run_splink(data: synth.Synthetic, *, prepared: dict | None = None, memory_limit: str = "1GB") -> dict:
    """Splink (DuckDB backend) with pinyin-aware name levels and one household comparison.

    u from random sampling, m by expectation maximisation (unsupervised); the best
    candidate per row is linked at match probability >= 0.95, reviewed from 0.5.
    ``prepared``: the records ``run_ours`` prepared (``keep``), used instead of preparing again.
    DuckDB works within ``memory_limit`` (spilling to disk beyond it), and the best candidate
    per row is chosen in DuckDB rather than from every prediction as a Python record.
    """
    import logging
    import tempfile

    import duckdb
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    def custom(name: str, levels: list) -> cl.CustomComparison:
        return cl.CustomComparison(output_column_name=name, comparison_levels=levels)

    def level(sql: str, label: str):
        return cll.CustomLevel(sql, label_for_charts=label)

    same_birth_parts = (
        "((substr(birth_l,1,4)=substr(birth_r,1,4))::int + (substr(birth_l,5,2)=substr(birth_r,5,2))::int"
        " + (substr(birth_l,7,2)=substr(birth_r,7,2))::int) = 2"
    )
    swapped = (
        "substr(birth_l,1,4)=substr(birth_r,1,4) and substr(birth_l,5,2)=substr(birth_r,7,2)"
        " and substr(birth_l,7,2)=substr(birth_r,5,2)"
    )
    g = "(guardian_py_l = guardian_py_r)"
    ph = "(phone_l = phone_r)"
    ad = "(address_l = address_r or jaccard(address_l, address_r) >= 0.6)"
    household_null = (
        "(guardian_py_l is null and phone_l is null and address_l is null) or "
        "(guardian_py_r is null and phone_r is null and address_r is null)"
    )
    comparisons = [
        custom(
            "name",
            [
                cll.NullLevel("name"),
                cll.ExactMatchLevel("name"),
                level("full_py_l = full_py_r", "same pinyin"),
                level(
                    "surname_py_l = surname_py_r and damerau_levenshtein(given_py_l, given_py_r) <= 2",
                    "pinyin close",
                ),
                level("surname_py_l = surname_py_r", "same surname"),
                cll.ElseLevel(),
            ],
        ),
        custom(
            "birth",
            [
                cll.NullLevel("birth"),
                cll.ExactMatchLevel("birth"),
                level(f"({swapped}) or ({same_birth_parts})", "one part off or swapped"),
                cll.ElseLevel(),
            ],
        ),
        cl.ExactMatch("sex"),
        custom(
            "id_number",
            [
                cll.NullLevel("id_number"),
                cll.ExactMatchLevel("id_number"),
                level("damerau_levenshtein(id_number_l, id_number_r) <= 1", "typo"),
                cll.ElseLevel(),
            ],
        ),
        cl.ExactMatch("county"),
        custom(
            "household",
            [
                level(household_null, "null").configure(is_null_level=True),
                level(f"{ph} and {g} and {ad}", "all"),
                level(f"{ph} and ({g} or {ad})", "phone plus one"),
                level(f"{g} and {ad}", "guardian and address"),
                level(ph, "phone"),
                level(g, "guardian"),
                level(ad, "address"),
                cll.ElseLevel(),
            ],
        ),
    ]
    blocking = [block_on(c) for c in ("id_number", "id14", "idt", "phone", "sym", "bg", "ny")]
    true_matches = sum(t is not None for t in data.truth)
    prepared = prepared or {}
    registry_records = prepared.pop("registry", None) or data.registry
    registry_size = len(registry_records)
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        probability_two_random_records_match=true_matches / (registry_size * len(data.feed)),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    t0 = time.perf_counter()
    connection = duckdb.connect()
    connection.execute(f"SET memory_limit = '{memory_limit}'")
    connection.execute(f"SET temp_directory = '{tempfile.gettempdir()}/splink-duckdb'")
    connection.execute("SET preserve_insertion_order = false")
    db_api = DuckDBAPI(connection=connection)
    registry_table = _splink_table(registry_records)
    del registry_records  # the Arrow table holds what Splink needs from here on
    registry = db_api.register(registry_table, table_name="registry")
    feed = db_api.register(_splink_table(prepared.get("feed") or data.feed), table_name="feed")
    linker = Linker([registry, feed], settings, log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
    t1 = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.05)
    # The single best candidate per feed row (feed keys start with "F", the registry's with "C").
    best_sql = f"""
        with pairs as (
            select case when starts_with(unique_id_l, 'F') then unique_id_l else unique_id_r end as row_key,
                   case when starts_with(unique_id_l, 'F') then unique_id_r else unique_id_l end as reg_key,
                   match_probability as prob
            from {predictions.physical_name}
        )
        select row_key, max(prob), arg_max(reg_key, prob) from pairs group by row_key
    """  # noqa: S608 - a table name of Splink's
    best = {row_key: (prob, reg_key) for row_key, prob, reg_key in connection.execute(best_sql).fetchall()}
    t2 = time.perf_counter()
    outcomes = []
    for row in data.feed:
        prob, key = best.get(row.key, (0.0, None))
        outcomes.append((LINKED if prob >= 0.95 else REVIEW if prob >= 0.5 else NEW, key))
    result = metrics(outcomes, data.truth)
    result.update(
        train_seconds=round(t1 - t0, 2),
        link_seconds=round(t2 - t1, 2),
        rows_per_second=round(len(data.feed) / (t2 - t1), 1),
        peak_rss_mb=round(peak_rss_mb(), 1),
    )
    return result


def _table(results: dict[str, dict]) -> str:
    rows = [
        "precision",
        "recall",
        "f1",
        "review_rate",
        "f1_after_review",
        "linked",
        "false_positives",
        "review",
        "rows_per_second",
        "link_seconds",
        "peak_rss_mb",
    ]
    names = list(results)
    lines = [f"{'':<18}" + "".join(f"{n:>14}" for n in names)]
    for r in rows:
        lines.append(f"{r:<18}" + "".join(f"{str(results[n].get(r, '')):>14}" for n in names))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--registry", type=int, default=200_000)
    parser.add_argument("--feed", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--splink", action="store_true", help="also run Splink (DuckDB) on the same data")
    parser.add_argument(
        "--engines",
        default=None,
        help="comma-separated engines to run: ours, splink (default: ours, plus splink with --splink); "
        "one engine per process gives each its own peak memory",
    )
    parser.add_argument(
        "--drop-birth",
        action="store_true",
        help="the feed has no birth-date column (disability lists, some school rosters)",
    )
    parser.add_argument("--fit", action="store_true", help="fit m/u and thresholds, write params.json")
    parser.add_argument("--json", type=Path, default=Path("linkage-evaluation.json"))
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    data = synth.generate(args.registry, args.feed, seed=args.seed)
    if args.drop_birth:
        data.feed = [replace(row, birth_date=None) for row in data.feed]
    generate_seconds = round(time.perf_counter() - t0, 1)
    if args.fit:
        params = fit_params(data, seed=args.seed)
        params.save(PARAMS_PATH)
        print(f"wrote {PARAMS_PATH}: {params.meta}")
        return 0
    engines = (args.engines or ("ours,splink" if args.splink else "ours")).split(",")
    unknown = set(engines) - {"ours", "splink"}
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    results = {}
    keep: dict | None = {} if "splink" in engines else None
    if "ours" in engines:
        results["ours"] = run_ours(data, keep=keep)
    else:
        keep = {"registry": data.registry}
    if "splink" in engines:
        # Splink works from its own tables: the registry's Person records are no longer needed.
        data.registry = []
        results["splink"] = run_splink(data, prepared=keep)
    print(
        f"registry {args.registry}, feed {args.feed}{' without birth dates' if args.drop_birth else ''}, "
        f"seed {args.seed} (generated in {generate_seconds}s)"
    )
    print(_table(results))
    report = {
        "registry": args.registry, "feed": args.feed, "seed": args.seed, "drop_birth": args.drop_birth,
        "results": results,
    }  # fmt: skip
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"written: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
