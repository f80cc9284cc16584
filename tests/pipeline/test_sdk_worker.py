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


# A hidden sitecustomize that marks, in a file per process, its start and its interpreter's teardown
# (an object's __del__ when sys.modules is cleared: after every exit handler).
_TEARDOWN_MARK = """
import os, sys, types
folder = os.environ.get("TEARDOWN_MARKS")
if folder:
    class Mark:
        def __init__(self):
            path = os.path.join(folder, str(os.getpid()))
            self.write, self.fd = os.write, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            self.write(self.fd, b"started\\n")

        def __del__(self):
            self.write(self.fd, b"torn down\\n")

    module = types.ModuleType("teardown_mark")
    module.mark = Mark()
    sys.modules["teardown_mark"] = module
"""

_TWO_WORKERS = (
    "import apache_beam as beam\n"
    "from apache_beam.options.pipeline_options import PipelineOptions\n"
    "options = PipelineOptions(direct_running_mode='multi_processing', direct_num_workers=2)\n"
    "with beam.Pipeline(options=options) as p:\n"
    "    _ = p | beam.Create(range(20)) | beam.Map(lambda n: (n % 3, n)) | beam.GroupByKey()\n"
    "print('ran')\n"
)


def _marks(tmp_path, code: str, **env: str) -> tuple[subprocess.CompletedProcess, dict[str, list[str]]]:
    hidden, marks = tmp_path / "hidden", tmp_path / "marks"
    hidden.mkdir(parents=True)
    marks.mkdir()
    (hidden / "sitecustomize.py").write_text(_TEARDOWN_MARK)
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([FOLDER, str(hidden)]),
        "TEARDOWN_MARKS": str(marks),
    }
    environment.pop("CONTROL_API_SERVICE_DESCRIPTOR", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env={**environment, **env}, capture_output=True, text=True, timeout=300
    )
    return done, {path.name: path.read_text().split("\n")[:-1] for path in marks.iterdir()}


def test_a_worker_whose_harness_ended_cleanly_skips_the_interpreter_teardown(tmp_path):
    """A two-worker run: the launching process is torn down as usual, each of the two workers ends
    as soon as its last exit handler has run, and the run succeeds (the runner checks each
    worker's exit status)."""
    done, marks = _marks(tmp_path, _TWO_WORKERS)
    assert done.returncode == 0 and done.stdout == "ran\n", done.stderr[-2000:]
    assert sorted(marks.values()) == [["started"], ["started"], ["started", "torn down"]]


def test_a_worker_whose_harness_failed_or_never_ran_exits_as_python_does(tmp_path):
    failing = "from apache_beam.runners.worker import sdk_worker\nsdk_worker.SdkHarness.run(object())\n"
    done, marks = _marks(tmp_path, failing, CONTROL_API_SERVICE_DESCRIPTOR="url: 'localhost:1'")
    assert done.returncode == 1 and "AttributeError" in done.stderr
    assert list(marks.values()) == [["started", "torn down"]]

    done, marks = _marks(tmp_path / "never", "pass", CONTROL_API_SERVICE_DESCRIPTOR="url: 'localhost:1'")
    assert done.returncode == 0
    assert list(marks.values()) == [["started", "torn down"]]
