"""The output's tables are Delta Lake tables that other engines read as they are: deltalake
itself, Polars, pandas and DuckDB (over the Arrow dataset delta-rs hands it; DuckDB's own
``delta`` extension would be downloaded, so it is not used). Runs add versions, a retried run
adds none, a reader during a commit sees the version before or after it, compaction keeps every
row, vacuum deletes only what no version refers to, and history and ``--as-of`` show the past."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsbeam.pipeline.cli import main
from newsbeam.pipeline.query import connect, read_table
from newsbeam.pipeline.run import run
from newsbeam.schemas import all_tables
from tests.transforms.dedup.test_dedup import OTHER, SAME_TOPIC, STORY

deltalake = pytest.importorskip("deltalake")
DeltaTable = deltalake.DeltaTable


def _dump(folder: Path, name: str, stories: list[dict]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in stories), encoding="utf-8")
    return f"jsonl:{path}"


def _story(n: int, text: str, day: int) -> dict:
    return {
        "url": f"https://a.example/{n}",
        "title": f"Story {n}",
        "text": text,
        "published": f"2026-11-{day:02d}T08:00:00Z",
    }


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two runs into one output: three stories, then one more, a copy, and a bad line."""
    work = tmp_path_factory.mktemp("delta")
    out = work / "out"
    first = _dump(work, "first", [_story(1, STORY, 20), _story(2, OTHER, 21)])
    second = work / "second.jsonl"
    second.write_text(
        json.dumps(_story(3, SAME_TOPIC, 21)) + "\n" + json.dumps({**_story(4, STORY, 22)}) + "\n{not json\n",
        encoding="utf-8",
    )
    run(["--input", first, "--output", str(out), "--run_id", "one"])
    run(["--input", f"jsonl:{second}", "--output", str(out), "--run_id", "two"])
    return out


def test_every_table_opens_as_a_delta_table_with_its_descriptions(two_runs):
    for name, spec in all_tables().items():
        table = DeltaTable(str(two_runs / name))
        metadata = table.metadata()
        assert metadata.partition_columns == [spec.partition_key]
        assert metadata.configuration["newsbeam.schema_version"] == str(spec.version)
        assert metadata.description == spec.description and metadata.name == name
        fields = {f.name: f for f in table.schema().fields}
        assert list(fields) == [*spec.columns, spec.partition_key]
        described = {f.name: f.metadata.get(b"description", b"").decode() for f in spec.fields}
        for column, text in described.items():
            assert fields[column].metadata["comment"] == text


def test_two_runs_make_two_versions_and_a_retry_makes_none(two_runs, tmp_path):
    runs = DeltaTable(str(two_runs / "runs"))
    assert runs.version() == 2  # 0 created the table, 1 and 2 are the runs
    history = [h for h in runs.history() if h.get("newsbeam.operation") == "run"]
    assert sorted(h["newsbeam.run_id"] for h in history) == ["one", "two"]
    out = tmp_path / "out"
    shutil.copytree(two_runs, out)
    versions = {name: DeltaTable(str(out / name)).version() for name in all_tables()}
    outcome = run(
        ["--input", _dump(tmp_path, "x", [_story(9, OTHER, 23)]), "--output", str(out), "--run_id", "two"]
    )
    assert outcome.already_committed
    assert {name: DeltaTable(str(out / name)).version() for name in all_tables()} == versions


def test_polars_pandas_duckdb_and_deltalake_read_the_same_rows(two_runs):
    import pandas as pd
    import polars as pl

    for name in ("articles", "duplicates", "errors", "entities", "runs"):
        path = str(two_runs / name)
        arrow = DeltaTable(path).to_pyarrow_table()
        ids = sorted(map(str, arrow.column("run_id").to_pylist()))
        assert sorted(map(str, pl.read_delta(path)["run_id"].to_list())) == ids
        assert sorted(map(str, pl.scan_delta(path).select("run_id").collect()["run_id"].to_list())) == ids
        frame = DeltaTable(path).to_pandas()
        assert isinstance(frame, pd.DataFrame) and sorted(map(str, frame["run_id"])) == ids
        import duckdb

        con = duckdb.connect()
        dataset = DeltaTable(path).to_pyarrow_dataset()  # noqa: F841 - DuckDB finds it by name
        assert sorted(str(r) for (r,) in con.sql("SELECT run_id FROM dataset").fetchall()) == ids
    assert DeltaTable(str(two_runs / "articles")).to_pyarrow_table().num_rows == 3
    assert sorted(pl.read_delta(str(two_runs / "duplicates"))["reason"].to_list()) == ["text"]


def test_an_empty_table_exists_and_reads_as_zero_rows(tmp_path):
    import pandas as pd
    import polars as pl

    out = tmp_path / "out"
    run(["--input", _dump(tmp_path, "one", [_story(1, STORY, 20)]), "--output", str(out), "--run_id", "a"])
    assert DeltaTable(str(out / "errors")).to_pyarrow_table().num_rows == 0
    assert pl.read_delta(str(out / "errors")).height == 0
    assert len(DeltaTable(str(out / "duplicates")).to_pandas()) == 0
    assert isinstance(pd.DataFrame(DeltaTable(str(out / "errors")).to_pandas()), pd.DataFrame)
    with connect(str(out)) as con:
        assert con.execute("SELECT count(*) FROM errors").fetchone() == (0,)
        assert [t for (t,) in con.execute("SHOW TABLES").fetchall()] == sorted(all_tables())


