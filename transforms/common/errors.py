"""Failures as data: one function builds every ``errors`` row, whatever the stage.

Expected failures (a 404, a feed that is not XML, a page with no text) are raised as
:class:`InputError` by the pure functions and turned into rows by their DoFn. Unexpected ones
are caught by Beam's ``with_exception_handling`` dead letter and turned into rows by
:class:`UnexpectedErrors`, so a bug costs a row with a traceback summary, never a record.
"""

from __future__ import annotations

from typing import Callable, Optional

import apache_beam as beam

#: Tag of the errors output of every DoFn that can fail.
ERRORS = "errors"
#: Tag of Beam's dead-letter output for unexpected exceptions.
UNEXPECTED = "unexpected"

#: Stages whose errors stand for a lost input record (the accounting counts these).
INPUT_STAGES = ("read", "filter", "fetch", "parse")
#: Stages whose errors are about an article that was kept (extraction failed, the story did not).
ARTICLE_STAGES = ("extract",)

MAX_MESSAGE_CHARS = 2000

#: Error kinds that say nothing lasting about an input: a later run tries it again (a feed's
#: item is not remembered as seen, its feed is fetched whole again). Any ``http_5xx`` and
#: ``unexpected_*`` (a bug met on the way) too.
TRANSIENT_KINDS = frozenset(
    {"timeout", "connection_error", "http_408", "http_425", "http_429", "time_budget"}
)
#: Kinds that leave a record out for this run's options only (a later run may read it).
OPTION_KINDS = frozenset({"over_max_articles"})


def is_transient(kind: str) -> bool:
    """A failure the next run should try again: timeouts, connection errors, 429 and 5xx."""
    if kind in TRANSIENT_KINDS or kind.startswith("unexpected"):
        return True
    return len(kind) == 8 and kind.startswith("http_5") and kind[5:].isdigit()


class InputError(Exception):
    """An expected failure for one input: a short ``kind`` code and a sentence for humans."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def error_row(
    stage: str,
    kind: str,
    message: str,
    input_ref: str,
    url: Optional[str] = None,
    article_id: Optional[str] = None,
) -> dict:
    """The one constructor of ``errors`` rows (run_id and run_date are stamped by the writer)."""
    if stage not in INPUT_STAGES + ARTICLE_STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    # A Beam counter per stage and kind: the Dataflow console shows them while a job runs.
    beam.metrics.Metrics.counter("newsbeam.errors", f"{stage}.{kind}").inc()
    message = " ".join(str(message).split()) or kind
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    return {
        "input_ref": input_ref,
        "url": url,
        "stage": stage,
        "kind": kind,
        "message": message,
        "article_id": article_id,
    }


def failed(
    stage: str, exc: InputError, input_ref: str, url: Optional[str] = None
) -> beam.pvalue.TaggedOutput:
    """The errors output of a DoFn for an expected failure."""
    return beam.pvalue.TaggedOutput(ERRORS, error_row(stage, exc.kind, exc.message, input_ref, url=url))


def unexpected_error_row(stage: str, element, exc_info, describe: Callable) -> dict:
    """An errors row for an element that raised something no one expected.

    ``exc_info`` is Beam's dead-letter payload ``(type, repr, traceback lines)``; ``describe``
    maps the element to ``(input_ref, url, article_id)``.
    """
    exc_type, exc_repr, trace = exc_info
    where = ""
    if trace:
        frames = [line for line in trace if line.strip().startswith("File ")]
        if frames:
            where = " at " + frames[-1].strip()
    input_ref, url, article_id = describe(element)
    return error_row(
        stage,
        f"unexpected_{getattr(exc_type, '__name__', 'error')}",
        f"unexpected {exc_repr}{where}",
        input_ref,
        url=url,
        article_id=article_id,
    )


def apply_with_errors(
    pcoll,
    label: str,
    fn: beam.DoFn,
    stage: str,
    describe: Callable,
    threshold: float,
    partial: bool = False,
    each: Optional[Callable] = None,
    side_inputs: Optional[dict] = None,
):
    """Apply ``fn`` (which emits main output and ``ERRORS``) so that every failure is a row.

    Returns ``(main, errors)``. Unexpected exceptions go through Beam's dead letter and become
    rows too; if more than ``threshold`` of the elements fail that way the job fails loudly.
    With ``partial`` the outputs an element gave before it failed are kept (and still counted).
    ``each`` maps an element that stands for several records (a group) to those records, so
    that a failed group costs one row per record and the accounting still adds up.
    ``side_inputs`` are passed to ``fn``'s ``process`` by name.
    """
    results = pcoll | label >> beam.ParDo(fn, **(side_inputs or {})).with_outputs(
        ERRORS, main="main"
    ).with_exception_handling(dead_letter_tag=UNEXPECTED, threshold=threshold, partial=partial)
    members = each or (lambda element: [element])
    unexpected = results[UNEXPECTED] | f"{label}Unexpected" >> beam.FlatMap(
        lambda bad: [unexpected_error_row(stage, one, bad[1], describe) for one in members(bad[0])]
    )
    errors = (results[ERRORS], unexpected) | f"{label}Errors" >> beam.Flatten()
    return results["main"], errors


class RefuseFn(beam.DoFn):
    """Pass what ``refusal(item, config)`` finds nothing against; turn the rest into ``filter``
    errors rows. ``refusal`` returns None or (kind, message); ``reference`` maps an item to
    (input_ref, url). Both are module-level functions, so the DoFn pickles for any runner."""

    def __init__(self, refusal: Callable, config, reference: Callable):
        self._refusal = refusal
        self._config = config
        self._reference = reference

    def process(self, item):
        refusal = self._refusal(item, self._config)
        if refusal is None:
            yield item
            return
        input_ref, url = self._reference(item)
        yield beam.pvalue.TaggedOutput(ERRORS, error_row("filter", *refusal, input_ref, url=url))


class Refuse(beam.PTransform):
    """Items → (items kept, errors rows for those a :class:`RefuseFn` refused)."""

    def __init__(self, label: str, fn: RefuseFn):
        super().__init__()
        self._label = label
        self._fn = fn

    def expand(self, items):
        results = items | self._label >> beam.ParDo(self._fn).with_outputs(ERRORS, main="kept")
        return results.kept, results[ERRORS]
