"""Quality floor over the fundus corpus: a regression guard, not the figures (``make eval`` prints those).

Floors sit a little under what newsbeam measured when they were set (title 84.5 %, date 98.4 %,
authors F1 79.0 %, body token F1 95.3 %), so a change that makes extraction worse fails here.
"""

import statistics
from collections import Counter

import pytest

from benchmarks.eval_fundus import evaluate_page, gold_pages

FLOORS = {"title_exact": 0.82, "date_same_day": 0.96, "authors_f1": 0.76, "body_token_f1": 0.93}
EXPECTED_FAILURES = {"no_text"}


@pytest.fixture(scope="module")
def pages(fundus):
    return [
        evaluate_page(fundus, gold, repeats=1, systems=("newsbeam",))["newsbeam"]
        for gold in gold_pages(fundus)
    ]


@pytest.mark.parametrize("metric", sorted(FLOORS))
def test_quality_floor(pages, metric):
    values = [p[metric] for p in pages if p[metric] is not None]
    assert statistics.fmean(values) >= FLOORS[metric], f"{metric} fell to {statistics.fmean(values):.3f}"


def test_every_page_is_an_article_or_a_named_expected_error(pages):
    failures = Counter(p["failure"] for p in pages if p["failure"])
    assert set(failures) <= EXPECTED_FAILURES, failures
    assert sum(failures.values()) <= 3, failures
