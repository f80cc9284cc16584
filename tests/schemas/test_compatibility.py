"""An output folder written by another schema version: append compatibly, or stop before writing."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsbeam.schemas import all_tables, append_problem

ARTICLES = all_tables()["articles"]


def _with(spec, fields=None, version=None):
    """The spec's file schema with other fields or another version in its metadata."""
    schema = spec.schema
    metadata = {**schema.metadata, b"newsbeam.schema_version": str(version or spec.version).encode()}
    return pa.schema(fields if fields is not None else list(schema), metadata=metadata)


def test_the_same_schema_appends():
    assert append_problem(ARTICLES.schema, ARTICLES) is None


def test_an_older_file_without_a_nullable_column_we_add_appends():
    older = [f for f in ARTICLES.schema if f.name != "top_image"]  # top_image is nullable
    assert append_problem(_with(ARTICLES, older, version=ARTICLES.version - 1), ARTICLES) is None


def test_a_newer_version_stops():
    problem = append_problem(_with(ARTICLES, version=ARTICLES.version + 1), ARTICLES)
    assert "newer" in problem and "upgrade" in problem


def test_a_column_of_another_type_stops():
    changed = [pa.field("word_count", pa.string()) if f.name == "word_count" else f for f in ARTICLES.schema]
    assert "'word_count'" in append_problem(_with(ARTICLES, changed), ARTICLES)


def test_a_column_we_no_longer_write_stops():
    extra = [*ARTICLES.schema, pa.field("old_column", pa.string())]
    assert "'old_column'" in append_problem(_with(ARTICLES, extra), ARTICLES)


def test_a_required_column_the_files_lack_stops():
    required = next(f.name for f in ARTICLES.schema if not f.nullable and f.name != "article_id")
    lacking = [f for f in ARTICLES.schema if f.name != required]
    assert f"'{required}'" in append_problem(_with(ARTICLES, lacking, version=ARTICLES.version - 1), ARTICLES)


def _delta_table(out, spec, fields=None, version=None):
    """A Delta table at out/<name> as another newsbeam would have made it."""
    from deltalake import DeltaTable
    from deltalake.schema import Schema

    schema = pa.schema(
        [*(fields if fields is not None else spec.fields), pa.field(spec.partition_key, pa.date32())]
    )
    DeltaTable.create(
        str(out / spec.name),
        Schema.from_arrow(schema),
        partition_by=[spec.partition_key],
        configuration={"newsbeam.schema_version": str(version or spec.version)},
        raise_if_key_not_exists=False,
    )


def _tree(out):
    return sorted(str(p.relative_to(out)) for p in out.rglob("*"))


@pytest.mark.parametrize("which", ["newer version", "other type", "dropped column"])
def test_a_run_into_an_incompatible_table_writes_nothing_and_says_why(tmp_path, which, capsys):
    from newsbeam.pipeline.cli import main
    from tests.transforms.dedup.test_dedup import STORY

    out = tmp_path / "out"
    if which == "newer version":
        _delta_table(out, ARTICLES, version=ARTICLES.version + 1)
    elif which == "other type":
        _delta_table(
            out,
            ARTICLES,
            [pa.field(f.name, pa.string()) if f.name == "word_count" else f for f in ARTICLES.fields],
        )
    else:
        _delta_table(out, ARTICLES, [*ARTICLES.fields, pa.field("old_column", pa.string())])
    before = _tree(out)
    dump = tmp_path / "in.jsonl"
    dump.write_text(json.dumps({"url": "https://a.example/x", "title": "T", "text": STORY}) + "\n")

    code = main(["run", "--input", f"jsonl:{dump}", "--output", str(out)])

    assert code != 0
    message = capsys.readouterr().err
    assert f"{out}/articles cannot take this run's rows" in message and "Nothing was written" in message
    assert _tree(out) == before  # not even the other tables were created


def test_a_table_without_a_column_this_newsbeam_adds_gains_it_as_nullable(tmp_path):
    from deltalake import DeltaTable

    from newsbeam.transforms.write.delta import prepare_tables

    out = tmp_path / "out"
    older = [f for f in ARTICLES.fields if f.name != "top_image"]
    _delta_table(out, ARTICLES, older, version=ARTICLES.version - 1)
    assert prepare_tables(str(out)) == sorted(all_tables(), key=list(all_tables()).index)
    table = DeltaTable(str(out / "articles"))
    added = [f for f in table.schema().fields if f.name == "top_image"]
    assert added and added[0].nullable
    assert table.metadata().configuration["newsbeam.schema_version"] == str(ARTICLES.version)
    assert prepare_tables(str(out)) == []  # nothing left to change


def test_an_output_from_before_delta_tables_is_refused_with_the_way_out(tmp_path, capsys):
    from newsbeam.pipeline.cli import main

    out = tmp_path / "out"
    folder = out / "articles" / "published_date=2026-11-20"
    folder.mkdir(parents=True)
    pq.write_table(ARTICLES.schema.empty_table(), folder / "part-old-00000.parquet")
    before = _tree(out)
    dump = tmp_path / "in.jsonl"
    dump.write_text(json.dumps({"url": "https://a.example/x", "title": "T", "text": "x"}) + "\n")
    assert main(["run", "--input", f"jsonl:{dump}", "--output", str(out)]) == 1
    assert f"newsbeam migrate --output {out}" in capsys.readouterr().err
    assert _tree(out) == before
