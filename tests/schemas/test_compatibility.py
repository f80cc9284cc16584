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


@pytest.mark.parametrize("which", ["newer version", "other type"])
def test_a_run_into_an_incompatible_output_writes_nothing_and_says_why(tmp_path, which, capsys):
    from newsbeam.pipeline.cli import main
    from tests.transforms.dedup.test_dedup import STORY

    out = tmp_path / "out"
    folder = out / "articles" / "published_date=2026-11-20"
    folder.mkdir(parents=True)
    if which == "newer version":
        schema = _with(ARTICLES, version=ARTICLES.version + 1)
    else:
        schema = _with(
            ARTICLES,
            [pa.field(f.name, pa.string()) if f.name == "word_count" else f for f in ARTICLES.schema],
        )
    pq.write_table(schema.empty_table(), folder / "part-old-00000.parquet")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    dump = tmp_path / "in.jsonl"
    dump.write_text(json.dumps({"url": "https://a.example/x", "title": "T", "text": STORY}) + "\n")

    code = main(["run", "--input", f"jsonl:{dump}", "--output", str(out)])

    assert code != 0
    message = capsys.readouterr().err
    assert f"{out}/articles cannot take this run's rows" in message and "Nothing was written" in message
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # not even staging


def test_an_unreadable_file_in_the_output_stops_the_run_before_writing(tmp_path):
    from newsbeam.transforms.write.commit import IncompatibleOutput, check_output_schemas

    folder = tmp_path / "out" / "articles" / "published_date=2026-11-20"
    folder.mkdir(parents=True)
    (folder / "part-old-00000.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(IncompatibleOutput, match="cannot read the schema of .*part-old-00000.parquet"):
        check_output_schemas(str(tmp_path / "out"))