def _query(out, *args) -> int:
    return main(["query", "--output", str(out), *args])


def test_query_as_of_a_version_and_a_time(two_runs, capsys):
    assert _query(two_runs, "--as-of", "1", "--format", "json", "SELECT run_id FROM runs") == 0
    assert [r["run_id"] for r in json.loads(capsys.readouterr().out)] == ["one"]
    assert read_table(str(two_runs), "articles", as_of=1).num_rows == 2
    assert read_table(str(two_runs), "articles").num_rows == 3
    assert _query(two_runs, "--as-of", "2000-01-01T00:00:00Z", "SELECT count(*) FROM articles") == 0
    assert "0" in capsys.readouterr().out.splitlines()[2]  # before the first run: empty tables
    assert _query(two_runs, "--as-of", "7", "SELECT 1") == 1
    assert "has no version 7" in capsys.readouterr().err
    assert _query(two_runs, "--as-of", "last week", "SELECT 1") == 2


def test_as_of_a_version_reads_that_version_when_its_log_file_was_written_later(two_runs, tmp_path, capsys):
    """delta-rs travels in time by the log files' modification times; the commitInfo timestamp
    is taken before the file is written, so a file that lands in a later millisecond made
    ``--as-of 1`` read version 0 (now and then, on a busy machine). Here it lands 50 ms later."""
    out = tmp_path / "out"
    shutil.copytree(two_runs, out)  # copies modification times too
    recorded = {e["version"]: e["timestamp"] for e in DeltaTable(str(out / "runs")).history()}
    log = out / "runs" / "_delta_log" / f"{1:020d}.json"
    later = recorded[1] / 1000 + 0.05
    os.utime(log, (later, later))
    assert _query(out, "--as-of", "1", "--format", "json", "SELECT run_id FROM runs") == 0
    assert [r["run_id"] for r in json.loads(capsys.readouterr().out)] == ["one"]
    assert read_table(str(out), "articles", as_of=1).num_rows == 2


def test_history_lists_each_tables_versions_with_the_run_that_made_them(two_runs, capsys):
    assert main(["history", "--output", str(two_runs), "--table", "articles", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["version"], r["operation"], r["run_id"]) for r in rows] == [
        (0, "create", None),
        (1, "run", "one"),
        (2, "run", "two"),
    ]
    assert [r["rows_added"] for r in rows] == [None, 2, 1]
    assert (
        main(["history", "--output", str(two_runs), "--table", "runs", "--limit", "2", "--format", "json"])
        == 0
    )
    assert [(r["version"], r["run_id"]) for r in json.loads(capsys.readouterr().out)] == [
        (1, "one"),
        (2, "two"),
    ]


def _files_per_partition(table) -> dict:
    from newsbeam.transforms.write.maintain import partition_files

    return partition_files(table)


