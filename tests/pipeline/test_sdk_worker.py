"""Beam's start-up lines stay off stderr unless --verbose: in SDK worker processes, which log
before they read their log level (pipeline/sdk_worker), and in a whole multi-process run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from newsbeam.pipeline.sdk_worker import FOLDER, prepare_worker_start
from tests.conftest import SAMPLES


def _start_like_a_worker(options: dict, **env: str) -> str:
    """stderr of a Python that imports Beam and logs as the SDK harness does before it reads
    its options, started with the environment a multi-process DirectRunner gives its workers."""
    code = (
        "import logging, apache_beam\n"
        "logging.getLogger().setLevel(logging.INFO)\n"
        "logging.getLogger('apache_beam.runners.worker.sdk_worker_main').info('Logging handler created.')\n"
    )
    environment = {
        **os.environ,
        "PYTHONPATH": FOLDER,
        "CONTROL_API_SERVICE_DESCRIPTOR": "url: 'localhost:1'",
        "PIPELINE_OPTIONS": json.dumps(options),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


@pytest.mark.parametrize(
    "options",
    [
        {"options": {"default_sdk_harness_log_level": "ERROR"}},
        {"beam:option:default_sdk_harness_log_level:v1": "ERROR"},  # the portable form
        {"options": {"default_sdk_harness_log_level": "40"}},
    ],
)
def test_a_worker_asked_for_errors_only_starts_silent(options):
    assert _start_like_a_worker(options) == ""


@pytest.mark.parametrize("options", [{}, {"options": {"default_sdk_harness_log_level": "INFO"}}])
def test_a_worker_left_at_info_still_says_everything(options):
    stderr = _start_like_a_worker(options)
    assert "apitools not found" in stderr and "Logging handler created." in stderr


_FLUSHES = (
    "from apache_beam.runners.worker import data_plane\n"
    "sent = []\n"
    "stream = data_plane.ClosableOutputStream.create(None, sent.append, 0)\n"
    "for _ in range(3000):\n"
    "    stream.write(b'x' * 4096)\n"
    "    stream.maybe_flush()\n"
    "print(len(sent), max(map(len, sent), default=0))\n"
)


def test_a_worker_flushes_its_output_streams_at_one_mib():
    """12 MB written in 4 KB elements: Beam alone sends one 10 MiB message; in a worker, 11 of
    just over 1 MiB, so no stream's buffer grows past 2 MiB however long its bundle."""
    from newsbeam.pipeline.sdk_worker.sitecustomize import OUTPUT_FLUSH_BYTES

    environment = {**os.environ, "PYTHONPATH": FOLDER, "CONTROL_API_SERVICE_DESCRIPTOR": "url: 'localhost:1'"}
    done = subprocess.run(
        [sys.executable, "-c", _FLUSHES], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    count, largest = (int(n) for n in done.stdout.split())
    assert count == 3000 * 4096 // (OUTPUT_FLUSH_BYTES + 4096)
    assert OUTPUT_FLUSH_BYTES < largest <= OUTPUT_FLUSH_BYTES + 4096
    elsewhere = {k: v for k, v in environment.items() if k != "CONTROL_API_SERVICE_DESCRIPTOR"}
    done = subprocess.run([sys.executable, "-c", _FLUSHES], env=elsewhere, capture_output=True, text=True)
    assert done.stdout.split()[0] == "1"  # not a worker: Beam's own 10 MiB


def test_other_python_processes_are_left_as_they_were():
    environment = {k: v for k, v in os.environ.items() if k != "CONTROL_API_SERVICE_DESCRIPTOR"}
    environment["PYTHONPATH"] = FOLDER
    done = subprocess.run(
        [sys.executable, "-c", "import logging; logging.warning('mine')"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stderr == "WARNING:root:mine\n"


def test_a_sitecustomize_it_hides_still_runs(tmp_path):
    (tmp_path / "sitecustomize.py").write_text("print('theirs ran')\n")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([FOLDER, str(tmp_path)])}
    done = subprocess.run([sys.executable, "-c", "pass"], env=environment, capture_output=True, text=True)
    assert done.stdout == "theirs ran\n"


def test_the_folder_goes_first_on_the_path_once(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    prepare_worker_start()
    prepare_worker_start()
    assert os.environ["PYTHONPATH"] == os.pathsep.join([FOLDER, "/somewhere"])


def test_a_multi_process_run_prints_nothing_on_stderr(tmp_path):
    """The whole command, in a process of its own: only the summary, on stdout."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [
            sys.executable, "-m", "newsbeam", "run", "--quiet",
            "--input", str(SAMPLES / "stories"), "--output", str(tmp_path / "out"),
            "--direct_running_mode=multi_processing", "--direct_num_workers=2",
        ],
        env=environment, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    assert "inputs read                2" in done.stdout
