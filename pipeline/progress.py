"""``newsbeam run``'s live progress on stderr: one line redrawn on a terminal, a plain line
every ``log_interval`` seconds otherwise. The counts come from ``newsbeam.transforms.common.progress``."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from typing import Optional, TextIO

from newsbeam.transforms.common.progress import STEPS, read_progress

#: Seconds between two redraws on a terminal, and between two logged lines elsewhere.
INTERVAL = 2.0
LOG_INTERVAL = 30.0

LABELS = {
    "inputs": "inputs read",
    "fetched": "fetched",
    "parsed": "parsed",
    "duplicates": "duplicates",
    "errors": "errors",
}


def progress_line(counts: dict, elapsed: float) -> str:
    """``1,204 inputs read · 1,180 fetched · ... · 40.1 inputs/s · 0:00:30``."""
    parts = [f"{counts.get(step, 0):,} {LABELS[step]}" for step in STEPS]
    rate = counts.get("inputs", 0) / elapsed if elapsed > 0 else 0.0
    minutes, seconds = divmod(int(elapsed), 60)
    hours, minutes = divmod(minutes, 60)
    return " · ".join(parts + [f"{rate:.1f} inputs/s", f"{hours}:{minutes:02d}:{seconds:02d}"])


class ProgressDisplay:
    """``with ProgressDisplay(stream) as folder:`` run the pipeline with ``--progress_dir folder``;
    the counts are shown until the block ends, and the folder is removed after."""

    def __init__(
        self, stream: TextIO, interval: Optional[float] = None, log_interval: Optional[float] = None
    ):
        self._stream = stream
        self._terminal = bool(getattr(stream, "isatty", lambda: False)())
        if self._terminal:
            self._interval = INTERVAL if interval is None else interval
        else:
            self._interval = LOG_INTERVAL if log_interval is None else log_interval
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._drawn = False

    def __enter__(self) -> str:
        self.folder = tempfile.mkdtemp(prefix="newsbeam-progress-")
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="newsbeam-progress", daemon=True)
        self._thread.start()
        return self.folder

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._drawn:  # end the redrawn line, so the summary starts on its own
            self._show(final=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._show()

    def _show(self, final: bool = False) -> None:
        line = progress_line(read_progress(self.folder), time.monotonic() - self._started)
        try:
            if self._terminal:
                self._stream.write("\r\x1b[2K" + line + ("\n" if final else ""))
            elif not final:
                self._stream.write("newsbeam: " + line + "\n")
            self._stream.flush()
            self._drawn = True
        except (OSError, ValueError):  # a closed stderr stops the display, not the run
            self._stop.set()
