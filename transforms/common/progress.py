"""Live progress of a run: how many inputs were read, pages fetched, articles parsed, duplicates
dropped, errors met and articles through spaCy so far, summed over every worker.

Each count is a Beam counter in the ``newsbeam.progress`` namespace, which Dataflow's console
shows while a job runs. Beam's local runners report metrics only once the pipeline has finished,
so for a local run each counting DoFn also keeps its running total in a small file under a
progress folder on this machine (``--progress_dir``, which ``newsbeam run`` sets), rewritten at
most once a second; :func:`read_progress` sums the files, and ``pipeline.progress`` prints the
sums while the run goes on. Worker processes of the multi-process DirectRunner share the
machine, hence the folder; nothing else is shared.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Optional

import apache_beam as beam

NAMESPACE = "newsbeam.progress"
#: What a run counts as it goes, in pipeline order. ``to_fetch`` and ``to_extract`` are the work
#: a stage has to do, counted before the shuffle that starts it, so each is whole by the time
#: its stage's own counts (``fetched`` + ``fetch_errors``; ``extracted``) begin to move.
STEPS = (
    "inputs",
    "to_fetch",
    "fetched",
    "fetch_errors",
    "parsed",
    "duplicates",
    "errors",
    "to_extract",
    "extracted",
)
#: Seconds between two writes of one DoFn's running total.
WRITE_INTERVAL = 1.0


class Tally:
    """One DoFn instance's running count of ``step``: a Beam counter and, given a folder, a file
    holding the total, rewritten at most every ``WRITE_INTERVAL`` seconds. Made in ``setup``, so
    a DoFn that does the work can count what it finished (``SpacyFn``) without an extra branch."""

    def __init__(self, step: str, folder: Optional[str]):
        if step not in STEPS:
            raise ValueError(f"unknown progress step {step!r}")
        self._counter = beam.metrics.Metrics.counter(NAMESPACE, step)
        self._count = 0
        self._written = 0
        self._written_at = 0.0
        # One file per DoFn instance: each holds its own running total, so the sum is exact
        # however many threads and processes count the same step.
        self._path = os.path.join(folder, f"{step}.{os.getpid()}.{uuid.uuid4().hex[:12]}") if folder else None

    def add(self, count: int = 1) -> None:
        self._counter.inc(count)
        if self._path is None:
            return
        self._count += count
        if time.monotonic() - self._written_at >= WRITE_INTERVAL:
            self._write()

    def flush(self) -> None:
        """Write what is not written yet: at the end of each bundle."""
        if self._path is not None and self._count != self._written:
            self._write()

    def _write(self) -> None:
        self._written_at = time.monotonic()
        try:
            temporary = self._path + ".tmp"
            with open(temporary, "w") as handle:
                handle.write(str(self._count))
            os.replace(temporary, self._path)  # a reader sees the old total or the new, never half
            self._written = self._count
        except OSError:  # progress is a display: a full or vanished folder must not fail the run
            pass


class CountProgress(beam.DoFn):
    """Counts the elements of one PCollection towards ``step``; outputs nothing."""

    def __init__(self, step: str, folder: Optional[str]):
        if step not in STEPS:  # at build time, not on a worker
            raise ValueError(f"unknown progress step {step!r}")
        self._step = step
        self._folder = folder

    def setup(self):
        self._tally = Tally(self._step, self._folder)

    def process(self, element):
        self._tally.add()

    def finish_bundle(self):
        self._tally.flush()


def step_label(step: str) -> str:
    """``to_fetch`` → ``ToFetch``: the CamelCase a counting branch's label takes."""
    return "".join(part.title() for part in step.split("_"))


class ReportProgress(beam.PTransform):
    """``{step: pcoll}`` → a counting branch on each; returns nothing a run needs."""

    def __init__(self, folder: Optional[str]):
        super().__init__()
        self._folder = folder

    def expand(self, pcolls: dict):
        for step, pcoll in pcolls.items():
            pcoll | f"Count{step_label(step)}" >> beam.ParDo(CountProgress(step, self._folder))
        return beam.pvalue.PDone(next(iter(pcolls.values())).pipeline)


def read_progress(folder: str) -> dict[str, int]:
    """{step: count so far}, summed over the files under ``folder`` (missing steps are 0)."""
    totals = dict.fromkeys(STEPS, 0)
    try:
        names = os.listdir(folder)
    except OSError:
        return totals
    for name in names:
        step = name.split(".", 1)[0]
        if step not in totals or name.endswith(".tmp"):
            continue
        try:
            with open(os.path.join(folder, name)) as handle:
                totals[step] += int(handle.read() or 0)
        except (OSError, ValueError):  # replaced or removed while listed: next tick has it
            continue
    return totals
