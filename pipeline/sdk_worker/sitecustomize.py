"""Run by Python at start-up in processes whose PYTHONPATH holds this folder (see __init__.py).
In a Beam SDK worker: drop what its root logger would print before the harness sets its level,
when its options ask for a level above INFO; flush each output stream to the runner at
OUTPUT_FLUSH_BYTES rather than Beam's 10 MiB; and once the harness has ended cleanly, end the
process without Python's interpreter teardown. Then run the sitecustomize this one hides, if any.
"""

import os

#: Bytes a worker's output stream gathers before it sends them to the runner. Beam flushes at
#: 10 MiB and never shrinks a stream's buffer, which doubles as it fills: a 16 MiB buffer for
#: each of the 10 to 45 outputs a stage of ours has open. The multi-process DirectRunner gives
#: each worker one bundle per stage, its whole share of the run, so every stream of a large run
#: reaches that size, and a worker's peak grew with the run (docs/speed.md, "Memory per worker").
OUTPUT_FLUSH_BYTES = 1 << 20


def _in_sdk_worker() -> bool:
    """True in a Beam SDK worker process: its launcher sets the control service's address."""
    return "CONTROL_API_SERVICE_DESCRIPTOR" in os.environ


def _quiet_level_asked() -> bool:
    """True for a Beam SDK worker (its launcher sets the control address and the options)
    whose ``default_sdk_harness_log_level`` is above INFO."""
    if not _in_sdk_worker():
        return False
    import json
    import logging

    try:
        options = json.loads(os.environ.get("PIPELINE_OPTIONS") or "{}")
    except ValueError:
        return False
    options = options.get("options", options)  # the old form nests them; the portable one has urns
    name = "default_sdk_harness_log_level"
    level = options.get(name, options.get(f"beam:option:{name}:v1", "INFO"))
    number = int(level) if str(level).isdecimal() else getattr(logging, str(level), logging.INFO)
    return isinstance(number, int) and number > logging.INFO


def _bound_output_buffers() -> None:
    """Make the size-flushed output streams Beam's data channel creates flush at
    OUTPUT_FLUSH_BYTES. ``ClosableOutputStream.create`` looks the class up in its module when it
    makes a stream, so a subclass put there is what every bundle gets; a Beam without that class
    and argument is left as it is (tests/pipeline/test_sdk_worker.py fails on it)."""
    try:
        from apache_beam.runners.worker import data_plane
    except ImportError:
        return
    base = getattr(data_plane, "SizeBasedBufferingClosableOutputStream", None)
    if base is None or getattr(base, "_newsbeam_flush", False):
        return

    class SmallerFlush(base):
        _newsbeam_flush = True

        def __init__(self, close_callback=None, flush_callback=None, size_flush_threshold=None, **kwargs):
            threshold = min(size_flush_threshold or OUTPUT_FLUSH_BYTES, OUTPUT_FLUSH_BYTES)
            super().__init__(close_callback, flush_callback, threshold, **kwargs)

    data_plane.SizeBasedBufferingClosableOutputStream = SmallerFlush


#: True once the worker's harness has returned from its run: every bundle answered, its data,
#: state and logging channels closed.
_HARNESS_ENDED: list[bool] = []


def _end_now_if_clean() -> None:
    """The last exit handler of a worker whose harness ended cleanly: flush stdout and stderr and
    end the process, skipping the interpreter's teardown (freeing every object of the model, the
    gazetteer and the rest one by one: 1.2 to 1.7 s a worker, measured, and the multi-process
    DirectRunner waits for its workers one after another at the end of every run). Whatever
    failed, it leaves the exit to Python, with its status and its traceback."""
    import sys

    if not _HARNESS_ENDED or getattr(sys, "last_value", None) is not None:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(0)


def _mark_the_harness_end() -> None:
    """Note when ``SdkHarness.run`` returns (not when it raises); a Beam without it is left as it is."""
    try:
        from apache_beam.runners.worker import sdk_worker
    except ImportError:
        return
    harness = getattr(sdk_worker, "SdkHarness", None)
    if harness is None or getattr(harness.run, "_newsbeam_marked", False):
        return
    run = harness.run

    def run_then_mark(self, *args, **kwargs):
        result = run(self, *args, **kwargs)
        _HARNESS_ENDED.append(True)
        return result

    run_then_mark._newsbeam_marked = True
    harness.run = run_then_mark


def _run_hidden_sitecustomize() -> None:
    import importlib.machinery
    import importlib.util
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    path = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


if _in_sdk_worker():
    import atexit

    # First registered, so the last to run: every other exit handler (logging's among them) runs.
    atexit.register(_end_now_if_clean)
if _quiet_level_asked():
    import logging

    # A handler on the root logger keeps logging.warning() from installing a stderr one.
    logging.getLogger().addHandler(logging.NullHandler())
if _in_sdk_worker():
    _bound_output_buffers()
    _mark_the_harness_end()
_run_hidden_sitecustomize()
