"""The samples through three Beam runners give the same tables (issue 6).

(a) DirectRunner in-process; (b) DirectRunner with ``--direct_running_mode=multi_processing
--direct_num_workers=2``: separate SDK worker processes over the Fn API, as on Dataflow; (c) the
PortableRunner against Beam's own job service (``apache_beam.runners.portability.
local_job_service_main``) with an external worker pool (``apache_beam.runners.worker.
worker_pool_main``), the path by which Flink and Spark run Python pipelines.

The portable run needs no staging options: ``--sdk_location`` keeps its default (``default``),
which stages nothing, so no Beam tarball is fetched. The pool starts each SDK worker as
``python -c "from apache_beam.runners.worker.sdk_worker import SdkHarness; ..."``, ``python``
taken from PATH, which is why both services start with the venv's bin first on PATH; the workers
import newsbeam from the venv's editable install. Workers and the test share the machine, so the
output folder is a plain local path.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsbeam.pipeline.query import connect
from newsbeam.pipeline.run import run, sample_inputs
from newsbeam.schemas import all_tables
from newsbeam.transforms.common.progress import read_progress

RUN_ID = "runners-1"
#: Columns that say when, not what: they differ between any two runs of the same input. Of
#: captured_at (when a feed's link was fetched, here from local files) only whether it is set is kept.
WHEN = {"articles": ("ingested_at", "captured_at"), "links": ("fetched_at",), "feeds": ("fetched_at",)}
KEPT_OF_WHEN = {"articles": "captured_at IS NULL AS not_fetched"}
#: The runs row's figures; its timings, options (the runner's own) and versions are left out.
RUN_FIGURES = "inputs, articles, duplicates, errors, extract_errors, tables"
VENV_BIN = str(Path(sys.executable).parent)


def _run_samples(out: Path, *runner_options: str, reverse: bool = False) -> Path:
    argv = ["--output", str(out), "--run_id", RUN_ID, *runner_options]
    for spec in sorted(sample_inputs(), reverse=reverse):
        argv += ["--input", spec]
    outcome = run(argv)
    assert outcome.runs_row["run_id"] == RUN_ID
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_service(name: str, argv: list[str], port: int, log: Path) -> subprocess.Popen:
    """Start a Beam service in its own process group and wait until it listens on ``port``."""
    env = {**os.environ, "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", "")}
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            pytest.fail(f"{name} exited with code {proc.returncode} before listening: {tail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    _stop_service(proc)
    pytest.fail(
        f"{name} did not listen on 127.0.0.1:{port} within 60 s: {log.read_text(errors='replace')[-2000:]}"
    )


def _stop_service(proc: subprocess.Popen) -> None:
    """Stop a service and every process it started (the pool's SDK workers share its group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # what is left: the leader, or workers it left behind
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def _progress_dir(out: Path) -> Path:
    """Where a fixture's run kept its live progress counts (``--progress_dir``)."""
    folder = out.parent / (out.name + "-progress")
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def direct_output(sample_output):
    """The in-process run of the samples (tests/conftest.py), shared with other modules."""
    assert sample_output.joinpath("runs").is_dir() and RUN_ID == "runners-1"
    return sample_output


@pytest.fixture(scope="module")
def reordered_output(tmp_path_factory):
    """The same inputs named in the opposite order."""
    return _run_samples(tmp_path_factory.mktemp("reordered"), reverse=True)


@pytest.fixture(scope="module")
def multi_process_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("multi")
    return _run_samples(
        out,
        "--direct_running_mode=multi_processing",
        "--direct_num_workers=2",
        "--progress_dir",
        str(_progress_dir(out)),
    )


@pytest.fixture(scope="module")
def portable_run(tmp_path_factory, request):
    """The portable run's output folder and the worker pool's log."""
    logs = tmp_path_factory.mktemp("portable-logs")
    job_port, pool_port = _free_port(), _free_port()
    python = os.path.join(VENV_BIN, "python")
    services = []
    request.addfinalizer(lambda: [_stop_service(proc) for proc in services])
    services.append(
        _start_service(
            "job service",
            [python, "-m", "apache_beam.runners.portability.local_job_service_main", "--port", str(job_port)],
            job_port,
            logs / "job_service.log",
        )
    )
    services.append(
        _start_service(
            "worker pool",
            [python, "-m", "apache_beam.runners.worker.worker_pool_main", "--service_port", str(pool_port)],
            pool_port,
            logs / "worker_pool.log",
        )
    )
    output = _run_samples(
        tmp_path_factory.mktemp("portable"),
        "--runner=PortableRunner",
        f"--job_endpoint=localhost:{job_port}",
        "--environment_type=EXTERNAL",
        f"--environment_config=localhost:{pool_port}",
    )
    return output, (logs / "worker_pool.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def portable_output(portable_run):
    return portable_run[0]


def _rows(output: Path, table: str) -> list[str]:
    """Every row of a table but its per-run columns, as sorted canonical JSON."""
    con = connect(str(output))
    if table == "runs":
        sql = f"SELECT {RUN_FIGURES}, run_id, run_date FROM runs"
    else:
        left_out = WHEN.get(table)
        kept = f", {KEPT_OF_WHEN[table]}" if table in KEPT_OF_WHEN else ""
        sql = (
            f"SELECT * EXCLUDE ({', '.join(left_out)}){kept} FROM {table}"
            if left_out
            else f"SELECT * FROM {table}"
        )
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return sorted(
        json.dumps(dict(zip(names, row, strict=True)), sort_keys=True, default=str)
        for row in cursor.fetchall()
    )


TABLES = sorted(all_tables())


def test_the_in_process_run_wrote_every_table(direct_output):
    """The reference run holds what the samples hold, so equal tables below mean something."""
    con = connect(str(direct_output))
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    fixed = {t: counts[t] for t in ("articles", "duplicates", "fingerprints", "runs")}
    assert fixed == {"articles": 13, "duplicates": 1, "fingerprints": 13, "runs": 1}
    assert con.execute("SELECT count(*) FROM errors WHERE stage <> 'extract'").fetchone()[0] == 3
    assert all(counts[t] > 0 for t in ("entities", "places", "quotes", "counts", "keywords")), counts


@pytest.mark.parametrize("table", TABLES)
def test_inputs_in_another_order_give_the_same_rows_and_ids(direct_output, reordered_output, table):
    assert _rows(reordered_output, table) == _rows(direct_output, table)


@pytest.mark.parametrize("table", TABLES)
def test_multi_processing_direct_runner_writes_the_same_rows(direct_output, multi_process_output, table):
    assert _rows(multi_process_output, table) == _rows(direct_output, table)


@pytest.mark.parametrize("table", TABLES)
def test_portable_runner_with_an_external_worker_pool_writes_the_same_rows(
    direct_output, portable_output, table
):
    assert _rows(portable_output, table) == _rows(direct_output, table)


def test_the_portable_run_s_work_ran_in_the_external_pool(portable_run):
    """Not in the job service's own process: the pool started an SDK worker for the job."""
    _, pool_log = portable_run
    assert "Starting worker with command" in pool_log and "SdkHarness" in pool_log, pool_log


@pytest.mark.parametrize("which", ["direct_output", "multi_process_output"])
def test_live_progress_counts_add_up_to_the_runs_row(which, request):
    """The counts the progress line shows, summed over every worker's files, end at the run's
    own figures, in one process and across two worker processes."""
    out = request.getfixturevalue(which)
    shown = read_progress(str(_progress_dir(out)))
    con = connect(str(out))
    row = con.execute("SELECT inputs, articles, duplicates, errors FROM runs").fetchone()
    parse_errors = con.execute("SELECT count(*) FROM errors WHERE stage = 'parse'").fetchone()[0]
    fetch_errors = con.execute("SELECT count(*) FROM errors WHERE stage = 'fetch'").fetchone()[0]
    with_model = con.execute("SELECT count(*) FROM articles WHERE nlp_model IS NOT NULL").fetchone()[0]
    inputs, articles, duplicates, errors = row
    assert (shown["inputs"], shown["duplicates"], shown["errors"]) == (inputs, duplicates, errors)
    assert shown["parsed"] == articles + duplicates
    assert shown["fetched"] == shown["parsed"] + parse_errors
    assert (shown["to_fetch"], shown["fetch_errors"]) == (shown["fetched"] + fetch_errors, fetch_errors)
    # spaCy's articles: each counted once as work to do and once as done, in every worker
    assert shown["to_extract"] == shown["extracted"] == with_model > 0


def test_each_run_recorded_its_own_runner(direct_output, multi_process_output, portable_output):
    def options(output):
        return json.loads(connect(str(output)).execute("SELECT options FROM runs").fetchone()[0])

    assert "runner" not in options(direct_output)
    assert options(multi_process_output)["direct_running_mode"] == "multi_processing"
    assert options(portable_output)["runner"] == "PortableRunner"


def test_the_progress_folder_is_not_recorded_in_the_runs_row(direct_output):
    recorded = json.loads(connect(str(direct_output)).execute("SELECT options FROM runs").fetchone()[0])
    assert "progress_dir" not in recorded and "output" in recorded
