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
