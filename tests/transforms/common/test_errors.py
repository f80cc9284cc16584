"""Failures as data: the errors row, and unexpected exceptions through Beam's dead letter."""

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from newsbeam.transforms.common.errors import (
    ERRORS,
    MAX_MESSAGE_CHARS,
    InputError,
    apply_with_errors,
    error_row,
)


def test_error_row_collapses_whitespace_and_caps_the_message():
    row = error_row("fetch", "timeout", "no\nanswer   within\t5 s", "feed#1", url="https://x.org/a")
    assert row == {
        "input_ref": "feed#1",
        "url": "https://x.org/a",
        "stage": "fetch",
        "kind": "timeout",
        "message": "no answer within 5 s",
        "article_id": None,
    }
    assert len(error_row("parse", "k", "x" * 10_000, "r")["message"]) == MAX_MESSAGE_CHARS


def test_error_row_refuses_an_unknown_stage():
    with pytest.raises(ValueError):
        error_row("nowhere", "k", "m", "r")


class HalveFn(beam.DoFn):
    """Expected failure for odd numbers, a bug (ZeroDivisionError) for zero."""

    def process(self, n):
        if n % 2:
            yield beam.pvalue.TaggedOutput(ERRORS, error_row("parse", "odd", f"{n} is odd", str(n)))
            return
        yield 10 // n


def test_expected_and_unexpected_failures_both_become_rows():
    with TestPipeline() as p:
        good, errors = apply_with_errors(
            p | beam.Create([0, 1, 2, 4, 6]),
            "Halve",
            HalveFn(),
            "parse",
            lambda n: (str(n), None, None),
            threshold=0.5,
        )
        assert_that(good, equal_to([5, 2, 1]), label="good")
        assert_that(
            errors | beam.Map(lambda e: (e["input_ref"], e["stage"], e["kind"])),
            equal_to([("0", "parse", "unexpected_ZeroDivisionError"), ("1", "parse", "odd")]),
            label="errors",
        )


def test_a_flood_of_unexpected_failures_fails_the_run():
    with pytest.raises(Exception, match="(?i)threshold|ZeroDivision"):
        with TestPipeline() as p:
            apply_with_errors(
                p | beam.Create([0, 0, 0, 2]),
                "Halve",
                HalveFn(),
                "parse",
                lambda n: (str(n), None, None),
                threshold=0.5,
            )


def test_input_error_carries_kind_and_message():
    exc = InputError("http_404", "gone")
    assert (exc.kind, exc.message, str(exc)) == ("http_404", "gone", "gone")
