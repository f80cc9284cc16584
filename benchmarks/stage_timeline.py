"""Where a multi_processing run's wall time goes, stage by stage, as its runner sees it.

``python -m benchmarks.stage_timeline LOG ARGS...`` runs ``newsbeam ARGS...`` with two methods of
Beam's FnApiRunner wrapped in its main process, and writes one JSON line to LOG as each ends:

- ``stage``: a stage's span, from its input being dealt to the workers to its last part's answer
  (``FnApiRunner._execute_bundle``);
- ``part``: one worker's part of that stage, from its input being sent to its answer
  (``BundleManager.process_bundle``, which the multi-process DirectRunner calls once per worker).

``bench_pipeline.py`` runs its multi_processing runs through it and reads the log with
:func:`split`: the wall time before the first stage (the interpreter, imports, the graph and its
runner form), inside stages, between them (the runner alone) and after the last (the commit, the
summary, the exit); and inside stages, each worker's busy time and its wait for the others, which
is what each barrier between stages costs. The lines are written as they happen because
``newsbeam`` ends its process with ``os._exit``.
"""

from __future__ import annotations

import contextlib
import json
import re
import runpy
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def recording(log: Path) -> Iterator[None]:
    """Within the block, every stage and every worker's part of it that a FnApiRunner in this
    process runs is appended to ``log`` (epoch seconds)."""
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    lock = threading.Lock()
    execute_bundle = fn_runner.FnApiRunner._execute_bundle
    process_bundle = fn_runner.BundleManager.process_bundle

    def write(**event) -> None:
        with lock, open(log, "a") as handle:
            handle.write(json.dumps(event) + "\n")

    def timed_execute_bundle(self, context, bundle_context_manager, *args, **kwargs):
        started = time.time()
        try:
            return execute_bundle(self, context, bundle_context_manager, *args, **kwargs)
        finally:
            write(kind="stage", stage=bundle_context_manager.stage.name, start=started, end=time.time())

    def timed_process_bundle(self, *args, **kwargs):
        started = time.time()
        try:
            return process_bundle(self, *args, **kwargs)
        finally:
            handlers = self.bundle_context_manager.worker_handlers
            handler = getattr(self, "_worker_handler", None)
            worker = handlers.index(handler) if handler in handlers else -1
            write(
                kind="part",
                stage=self.bundle_context_manager.stage.name,
                worker=worker,
                start=started,
                end=time.time(),
            )

    fn_runner.FnApiRunner._execute_bundle = timed_execute_bundle
    fn_runner.BundleManager.process_bundle = timed_process_bundle
    try:
        yield
    finally:
        fn_runner.FnApiRunner._execute_bundle = execute_bundle
        fn_runner.BundleManager.process_bundle = process_bundle


def read(log: Path) -> list[dict]:
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def short_name(stage: str) -> str:
    """The first transform a fused stage's name holds, e.g. ``FetchPages/GroupByLane/Read``."""
    name = re.sub(r"ref_(AppliedPTransform|PCollection)_", "", stage).lstrip("(")
    return re.split(r"[)+]", name, maxsplit=1)[0]


@dataclass
class StageWait:
    name: str
    seconds: float
    busy: list[float]  # per worker

    @property
    def waiting(self) -> list[float]:
        return [self.seconds - b for b in self.busy]


@dataclass
class Split:
    """A run's wall seconds: before its first stage, inside stages, between them, after its last;
    and per worker, busy and waiting inside stages, with the stages where waiting was most."""

    before: float
    in_stages: float
    between: float
    after: float
    busy: list[float]
    stages: list[StageWait]

    @property
    def waiting(self) -> list[float]:
        return [self.in_stages - b for b in self.busy]

    def worst(self, count: int) -> list[StageWait]:
        return sorted(self.stages, key=lambda s: -max(s.waiting, default=0.0))[:count]


def split(events: list[dict], started: float, wall: float, workers: int) -> Split:
    """Split a run that began at epoch ``started`` and took ``wall`` seconds by its log's events.
    A stage's span counts once however its spans overlap; each part counts for its worker."""
    spans = sorted((e["start"], e["end"], e["stage"]) for e in events if e["kind"] == "stage")
    parts = [e for e in events if e["kind"] == "part"]
    if not spans:
        return Split(wall, 0.0, 0.0, 0.0, [0.0] * workers, [])
    in_stages = between = 0.0
    reach = spans[0][0]
    for start, end, _ in spans:
        if start > reach:
            between += start - reach
        in_stages += max(0.0, end - max(start, reach))
        reach = max(reach, end)
    stages = []
    for start, end, name in spans:
        busy = [0.0] * workers
        for part in parts:
            inside = part["stage"] == name and part["start"] >= start - 1e-3 and part["end"] <= end + 1e-3
            if inside and 0 <= part["worker"] < workers:
                busy[part["worker"]] += part["end"] - part["start"]
        stages.append(StageWait(short_name(name), end - start, busy))
    busy = [sum(s.busy[w] for s in stages) for w in range(workers)]
    return Split(
        before=spans[0][0] - started,
        in_stages=in_stages,
        between=between,
        after=max(0.0, started + wall - reach),
        busy=busy,
        stages=stages,
    )


def main() -> None:
    log, args = Path(sys.argv[1]), sys.argv[2:]
    with recording(log):
        sys.argv = ["newsbeam", *args]
        runpy.run_module("newsbeam", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
