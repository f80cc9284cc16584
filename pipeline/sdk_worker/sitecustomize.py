"""Run by Python at start-up in processes whose PYTHONPATH holds this folder (see __init__.py):
in a Beam SDK worker whose options ask for a log level above INFO, drop what its root logger
would print before the harness sets that level. Then run the sitecustomize this one hides, if any.
"""

import os


def _quiet_level_asked() -> bool:
    """True for a Beam SDK worker (its launcher sets the control address and the options)
    whose ``default_sdk_harness_log_level`` is above INFO."""
    if "CONTROL_API_SERVICE_DESCRIPTOR" not in os.environ:
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


def _run_hidden_sitecustomize() -> None:
    import importlib.machinery
    import importlib.util
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    path = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


if _quiet_level_asked():
    import logging

    # A handler on the root logger keeps logging.warning() from installing a stderr one.
    logging.getLogger().addHandler(logging.NullHandler())
_run_hidden_sitecustomize()
