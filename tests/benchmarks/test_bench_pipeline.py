"""The plain loop of ``make bench`` cuts spaCy's batches as the pipeline's ``spacy_batches`` does,
or its figures would not be a ceiling for the same work."""

from __future__ import annotations

from benchmarks.bench_pipeline import text_batches
from newsbeam.transforms.extract.nlp import NlpConfig


def test_the_loop_batches_by_articles_and_characters_with_a_long_article_alone():
    config = NlpConfig(batch_size=3, batch_chars=1_000, max_chars=2_000)
    sizes = [400, 400, 400, 100, 100, 100, 100, 5_000, 10]
    articles = [{"text": "x" * n, "n": i} for i, n in enumerate(sizes)]
    batches = [[a["n"] for a in batch] for batch in text_batches(articles, config)]
    # 400+400 fit, a third 400 would pass 1,000 characters; four 100s pass 3 articles; 5,000
    # counts as its 2,000 read and goes alone; nothing is lost or repeated, and order is kept.
    assert batches == [[0, 1], [2, 3, 4], [5, 6], [7], [8]]


def test_the_loop_writes_each_table_as_the_pipeline_does_a_file_per_partition(tmp_path):
    import datetime as dt

    import pyarrow.parquet as pq
    import pytest

    from benchmarks.bench_pipeline import write_tables
    from newsbeam.schemas.spec import SchemaMismatch

    def row(article, day, rank):
        return {
            "article_id": article,
            "published_date": day,
            "rank": rank,
            "phrase": "p",
            "score": 0.5,
            "method": "m",
        }

    days = [dt.date(2026, 12, 1), dt.date(2026, 12, 2)]
    rows = [row("a", days[0], 1), row("a", days[0], 2), row("b", days[1], 1), row("c", None, 1)]
    write_tables({"keywords": rows}, tmp_path, "0-1")
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet"))
    assert [f.rsplit("/", 1)[0] for f in files] == [
        "keywords/published_date=2026-12-01",
        "keywords/published_date=2026-12-02",
        "keywords/published_date=__HIVE_DEFAULT_PARTITION__",
    ]
    first = pq.read_table(tmp_path / files[0]).to_pylist()
    assert [(r["article_id"], r["rank"], r["run_id"]) for r in first] == [
        ("a", 1, "loop-0-1"),
        ("a", 2, "loop-0-1"),
    ]
    with pytest.raises(SchemaMismatch):  # checked against the schema, as the pipeline's rows are
        write_tables({"keywords": [{**rows[0], "extra": 1}]}, tmp_path / "bad", "0-1")
