"""A clean stop, and every exit code of ``newsbeam run`` end to end: 0, 1 and 2 here, 3 in
``test_alerts.py``, 130 (SIGINT) and 143 (SIGTERM) at random moments of a run.

Each run is a real ``newsbeam run`` process, as cron or Airflow starts it. A stopped run must exit
130 or 143, end stderr with the one line (no traceback, no KeyboardInterrupt) and leave the output
as it was, unless its line says it had committed, in which case the run is there whole.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsbeam.schemas import all_tables
from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
TRIES = 6
SEED = 20
NOTHING = "newsbeam: stopped by {}; nothing was published"
COMMITTED = "newsbeam: stopped by {} after run {} had committed; it is published whole"


def start(args: list[str], tmp: Path) -> subprocess.Popen:
    """``newsbeam run`` as a scheduler starts it, in a process group of its own (the signal may
    go to the whole group, as a terminal's Ctrl-C does); its temporary folders in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if k != "NEWSBEAM_FAULT"}
    env["TMPDIR"] = str(tmp)
    return subprocess.Popen(
        [sys.executable, "-m", "newsbeam", "run", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def state(out: Path) -> tuple[dict, list]:
    """Each table's Delta version, and the runs rows: what a stopped run must leave as it was."""
    from deltalake import DeltaTable

    import newsbeam

    versions = {name: DeltaTable(str(out / name)).version() for name in all_tables()}
    runs = newsbeam.read_table(str(out), "runs").to_pylist()
    return versions, sorted(
        (r["run_id"], r["inputs"], r["articles"], r["duplicates"], r["errors"]) for r in runs
    )


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    """The output the tries share, made by a first run (exit 0), and how long that run took
    (a little longer than a try's: it also creates the tables)."""
    tmp = tmp_path_factory.mktemp("stop")
    out = tmp / "out"
    started = time.monotonic()
    first = start(["--input", str(SAMPLES / "stories"), "--output", str(out), "--run_id", "first"], tmp)
    stdout, stderr = first.communicate(timeout=300)
    seconds = time.monotonic() - started
    assert first.returncode == 0, stderr[-2000:]
    assert "articles written           2" in stdout and stderr == ""
    return out, seconds


def test_a_run_that_fails_exits_1_and_one_that_cannot_run_exits_2(output, tmp_path):
    out, _ = output
    before = state(out)
    failed = start(
        ["--input", str(SAMPLES / "stories"), "--output", str(out), "--runner", "NoSuchRunner"], tmp_path
    )
    _, stderr = failed.communicate(timeout=300)
    assert failed.returncode == 1, stderr[-2000:]
    assert stderr.splitlines()[0].startswith("newsbeam: run failed:") and "Traceback" not in stderr
    usage = start(["--output", str(out)], tmp_path)
    _, stderr = usage.communicate(timeout=300)
    assert usage.returncode == 2, stderr[-2000:]
    assert stderr.strip() == (
        "newsbeam: error: no input given: name what to read with --input SPEC, or use --input samples "
        "for the bundled invented stories"
    )
    assert state(out) == before


def test_sigint_and_sigterm_at_random_moments_stop_cleanly(output, tmp_path):
    out, seconds = output
    rng = random.Random(SEED)
    # One moment in each TRIES-th part of the run's length, from the imports (the first 50 ms
    # or so, before newsbeam is loaded, are Python's: docs/cli.md) to past the commit,
    # shuffled, each with SIGINT or SIGTERM. Every fourth try runs on two SDK worker
    # processes, and the signal goes to its whole process group, as a terminal's Ctrl-C does.
    moments = [(k + rng.random()) * seconds / TRIES for k in range(TRIES)]
    rng.shuffle(moments)
    outcomes = []
    for n, delay in enumerate(moments):
        signum = rng.choice([signal.SIGINT, signal.SIGTERM])
        name, run_id = signal.Signals(signum).name, f"try-{n:02d}"
        workers = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"] if n % 4 == 0 else []
        tries_tmp = tmp_path / run_id
        tries_tmp.mkdir()
        before = state(out)
        args = ["--input", str(SAMPLES / "stories"), "--output", str(out), "--run_id", run_id, *workers]
        process = start(args, tries_tmp)
        time.sleep(delay)
        finished_first = process.poll() is not None
        if not finished_first and workers:
            os.killpg(process.pid, signum)
        elif not finished_first:
            process.send_signal(signum)
        # SDK workers that outlived the run would hold stderr open, and print on it when their
        # connection broke: this waits for them too.
        stdout, stderr = process.communicate(timeout=300)
        where = (
            f"{run_id}{' (2 SDK workers)' if workers else ''}: {name} after {delay:.2f} s of {seconds:.1f}"
        )
        if finished_first:  # the run ended before the moment came: it committed, with exit 0
            assert process.returncode == 0, (where, stderr[-2000:])
            outcomes.append("finished")
            continue
        lines = stderr.strip().splitlines()
        assert process.returncode == signal_exit(signum), (where, process.returncode, stderr[-2000:])
        assert lines and "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, (
            where,
            stderr[-2000:],
        )
        assert len(lines) == 1, (where, stderr[-2000:])  # the progress line is a terminal's only
        after = state(out)
        if lines[-1] == NOTHING.format(name):
            assert after == before, where
            outcomes.append("nothing")
        else:
            assert lines[-1] == COMMITTED.format(name, run_id), (where, lines[-1])
            rows = [r for r in after[1] if r[0] == run_id]
            assert len(rows) == 1 and after[1] == sorted(before[1] + rows), where
            _, inputs, articles, duplicates, errors = rows[0]
            assert inputs == articles + duplicates + errors == 2, where
            outcomes.append("committed")
        assert not (out / "_staging" / run_id).exists(), where  # a stopped run leaves no marker behind
        assert not [p.name for p in tries_tmp.iterdir()], where  # nor temporary folders (Beam's, progress)
    print(
        f"run of {seconds:.1f} s; {TRIES} tries: "
        + ", ".join(f"{o} {outcomes.count(o)}" for o in sorted(set(outcomes)))
    )
    assert outcomes.count("nothing") >= TRIES // 2, outcomes


def signal_exit(signum: int) -> int:
    return 128 + signum


# ---------------------------------------------------------------- the protocol, step by step


def test_a_commit_stops_at_the_marker_before_and_after_its_manifest(tmp_path):
    from newsbeam.transforms.write.commit import (
        COMMIT_MANIFEST,
        RunStopped,
        check_not_stopped,
        request_stop,
        write_manifest,
    )

    out = str(tmp_path)
    check_not_stopped(out, "r1")  # no marker: the commit goes on
    write_manifest(out, "r1", {})
    check_not_stopped(out, "r1", after_manifest=True)
    assert (tmp_path / "_staging" / "r1" / COMMIT_MANIFEST).exists()
    request_stop(out, "r2")
    with pytest.raises(RunStopped, match="nothing was published"):
        check_not_stopped(out, "r2")
    write_manifest(out, "r2", {})  # the manifest came before the commit saw the marker
    with pytest.raises(RunStopped):
        check_not_stopped(out, "r2", after_manifest=True)
    assert not (tmp_path / "_staging" / "r2" / COMMIT_MANIFEST).exists()  # taken back


def test_an_in_process_commit_between_its_checks_cannot_pass_a_stop_unseen(tmp_path, monkeypatch):
    """The in-process runner commits in a thread of the launching process, which a stop cannot
    end, and its launcher removes the run's staging folder, marker and all, once it finds no
    manifest. So a stop waits until a commit between its two checks is done with them (then the
    manifest is there for the launcher to see, and it waits for the commit), and from then on
    this process's commits stop at the run, marker or not."""
    import threading

    from newsbeam.transforms.write import commit

    out = str(tmp_path)
    between, go_on = threading.Event(), threading.Event()
    write_manifest = commit.write_manifest

    def slow_manifest(*args):
        between.set()  # the first check has passed
        go_on.wait(10)
        write_manifest(*args)

    monkeypatch.setattr(commit, "write_manifest", slow_manifest)
    outcomes = []

    def commit_thread(run_id: str):
        try:
            commit.pass_commit_point(out, run_id, {})
            outcomes.append("passed")
        except commit.RunStopped:
            outcomes.append("stopped")

    committing = threading.Thread(target=commit_thread, args=("early",))
    committing.start()
    assert between.wait(10)
    stopping = threading.Thread(target=commit.request_stop, args=(out, "early"))
    stopping.start()
    stopping.join(0.3)
    assert stopping.is_alive()  # the stop waits for the commit's second check
    go_on.set()
    stopping.join(10)
    assert not stopping.is_alive() and commit.manifest_written(out, "early")  # the launcher sees it
    committing.join(10)
    assert outcomes == ["passed"]

    # A stop that found no manifest: the launcher removes the folder, marker and all, and a
    # commit of this process that reaches its first check after that still stops.
    monkeypatch.setattr(commit, "write_manifest", write_manifest)
    commit.request_stop(out, "late")
    assert not commit.manifest_written(out, "late")
    commit.remove_staged_run(out, "late")
    commit_thread("late")
    assert outcomes == ["passed", "stopped"] and not commit.manifest_written(out, "late")


def stop_of(run_id: str, out: Path, workers_here: bool = True):
    from newsbeam.pipeline.stop import RunStop

    stop = RunStop()
    stop.workers_here = workers_here
    stop.started(run_id, str(out), {})
    return stop


def test_a_stop_before_the_run_started_or_before_its_manifest_publishes_nothing(output):
    from newsbeam.pipeline.stop import RunStop

    out, _ = output
    before = state(out)
    assert "newsbeam: " + RunStop().settle("SIGINT") == NOTHING.format("SIGINT")
    assert "newsbeam: " + stop_of("never", out).settle("SIGTERM") == NOTHING.format("SIGTERM")
    assert not (out / "_staging" / "never").exists()  # every worker here: the marker can go
    # A worker elsewhere (Dataflow) may still reach the commit: the marker stays to stop it there.
    assert "newsbeam: " + stop_of("remote", out, workers_here=False).settle("SIGTERM") == NOTHING.format(
        "SIGTERM"
    )
    assert (out / "_staging" / "remote" / "_STOP").exists()
    from newsbeam.transforms.write.commit import remove_staged_run

    remove_staged_run(str(out), "remote")
    assert state(out) == before


def test_a_stop_after_the_commit_says_the_run_is_published_whole(output):
    out, _ = output
    assert "newsbeam: " + stop_of("first", out).settle("SIGINT") == COMMITTED.format("SIGINT", "first")
    assert not (out / "_staging" / "first").exists()


def test_a_stop_after_the_manifest_waits_for_the_commit(output, monkeypatch):
    import threading

    from newsbeam.pipeline import stop as stop_module
    from newsbeam.transforms.write.commit import (
        COMMIT_MANIFEST,
        RunStopped,
        check_not_stopped,
        write_manifest,
    )

    out, _ = output
    before = state(out)
    # The commit wrote its manifest before the marker came; its second look takes it back.
    write_manifest(str(out), "late", {})
    stop = stop_of("late", out)

    seen = []

    def commit_sees_the_marker():
        while not (out / "_staging" / "late" / "_STOP").exists():
            time.sleep(0.01)
        time.sleep(0.3)  # the stop waits meanwhile: the manifest is there
        try:
            check_not_stopped(str(out), "late", after_manifest=True)
        except RunStopped as exc:
            seen.append(exc)

    stop._worker = threading.Thread(target=commit_sees_the_marker)
    stop._worker.start()
    assert "newsbeam: " + stop.settle("SIGTERM") == NOTHING.format("SIGTERM")
    assert seen and not (out / "_staging" / "late").exists() and state(out) == before
    # A commit still going when the wait runs out: the manifest stays, the next run finishes it.
    monkeypatch.setattr(stop_module, "COMMIT_WAIT", 0.3)
    write_manifest(str(out), "slow", {})
    stop = stop_of("slow", out)
    stop._worker = threading.Thread(target=time.sleep, args=(2,))
    stop._worker.start()
    assert "newsbeam: " + stop.settle("SIGINT") == (
        f"newsbeam: stopped by SIGINT while run slow was publishing; the next run into {out} "
        "finishes publishing it whole"
    )
    assert (out / "_staging" / "slow" / COMMIT_MANIFEST).exists()
    from newsbeam.transforms.write.commit import remove_staged_run

    remove_staged_run(str(out), "slow")