def test_compact_leaves_one_file_per_partition_with_the_same_rows(two_runs, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(two_runs, out)
    before = {name: sorted(map(repr, read_table(str(out), name).to_pylist())) for name in all_tables()}
    assert max(_files_per_partition(DeltaTable(str(out / "runs"))).values()) == 2
    assert main(["compact", "--output", str(out)]) == 0
    assert "files rewritten" in capsys.readouterr().out
    for name in all_tables():
        table = DeltaTable(str(out / name))
        assert all(n == 1 for n in _files_per_partition(table).values()), name
        assert sorted(map(repr, read_table(str(out), name).to_pylist())) == before[name], name
    history = DeltaTable(str(out / "runs")).history(1)[0]
    assert history["newsbeam.operation"] == "compact"


def test_compact_one_partition_only(two_runs, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(two_runs, out)
    day = next(iter(_files_per_partition(DeltaTable(str(out / "runs")))))
    other = DeltaTable(str(out / "errors")).version()
    assert main(["compact", "--output", str(out), "--table", "runs", "--partition", day]) == 0
    assert _files_per_partition(DeltaTable(str(out / "runs")))[day] == 1
    assert DeltaTable(str(out / "errors")).version() == other  # not asked for: untouched


def test_vacuum_deletes_only_files_no_version_of_the_retention_period_needs(
    two_runs, tmp_path, capsys, monkeypatch
):
    import os

    from newsbeam.transforms.write import maintain

    out = tmp_path / "out"
    shutil.copytree(two_runs, out)
    assert main(["compact", "--output", str(out), "--table", "runs"]) == 0
    replaced = [
        p for p in (out / "runs").rglob("part-*.parquet") if p.name.startswith(("part-one-", "part-two-"))
    ]
    orphan = out / "runs" / "run_date=2026-01-01" / "part-dead-00000.parquet"  # a run that never committed
    orphan.parent.mkdir()
    orphan.write_bytes(b"PAR1")
    os.utime(orphan, (time.time() - 30 * 3600, time.time() - 30 * 3600))
    fresh = out / "runs" / "run_date=2026-01-01" / "part-running-00000.parquet"  # a run still going
    fresh.write_bytes(b"PAR1")
    capsys.readouterr()
    assert (
        main(["vacuum", "--output", str(out), "--table", "runs", "--retention-hours", "24", "--dry-run"]) == 0
    )
    assert "part-dead-00000.parquet" in capsys.readouterr().out and orphan.exists()
    assert main(["vacuum", "--output", str(out), "--table", "runs", "--retention-hours", "24"]) == 0
    assert not orphan.exists() and fresh.exists()
    # Compaction replaced these just now: version 2 still needs them, so they stay for a day.
    assert all(p.exists() for p in replaced) and len(replaced) == 2
    assert DeltaTable(str(out / "runs"), version=2).to_pyarrow_table().num_rows == 2
    assert main(["vacuum", "--output", str(out), "--retention-hours", "23"]) == 2  # refused
    monkeypatch.setattr(maintain, "MIN_RETENTION_HOURS", 0)  # as if the day had passed
    maintain.vacuum_table(str(out), "runs", retention_hours=0)
    assert not any(p.exists() for p in replaced) and not fresh.exists()
    assert sorted(read_table(str(out), "runs").column("run_id").to_pylist()) == ["one", "two"]


def test_a_run_compacts_the_partitions_it_crowded(tmp_path):
    out = tmp_path / "out"
    for n in range(3):
        outcome = run(["--input", _dump(tmp_path, f"d{n}", [_story(n, [STORY, OTHER, SAME_TOPIC][n], 20)]), "--output", str(out), "--run_id", f"r{n}", "--compact_files", "2"])  # fmt: skip
        assert outcome.compacted.get("runs") == (3 if n == 2 else None)  # the third file crowds it
    runs = DeltaTable(str(out / "runs"))
    assert max(_files_per_partition(runs).values()) <= 2
    assert sorted(read_table(str(out), "runs").column("run_id").to_pylist()) == ["r0", "r1", "r2"]
    assert any(h.get("newsbeam.operation") == "compact" for h in runs.history())


READER = r"""
import json, sys, time
from deltalake import DeltaTable
path, stop, log = sys.argv[1], sys.argv[2], sys.argv[3]
import os
seen = []
while not os.path.exists(stop):
    try:
        table = DeltaTable(path)
    except Exception:
        continue  # not created yet
    rows = table.to_pyarrow_table(columns=["run_id"]).column("run_id").to_pylist()
    seen.append([table.version(), len(rows), sorted(set(rows))])
json.dump(seen, open(log, "w"))
"""


def test_a_reader_during_a_commit_sees_the_version_before_or_after_never_a_mixture(tmp_path):
    out = tmp_path / "out"
    stories = [
        _story(n, text + f" Number {n}.", 20 + n % 3) for n, text in enumerate([STORY, OTHER, SAME_TOPIC] * 2)
    ]
    first = _dump(tmp_path, "first", stories[:3])
    second = _dump(tmp_path, "second", stories[3:])
    run(["--input", first, "--output", str(out), "--run_id", "before", "--shards_per_partition", "3"])
    stop, log = tmp_path / "stop", tmp_path / "seen.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(out / "entities"), str(stop), str(log)])
    try:
        time.sleep(1)
        # --ignore_earlier_runs: these near copies of the first run's stories are kept again
        run(["--input", second, "--output", str(out), "--run_id", "after", "--shards_per_partition", "3", "--ignore_earlier_runs"])  # fmt: skip
        time.sleep(1)
    finally:
        stop.touch()
        reader.wait(timeout=60)
    seen = json.loads(log.read_text())
    table = DeltaTable(str(out / "entities"))
    rows_at = {}
    for version in range(table.version() + 1):
        table.load_as_version(version)
        rows_at[version] = table.to_pyarrow_table().num_rows
    assert len(seen) > 5
    for version, count, run_ids in seen:
        assert count == rows_at[version], (version, count)  # a version is whole: all of a run or none
        assert run_ids in (["before"], ["after", "before"]), run_ids
    states = [ids for _, _, ids in seen]
    assert ["before"] in states and ["after", "before"] in states  # it read on both sides of the commit


def test_compact_the_partition_of_articles_without_a_date(tmp_path):
    out = tmp_path / "out"
    for n, text in enumerate([STORY, OTHER]):
        undated = {"url": f"https://a.example/u{n}", "title": f"Undated {n}", "text": text}
        run(["--input", _dump(tmp_path, f"u{n}", [undated]), "--output", str(out), "--run_id", f"u{n}"])
    assert _files_per_partition(DeltaTable(str(out / "articles"))) == {None: 2}
    assert main(["compact", "--output", str(out), "--table", "articles", "--partition", "null"]) == 0
    assert _files_per_partition(DeltaTable(str(out / "articles"))) == {None: 1}
    assert sorted(read_table(str(out), "articles").column("title").to_pylist()) == ["Undated 0", "Undated 1"]
