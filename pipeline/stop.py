"""A clean stop for ``newsbeam run``: SIGINT or SIGTERM end the run with one line on stderr and
exit 130 or 143, and never publish part of it (docs/cli.md: stopping a run).

The pipeline runs in a worker thread that blocks both signals, as does every thread it starts
(threads inherit the mask), so only the main thread handles them, promptly, while it waits. A
run's commit has one point of no return, its manifest (transforms/write/commit.py). On a signal
the main thread writes the run's stop marker beside it, then looks for the manifest: the commit
checks for the marker before writing the manifest and again right after, so whichever comes
second sees the other. No manifest: the run cannot publish any more, and the process leaves at
once. A manifest: the commit had passed its point of no return, so the stop waits (bounded) for
it to finish and says the run is published whole.

Beam's multi-process DirectRunner starts its SDK workers through ``sh -c``, and dash clears the
signal mask, so they would take a terminal's Ctrl-C (sent to the whole foreground process group)
and print KeyboardInterrupt tracebacks. Here they start in a process group of their own, out of
the terminal's reach, and a stop ends them with SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")

SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: The exit code for each signal: 128 + its number, as a shell reports a process it ended.
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
#: Seconds a stop waits for a commit that had passed its manifest to finish.
COMMIT_WAIT = 60.0
#: Seconds between two looks while the main thread waits (for the run, or for its commit).
POLL = 0.1


@dataclass(frozen=True)
class StartedRun:
    """The run a stop is about: what ``pipeline.run.run`` reports once it knows it."""

    run_id: str
    output: str
    storage: dict


class RunStop:
    """``newsbeam run``'s handling of SIGINT and SIGTERM, for one run.

    Lives in the launching process only; the pipeline never holds it (``run()`` gets only the
    bound method :meth:`started`, and calls it in the launching process).
    """

    def __init__(self) -> None:
        self.run: Optional[StartedRun] = None
        #: The live progress line (pipeline/progress.py), ended before the stop's line prints.
        self.display: Any = None
        #: True when every worker of the run is a thread of this process or an SDK worker
        #: process it started (the local runners): after the stop ends them, none can commit,
        #: so the stop marker can go. Elsewhere (Dataflow, a portable job service) a worker may
        #: still reach the commit, and the marker stays to stop it there.
        self.workers_here = False
        self._worker: Optional[threading.Thread] = None
        self._sdk_workers: list[subprocess.Popen] = []
        self._scratch: Optional[str] = None
        self._stopping = False

    def install(self) -> None:
        """Handle both signals from now on (in the main thread, before any other work)."""
        for signum in SIGNALS:
            signal.signal(signum, self._on_signal)

    def started(self, run_id: str, output: str, storage: Optional[dict] = None) -> None:
        """``run()``'s callback: the run a signal from now on stops."""
        self.run = StartedRun(run_id, output, dict(storage or {}))

    def call(self, work: Callable[[], T]) -> T:
        """``work()`` in a worker thread that blocks both signals; returns what it returns or
        raises what it raises. The main thread waits here, where the signals are handled."""
        done: dict[str, Any] = {}

        def target() -> None:
            signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
            try:
                done["value"] = work()
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread whole
                done["error"] = exc

        self._worker = threading.Thread(target=target, name="newsbeam-run", daemon=True)
        with self._scratch_folder(), self._sdk_workers_in_their_own_group():
            self._worker.start()
            while self._worker.is_alive():
                self._worker.join(POLL)
        if "error" in done:
            raise done["error"]
        return done["value"]

    # ------------------------------------------------------------ on a signal

    def _on_signal(self, signum: int, frame) -> None:
        if self._stopping:  # a second Ctrl-C while stopping: the first one decides
            return
        self._stopping = True
        for other in SIGNALS:
            signal.signal(other, signal.SIG_IGN)
        name = signal.Signals(signum).name
        if self.display is not None:
            with contextlib.suppress(OSError, ValueError, RuntimeError):
                self.display.close()
        stderr = _keep_stderr_for_the_last_line()
        try:
            said = self.settle(name)
        except Exception as exc:  # noqa: BLE001 - the stop still ends with one line and its code
            said = f"stopped by {name}; could not check what was published: {exc}"
        # Also after a commit that finished: SDK workers outliving this process would print
        # tracebacks on stderr (their own, not silenced) when their connection to it breaks.
        self._end_sdk_workers()
        with contextlib.suppress(OSError, ValueError, RuntimeError):  # stdout may be mid-print
            sys.stdout.flush()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        os.write(stderr, f"newsbeam: {said}\n".encode("utf-8", "replace"))
        os._exit(EXIT_CODES[signum])  # as run_and_exit does: no interpreter teardown under Beam's threads

    def settle(self, name: str) -> str:
        """Stop the run from publishing, or let a commit that passed its manifest finish; the
        line that says which."""
        run = self.run
        nothing = f"stopped by {name}; nothing was published"
        if run is None:  # the run had not started: nothing can have been written
            return nothing
        # Imported by now (pipeline/run.py imports them before it starts the run); importing
        # earlier could meet Beam half imported by the worker thread.
        from newsbeam.transforms.write.commit import manifest_written, request_stop

        request_stop(run.output, run.run_id)
        if not manifest_written(run.output, run.run_id):
            if _committed(run):  # committed and cleaned up before the signal
                self._remove_staging(run)
                return self._published(name, run)
            # No manifest, and the marker is in place: no commit of this run can pass it now.
            self._end_sdk_workers()
            if not self.workers_here:
                return nothing  # the marker stays: a worker elsewhere stops at it
            self._remove_staging(run)
            if not manifest_written(run.output, run.run_id):
                return nothing
            # A commit wrote its manifest between the marker's removal and now: it is whole.
        deadline = time.monotonic() + COMMIT_WAIT
        while (
            manifest_written(run.output, run.run_id)
            and self._worker is not None
            and self._worker.is_alive()
            and time.monotonic() < deadline
        ):
            time.sleep(POLL)
        if _committed(run):
            self._remove_staging(run)
            return self._published(name, run)
        if manifest_written(run.output, run.run_id):
            return (
                f"stopped by {name} while run {run.run_id} was publishing; the next run into "
                f"{run.output} finishes publishing it whole"
            )
        # The commit saw the marker and took its manifest back (or failed): nothing published.
        self._end_sdk_workers()
        if self.workers_here:
            self._remove_staging(run)
        return nothing

    @staticmethod
    def _published(name: str, run: StartedRun) -> str:
        return f"stopped by {name} after run {run.run_id} had committed; it is published whole"

    @staticmethod
    def _remove_staging(run: StartedRun) -> None:
        from newsbeam.transforms.write.commit import remove_staged_run

        remove_staged_run(run.output, run.run_id)

    @contextlib.contextmanager
    def _scratch_folder(self):
        """The run's temporary folders (Beam's pipeline folder, the progress line's) in one
        folder of its own, removed after the run, and by a stop, which leaves without Beam's
        own clean-up."""
        self._scratch = tempfile.mkdtemp(prefix="newsbeam-run-")
        previous, tempfile.tempdir = tempfile.tempdir, self._scratch
        try:
            yield
        finally:
            tempfile.tempdir = previous
            shutil.rmtree(self._scratch, ignore_errors=True)

    # ------------------------------------------------------------ SDK worker processes

    @contextlib.contextmanager
    def _sdk_workers_in_their_own_group(self):
        """While the run goes, Beam's local job service starts each SDK worker process in a
        session of its own, and keeps it here so that a stop can end it."""
        try:
            from apache_beam.runners.portability import local_job_service
        except ImportError:  # pragma: no cover - Beam is a dependency
            yield
            return
        stop = self

        class OwnGroupSubprocess:
            """Stands in for the ``subprocess`` module in Beam's local job service."""

            def __getattr__(self, name: str):
                return getattr(subprocess, name)

            @staticmethod
            def Popen(*args, **kwargs):  # noqa: N802 - the name Beam calls
                process = subprocess.Popen(*args, start_new_session=True, **kwargs)
                stop._sdk_workers.append(process)
                return process

        original = local_job_service.subprocess
        local_job_service.subprocess = OwnGroupSubprocess()
        try:
            yield
        finally:
            local_job_service.subprocess = original

    def _end_sdk_workers(self) -> None:
        """SIGKILL each SDK worker's process group (``sh -c`` and the worker it started), and
        wait until Beam has seen each one end (at most a second or so)."""
        for process in self._sdk_workers:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 2.0
        for process in self._sdk_workers:
            while process.poll() is None and process.returncode is None and time.monotonic() < deadline:
                time.sleep(0.01)


def _committed(run: StartedRun) -> bool:
    from newsbeam.transforms.write.delta import run_committed

    return run_committed(run.output, run.run_id, run.storage)


def _keep_stderr_for_the_last_line() -> int:
    """A descriptor of stderr for the stop's own line; fd 2 itself now leads to /dev/null, so
    nothing Beam's threads print while the stop settles lands after that line."""
    with contextlib.suppress(OSError, ValueError, RuntimeError):  # stderr may be mid-write
        sys.stderr.flush()
    kept = os.dup(2)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)
    os.close(quiet)
    return kept
