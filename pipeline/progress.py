"""``newsbeam run``'s live progress on stderr: one line redrawn on a terminal, a plain line
every ``log_interval`` seconds otherwise. The counts come from ``newsbeam.transforms.common.progress``.

The line says which stage the run is in, how far that stage is (``fetching · 340 of 1,180
pages``), how fast it moves now and, once its whole work is known, how long it has left:

    0:04:10 extracting · 340 of 1,150 articles · 3.1 articles/s · 0:04:21 left · 1,204 inputs · ...

The rate is the stage's own count over the last ``WINDOW`` seconds, so it falls to 0 when the
stage stalls and does not linger at a run's average. :func:`progress_line` makes the text from a
:class:`History` of readings and nothing else; :class:`ProgressDisplay` takes the readings.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Mapping, Optional, TextIO

from newsbeam.transforms.common.progress import read_progress

#: Seconds between two readings of the counts, and between two redraws on a terminal.
INTERVAL = 2.0
#: Seconds between two logged lines when stderr is not a terminal.
LOG_INTERVAL = 30.0
#: Seconds of readings a rate is taken over: long enough to smooth the counts' once-a-second
#: writes, short enough to show a stage slowing down.
WINDOW = 15.0


@dataclass(frozen=True)
class Stage:
    """A stretch of the run as the line names it. ``done`` are the counts whose sum is its work
    done so far; ``todo`` counts its whole work, whole once the stage has begun (it is counted
    before the shuffle that starts the stage; see :func:`whole`)."""

    name: str
    done: tuple[str, ...] = ()
    todo: Optional[str] = None
    unit: str = ""


READING = Stage("reading", ("inputs",), unit="inputs")
# Fetching a page and parsing it run fused, one page after the other: one stage to the eye.
FETCHING = Stage("fetching", ("fetched", "fetch_errors"), "to_fetch", "pages")
# Deduplication and writing count nothing until they end: the line names them by what is over.
DEDUPLICATING = Stage("deduplicating")
EXTRACTING = Stage("extracting", ("extracted",), "to_extract", "articles")
WRITING = Stage("writing")
#: The stages that count their work, whose first reading with work done a History keeps.
COUNTED = (READING, FETCHING, EXTRACTING)
#: The run's other counts, after the stage's own: (count, label) in pipeline order.
TOTALS = (
    ("inputs", "inputs"),
    ("fetched", "fetched"),
    ("parsed", "parsed"),
    ("duplicates", "duplicates"),
    ("extracted", "extracted"),
    ("errors", "errors"),
)


@dataclass(frozen=True)
class Reading:
    """The summed counts (``read_progress``) ``at`` seconds after the run started."""

    at: float
    counts: Mapping[str, int]


@dataclass
class History:
    """The readings a line is made from: those of the last ``window`` seconds, and each counted
    stage's first reading with work done (where its rate starts and its whole is checked)."""

    window: float = WINDOW
    recent: list[Reading] = field(default_factory=list)
    began: dict[str, Reading] = field(default_factory=dict)

    def add(self, reading: Reading) -> None:
        self.recent.append(reading)
        self.recent = [r for r in self.recent if r.at >= reading.at - self.window]
        for stage in COUNTED:
            if stage.name not in self.began and done(stage, reading.counts) > 0:
                self.began[stage.name] = reading


def done(stage: Stage, counts: Mapping[str, int]) -> int:
    return sum(counts.get(step, 0) for step in stage.done)


def whole(stage: Stage, history: History) -> Optional[int]:
    """The stage's whole work once it is known to be final, else None.

    The work to do is counted before the shuffle that starts the stage, so on a runner where a
    shuffle is a barrier (the DirectRunner, Dataflow in batch) it is whole before the first unit
    is done. That is not taken on trust: the count is final once the stage's done count has moved
    since the first reading where it was above 0, while the to-do count stood still. Were the
    two counts fused into one stage, the to-do count would lead by a batch and move with every
    step, and no whole would ever be shown. A stage that did all its work in that first reading
    counts too, once a later reading shows the same."""
    first = history.began.get(stage.name)
    if stage.todo is None or first is None:
        return None
    latest = history.recent[-1]
    total = latest.counts.get(stage.todo, 0)
    if latest.at <= first.at or first.counts.get(stage.todo, 0) != total:
        return None
    now, then = done(stage, latest.counts), done(stage, first.counts)
    return total if now > then or now >= total else None


def rate(stage: Stage, history: History) -> Optional[float]:
    """Units of the stage done per second over the window, or from its first reading with work
    done if that is later; None before that reading, or with no later one to compare."""
    first = history.began.get(stage.name)
    if first is None:
        return None
    latest, start = history.recent[-1], max(history.recent[0], first, key=lambda r: r.at)
    if latest.at <= start.at:
        return None
    return (done(stage, latest.counts) - done(stage, start.counts)) / (latest.at - start.at)


