"""Crash safety: a run killed with SIGKILL at each step of writing and committing leaves the
output as it was before the run or as after a complete one, and a rerun completes it.

Each run is a real ``newsbeam run`` process. ``NEWSBEAM_FAULT`` names the step at which it
kills itself (:func:`transforms.write.fault_point`); ``make stress`` kills runs at random times
instead, and shares this test's checks of what readers see: through ``newsbeam query``'s views
(committed runs only) and file by file with pyarrow (every file a table's Delta log holds must
read whole).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.stress import published_files, small_run, visible
from newsbeam.schemas import all_tables

ROOT = Path(__file__).resolve().parents[2]
#: Steps a run is killed at, in the order a run passes them, and whether the run counts as
#: published there (its runs row is in place).
FAULTS = {
    # (make stress also kills runs at "write.staged", a first file written, inside every
    # table's Delta commit, and at random times.)
    "commit.before_manifest": False,  # every file written, the commit not yet decided
    "commit.after_manifest": False,  # committed, no table's log has the files yet
    "commit.delta.articles": False,  # inside the first table's Delta commit
    "commit.delta.errors": False,  # inside a Delta commit half way: some tables have the run
    "commit.delta.runs": False,  # every data table has the run, the runs table not yet
    "commit.before_cleanup": True,  # every table committed, the manifest still there
}


def newsbeam(args: list[str], fault: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NEWSBEAM_FAULT"}
    if fault:
        env["NEWSBEAM_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "newsbeam", "run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    return small_run(tmp_path_factory.mktemp("crash-inputs"))


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory):
    """The same inputs, run once without a fault."""
    out = tmp_path_factory.mktemp("crash-reference") / "out"
    done = newsbeam(inputs + ["--output", str(out)])
    assert done.returncode == 0, done.stderr
    # A retry of a run that committed (same --run_id) writes nothing again: no file, no version.
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = newsbeam(inputs + ["--output", str(out)])
    assert again.returncode == 0 and "had already committed" in again.stdout, again.stdout + again.stderr
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    return out


def nothing(out: Path) -> dict[str, list]:
    return {name: [] for name in sorted(all_tables())}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_run_killed_at_any_step_leaves_before_or_after_and_a_rerun_completes_it(
    fault, inputs, reference, tmp_path
):
    out = tmp_path / "out"
    killed = newsbeam(inputs + ["--output", str(out)], fault=fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    # What readers see: nothing of the run, or all of it; never a part, never a broken file.
    files = published_files(out)
    assert visible(out) == (visible(reference) if FAULTS[fault] else nothing(out))
    if fault in ("write.staged", "commit.before_manifest", "commit.after_manifest", "commit.delta.articles"):
        assert files == set()  # no table's Delta log holds a file of the run
    assert files <= published_files(reference)

    # The rerun (the same command, as a scheduler's retry) finishes with the reference's tables.
    rerun = newsbeam(inputs + ["--output", str(out)])
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert visible(out) == visible(reference)
    assert published_files(out) == published_files(reference)
    assert not (out / "_staging").exists()
    # Past the commit point the rerun only finishes the table commits; before it, it runs again.
    committed = fault != "commit.before_manifest"
    assert ("had already committed" in rerun.stdout) == committed, rerun.stdout
