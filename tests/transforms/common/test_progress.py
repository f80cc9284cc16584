"""Live progress: the counting DoFn, the sum over its files, and the line ``newsbeam run`` shows."""

from __future__ import annotations

import io
import os
import time

import pytest

from newsbeam.pipeline.progress import ProgressDisplay, progress_line
from newsbeam.transforms.common import progress as progress_module
from newsbeam.transforms.common.progress import CountProgress, read_progress


def _counted(step: str, folder: str, bundles: list[int]) -> CountProgress:
    fn = CountProgress(step, folder)
    fn.setup()
    for size in bundles:
        for element in range(size):
            fn.process(element)
        fn.finish_bundle()
    return fn


def test_counts_from_every_instance_and_bundle_add_up(tmp_path):
    _counted("inputs", str(tmp_path), [3, 4])  # one instance, two bundles
    _counted("inputs", str(tmp_path), [5])  # another thread's or process's instance
    _counted("errors", str(tmp_path), [2])
    assert read_progress(str(tmp_path)) == {
        "inputs": 12,
        "fetched": 0,
        "parsed": 0,
        "duplicates": 0,
        "errors": 2,
    }


def test_a_long_bundle_shows_its_count_before_it_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(progress_module, "WRITE_INTERVAL", 0.0)
    fn = CountProgress("fetched", str(tmp_path))
    fn.setup()
    for element in range(7):
        fn.process(element)
    assert read_progress(str(tmp_path))["fetched"] == 7  # no finish_bundle yet


def test_counts_are_written_at_most_once_a_second(tmp_path):
    fn = CountProgress("parsed", str(tmp_path))
    fn.setup()
    fn.process("first")  # the first element writes
    for element in range(1000):
        fn.process(element)
    assert read_progress(str(tmp_path))["parsed"] == 1
    fn.finish_bundle()
    assert read_progress(str(tmp_path))["parsed"] == 1001


def test_without_a_folder_only_beam_counters_count(tmp_path):
    fn = _counted("inputs", None, [3])
    assert fn._path is None
    assert os.listdir(tmp_path) == []


def test_an_unknown_step_is_refused_when_the_pipeline_is_built():
    with pytest.raises(ValueError, match="unknown progress step"):
        CountProgress("articles", None)


def test_half_written_and_foreign_files_are_skipped(tmp_path):
    (tmp_path / "inputs.1.a").write_text("4")
    (tmp_path / "inputs.1.b.tmp").write_text("99")
    (tmp_path / "inputs.1.c").write_text("")  # created, not yet written
    (tmp_path / "notes.txt").write_text("x")
    assert read_progress(str(tmp_path))["inputs"] == 4
    assert read_progress(str(tmp_path / "gone"))["inputs"] == 0


def test_the_line_names_every_count_the_rate_and_the_time():
    line = progress_line(
        {"inputs": 1204, "fetched": 1180, "parsed": 1100, "duplicates": 12, "errors": 90}, 30.2
    )
    assert line == (
        "1,204 inputs read · 1,180 fetched · 1,100 parsed · 12 duplicates · 90 errors · 39.9 inputs/s · 0:00:30"
    )
    assert progress_line({}, 3725).endswith("0 errors · 0.0 inputs/s · 1:02:05")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_one_line_is_redrawn_and_ended(tmp_path):
    stream = _Terminal()
    with ProgressDisplay(stream, interval=0.05) as folder:
        _counted("inputs", folder, [5])
        time.sleep(0.3)
    text = stream.getvalue()
    assert text.count("\r\x1b[2K") >= 2 and "\n" not in text[:-1] and text.endswith("\n")
    assert "5 inputs read" in text.rsplit("\r", 1)[-1]
    assert not os.path.exists(folder)  # the counts go with the display


def test_elsewhere_plain_lines_are_logged_now_and_then(tmp_path):
    stream = io.StringIO()
    with ProgressDisplay(stream, log_interval=0.1) as folder:
        _counted("errors", folder, [2])
        time.sleep(0.35)
    lines = stream.getvalue().splitlines()
    assert 2 <= len(lines) <= 4
    assert all(line.startswith("newsbeam: ") and "\r" not in line and "\x1b" not in line for line in lines)
    assert "2 errors" in lines[-1]