def current_stage(history: History) -> Stage:
    """The furthest stage that has begun, or the one after it once its whole work is done."""
    counts = history.recent[-1].counts

    def finished(stage: Stage) -> bool:
        total = whole(stage, history)
        return total is not None and done(stage, counts) >= total

    if done(EXTRACTING, counts):
        return WRITING if finished(EXTRACTING) else EXTRACTING
    if counts.get("to_extract", 0):  # dedup's last step hands spaCy its articles
        return DEDUPLICATING
    if done(FETCHING, counts):
        return DEDUPLICATING if finished(FETCHING) else FETCHING
    return READING


def clock(seconds: float) -> str:
    """``3725`` → ``1:02:05``."""
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def progress_line(history: History, end: Optional[str] = None) -> str:
    """The line for the latest reading: elapsed time, stage, its progress, rate and time left,
    then the run's other counts that are not 0. ``end`` (``finished``, ``stopped``) names the
    last line instead of a stage, which then shows no rate."""
    latest = history.recent[-1]
    counts = latest.counts
    stage = current_stage(history)
    parts = [f"{clock(latest.at)} {end or stage.name}"]
    if stage.done and end is None:
        count, total = done(stage, counts), whole(stage, history)
        if total is not None:
            parts.append(f"{count:,} of {total:,} {stage.unit}")
        else:
            parts.append(f"{count:,} {stage.unit[:-1] if count == 1 else stage.unit}")  # "1 page"
        speed = rate(stage, history)
        if speed is not None:
            parts.append(f"{speed:,.1f} {stage.unit}/s")
            if total is not None and speed > 0 and count < total:
                parts.append(f"{clock(math.ceil((total - count) / speed))} left")
    shown = set(stage.done) if end is None else set()
    parts += [
        f"{counts.get(step, 0):,} {label}"
        for step, label in TOTALS
        if step not in shown and counts.get(step, 0)
    ]
    return " · ".join(parts)


def fit(line: str, width: int) -> str:
    """The line cut to fewer than ``width`` characters, so a terminal never wraps it (a wrapped
    line would not be redrawn in place)."""
    if len(line) < width:
        return line
    return line[: max(width - 2, 0)] + "…"


def terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # not a real terminal (a test's stand-in)
        return shutil.get_terminal_size().columns


class ProgressDisplay:
    """``with ProgressDisplay(stream) as folder:`` run the pipeline with ``--progress_dir folder``;
    the counts are shown until the block ends, and the folder is removed after."""

    def __init__(
        self, stream: TextIO, interval: Optional[float] = None, log_interval: Optional[float] = None
    ):
        self._stream = stream
        self._terminal = bool(getattr(stream, "isatty", lambda: False)())
        self._interval = INTERVAL if interval is None else interval
        self._log_interval = LOG_INTERVAL if log_interval is None else log_interval
        # Readings come every interval however rarely lines are logged: rates and the check
        # that a stage's whole is final need them.
        self._tick = self._interval if self._terminal else min(self._interval, self._log_interval)
        self._history = History()
        self._logged_at = 0.0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._drawn = False
        self._closing = threading.Lock()
        self._closed = False

    def __enter__(self) -> str:
        self.folder = tempfile.mkdtemp(prefix="newsbeam-progress-")
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="newsbeam-progress", daemon=True)
        self._thread.start()
        return self.folder

    def __exit__(self, *exc) -> None:
        self.close("finished" if exc[0] is None else "stopped")

    def close(self, end: str = "stopped") -> None:
        """Stop redrawing, end the line and remove the folder, once: when the block ends, or
        earlier when a signal stops the run (pipeline/stop.py) and its one line comes next.
        ``end`` names the last line on a terminal."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._stop.set()
            if self._thread is not None:
                self._thread.join()
            if self._drawn:  # end the redrawn line, so what comes next starts on its own
                self._show(end)
            if hasattr(self, "folder"):  # a stop may come before the block starts
                shutil.rmtree(self.folder, ignore_errors=True)

    def _loop(self) -> None:
        while not self._stop.wait(self._tick):
            self._show()

    def _show(self, end: Optional[str] = None) -> None:
        now = time.monotonic() - self._started
        self._history.add(Reading(now, read_progress(self.folder)))
        line = progress_line(self._history, end)
        try:
            if self._terminal:
                width = terminal_width(self._stream)
                self._stream.write("\r\x1b[2K" + fit(line, width) + ("\n" if end else ""))
            elif end is None and now - self._logged_at >= self._log_interval - 1e-3:
                self._stream.write("newsbeam: " + line + "\n")
                self._logged_at = now
            else:
                return
            self._stream.flush()
            self._drawn = True
        except (OSError, ValueError):  # a closed stderr stops the display, not the run
            self._stop.set()
