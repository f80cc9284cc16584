"""Today's newsbeam against an output folder of every released schema version
(``tests/schemas/fixtures/<commit>/``, written by ``make_fixtures.py`` from the schemas in git).

Releases before Delta tables wrote plain Hive-partitioned Parquet: ``newsbeam migrate`` must turn
each into Delta tables that read back every row. Every released version must then still take a
run's rows, and every table's current version must have a fixture: bumping a schema version
without adding one fails here.
"""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest

from newsbeam.pipeline.query import connect
from newsbeam.pipeline.run import run
from newsbeam.schemas import all_tables
from newsbeam.transforms.write.migrate import migrate, migration_problem
from tests.schemas.make_fixtures import DELTA_RELEASES, FIXTURES, RELEASES
from tests.transforms.dedup.test_dedup import STORY


def _versions(folder) -> dict[str, int]:
    return {
        path.parts[-3]: int(pq.read_schema(path).metadata[b"newsbeam.schema_version"])
        for path in folder.glob("*/*/*.parquet")
    }


def test_every_release_has_a_fixture_and_the_current_versions_are_among_them():
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == sorted(RELEASES)
    released = {(t, v) for commit in RELEASES for t, v in _versions(FIXTURES / commit).items()}
    for name, spec in all_tables().items():
        assert (name, spec.version) in released, (
            f"{name} v{spec.version} has no fixture: run make_fixtures.py"
        )
    assert ("articles", 1) in released and ("runs", 1) in released


def _output(commit: str, tmp_path) -> str:
    """A copy of the release's output, migrated to Delta tables when it was written before them."""
    out = tmp_path / "out"
    shutil.copytree(FIXTURES / commit, out)
    if commit not in DELTA_RELEASES:
        migrate(str(out))
    return str(out)


@pytest.mark.parametrize("commit", sorted(RELEASES))
def test_every_release_reads_back_whole_as_delta_tables(commit, tmp_path):
    from deltalake import DeltaTable

    from newsbeam.pipeline.query import read_table

    written = {path.parts[-3] for path in (FIXTURES / commit).glob("*/*/*.parquet")}
    for path in (FIXTURES / commit).glob("*/*/*.parquet"):
        assert migration_problem(pq.read_schema(path), all_tables()[path.parts[-3]]) is None, path
    out = _output(commit, tmp_path)
    released = {p.name for p in (FIXTURES / commit).iterdir()}
    for name in all_tables():
        # Migrate creates every table; a Delta release's output gains newer tables at its next run.
        if commit not in DELTA_RELEASES or name in released:
            table = DeltaTable(f"{out}/{name}")  # every table, the ones the release lacked too
            assert table.to_pyarrow_table().num_rows == (1 if name in written else 0), name
        assert read_table(out, name).num_rows == (1 if name in written else 0), name
    if commit not in DELTA_RELEASES:  # in place: the release's files, not copies (but v1 signatures)
        kept = {p.name for p in (tmp_path / "out").glob("*/*/*.parquet")}
        assert "part-fixture-00000.parquet" in kept


@pytest.mark.parametrize("commit", [list(RELEASES)[0], list(RELEASES)[-1]])
def test_a_run_into_the_oldest_and_newest_release_reads_back_both(commit, tmp_path):
    out = _output(commit, tmp_path)
    dump = tmp_path / "one.jsonl"
    dump.write_text(json.dumps({"url": "https://a.example/bridge", "title": "Bridge", "text": STORY}) + "\n")
    outcome = run(["--input", f"jsonl:{dump}", "--output", str(out), "--run_id", "today"])
    assert outcome.runs_row["articles"] == 1
    with connect(str(out)) as con:
        assert con.execute("SELECT run_id FROM runs ORDER BY run_id").fetchall() == [("fixture",), ("today",)]
        assert con.execute("SELECT run_id, title FROM articles ORDER BY run_id").fetchall() == [
            ("fixture", None),
            ("today", "Bridge"),
        ]


def test_a_migration_stopped_between_creating_a_table_and_adding_its_files_is_finished(tmp_path):
    """migrate creates each table (version 0), then adds its files (version 1): killed between
    the two, the next migrate adds them, once."""
    from deltalake import DeltaTable

    from newsbeam.pipeline.query import read_table
    from newsbeam.transforms.write.delta import prepare_tables

    out = tmp_path / "out"
    shutil.copytree(FIXTURES / sorted(set(RELEASES) - DELTA_RELEASES)[0], out)
    prepare_tables(str(out), tables={"articles": all_tables()["articles"]}, check_layout=False)
    assert DeltaTable(str(out / "articles")).version() == 0
    migrate(str(out))
    assert read_table(str(out), "articles").num_rows == 1
    assert migrate(str(out))["articles"] == {"already": True}
    assert read_table(str(out), "articles").num_rows == 1
