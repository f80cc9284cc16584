"""Settings for the SDK worker processes of Beam's multi-process DirectRunner: a quiet start,
output streams flushed at 1 MiB rather than 10 (``sitecustomize.OUTPUT_FLUSH_BYTES``), and an end
without the interpreter's teardown once the harness has finished cleanly (the runner waits for
each worker to exit, one after another, at the end of every run).

Each worker is a fresh ``python -m apache_beam.runners.worker.sdk_worker_main``. Its first lines
on stderr come before it reads the run's options, so ``--default_sdk_harness_log_level=ERROR``
(which ``newsbeam run`` passes unless ``--verbose``) cannot hold them back: ``import apache_beam``
logs "apitools not found, and bigquery client libraries are not available" through the root
logger, whose first use installs a stderr handler (``logging.basicConfig``), and through that
handler the harness then logs "Logging handler created." at INFO. No Beam option reaches that
early, but the worker's environment does: this folder's ``sitecustomize.py``, on the
``PYTHONPATH`` a worker inherits, gives its root logger a handler that drops records, until the
harness adds its own, which sends them to the launching process (where they show with
``--verbose``).
"""

from __future__ import annotations

import os

FOLDER = os.path.dirname(os.path.abspath(__file__))


def prepare_worker_start() -> None:
    """Put this folder first on ``PYTHONPATH`` for the processes this one starts; calling it
    again changes nothing. ``sitecustomize.py`` acts only in a Beam SDK worker (and keeps it
    quiet only when its options ask for a log level above INFO), so other Python processes are
    left as they were."""
    paths = [path for path in os.environ.get("PYTHONPATH", "").split(os.pathsep) if path]
    if FOLDER not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([FOLDER, *paths])
