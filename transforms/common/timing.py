"""Where a run spends its time: a Beam counter of microseconds per stage, summed over workers.

The counters live in the ``newsbeam.stage_us`` namespace, so they show in the Dataflow console
beside the other counters and ``newsbeam run`` prints them after a run. Only the stage's own work
is timed (the pure function a DoFn wraps), never the ``yield`` that hands a row to the next,
fused step, which would bill one stage for the next one's work.
"""

from __future__ import annotations

import functools
import time
import types
from typing import Iterable, Iterator, TypeVar

import apache_beam as beam

NAMESPACE = "newsbeam.stage_us"
#: The stages in pipeline order, as ``newsbeam run`` lists them.
STAGES = (
    "read",
    "fetch",
    "parse",
    "dedup",
    "spacy",
    "entities",
    "places",
    "quotes",
    "counts",
    "keywords",
    "write",
    "commit",
)

T = TypeVar("T")


class timed:
    """``with timed("parse"): ...`` adds the block's wall time to the stage's counter."""

    __slots__ = ("_counter", "_started")

    def __init__(self, stage: str):
        self._counter = counter(stage)

    def __enter__(self) -> "timed":
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self._counter.inc(round((time.perf_counter() - self._started) * 1e6))


def timed_iter(stage: str, items: Iterable[T]) -> Iterator[T]:
    """``items`` one by one, the time spent producing each added to the stage (not the time the
    consumer spends between them)."""
    stage_counter = counter(stage)
    iterator = iter(items)
    while True:
        started = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            stage_counter.inc(round((time.perf_counter() - started) * 1e6))
            return
        stage_counter.inc(round((time.perf_counter() - started) * 1e6))
        yield item


def add_seconds(stage: str, seconds: float) -> None:
    counter(stage).inc(round(seconds * 1e6))


def counter(stage: str):
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}")
    return beam.metrics.Metrics.counter(NAMESPACE, stage)


def stage_seconds(result) -> dict[str, float]:
    """{stage: seconds} from a finished pipeline's metrics (committed, else attempted), in
    pipeline order; stages that did nothing are left out."""
    from apache_beam.metrics.metric import MetricsFilter

    totals: dict[str, float] = {}
    for found in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        value = found.committed if found.committed is not None else found.attempted
        totals[found.key.metric.name] = totals.get(found.key.metric.name, 0.0) + (value or 0) / 1e6
    return {stage: totals[stage] for stage in STAGES if totals.get(stage)}


def Timed(stage: str, fn):  # noqa: N802 - reads as a wrapper type at the call sites
    """``fn`` with its calls timed as ``stage``, for ``beam.Map``/``FlatMap``; a generator it
    returns is timed item by item as it is consumed. A plain function, not a callable object:
    Beam passes extra arguments and side inputs only to functions."""
    stage_counter = counter(stage)  # an unknown stage fails at graph construction, not on a worker

    @functools.wraps(fn)
    def timed_fn(*args, **kwargs):
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        stage_counter.inc(round((time.perf_counter() - started) * 1e6))
        if isinstance(result, types.GeneratorType):
            return timed_iter(stage, result)
        return result

    return timed_fn


class TimeBudgetExceeded(BaseException):
    """Raised inside a thread whose work outlived its :class:`deadline`. A ``BaseException``,
    like ``KeyboardInterrupt``, so that a library's ``except Exception`` does not swallow it."""


def _raise_in(thread_id: int, exc_type) -> None:
    """Schedule ``exc_type`` in the thread (``None`` cancels one not yet raised). CPython raises
    it at the thread's next bytecode, so a long call into C finishes first; the size caps in
    front of parsing keep those short."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type) if exc_type else ctypes.c_void_p(0)
    )


class deadline:
    """``with deadline(seconds): ...`` stops the block with :class:`TimeBudgetExceeded` once it
    has run that long: a per-element time budget that needs no signal (Beam runs DoFns in
    worker threads, where ``SIGALRM`` cannot reach) and no subprocess per element.

    A timer thread raises the exception in the block's thread at most once; leaving the block
    cancels the timer and, under the same lock, any exception scheduled but not yet raised, so
    nothing is ever raised after the block.
    """

    __slots__ = ("_seconds", "_thread", "_lock", "_done", "_fired", "_timer")

    def __init__(self, seconds: float):
        self._seconds = seconds

    def __enter__(self) -> "deadline":
        import threading

        self._thread = threading.get_ident()
        self._lock = threading.Lock()
        self._done = self._fired = False
        self._timer = threading.Timer(self._seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def _fire(self) -> None:
        with self._lock:
            if not self._done:
                self._fired = True
                _raise_in(self._thread, TimeBudgetExceeded)

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._done = True
            if self._fired:
                _raise_in(self._thread, None)
        self._timer.cancel()
