"""What can be checked here of the cloud set-up: the Flex Template's image, metadata and the Airflow DAG."""

import argparse
import ast
import json
import re

import apache_beam
from apache_beam.options.pipeline_options import PipelineOptions

from newsbeam.pipeline.options import NewsbeamOptions
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def _declared() -> dict:
    parser = argparse.ArgumentParser()
    NewsbeamOptions._add_argparse_args(parser)
    return {a.dest: a for a in parser._actions if a.option_strings}


def test_metadata_parameters_are_options_the_pipeline_declares():
    metadata = json.loads((DEPLOY / "metadata.json").read_text())
    declared = _declared()
    names = [p["name"] for p in metadata["parameters"]]
    assert len(names) == len(set(names))
    for param in metadata["parameters"]:
        action = declared.get(param["name"])
        assert action is not None, f"{param['name']} is not a newsbeam option"
        assert action.nargs != 0, f"{param['name']} is a flag: a template passes --{param['name']}=VALUE"
        for regex in param.get("regexes", []):
            re.compile(regex)
    required = {p["name"] for p in metadata["parameters"] if not p["isOptional"]}
    assert required == {"input", "output"}


def test_the_image_copies_what_exists_and_pins_the_installed_beam():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert f"apache/beam_python3.11_sdk:{apache_beam.__version__}" in dockerfile
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    entry = re.search(r"FLEX_TEMPLATE_PYTHON_PY_FILE=/template/(\S+)", dockerfile).group(1)
    assert (ROOT / entry).exists()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "out", "tests", ".git"} <= set(ignored)


def test_the_flex_entry_point_is_newsbeam_run(monkeypatch):
    import runpy

    import newsbeam.pipeline.cli

    seen = []
    monkeypatch.setattr(newsbeam.pipeline.cli, "run_and_exit", lambda argv: seen.append(argv))
    monkeypatch.setattr("sys.argv", ["flex_template.py", "--output=gs://b/news", "--runner=DataflowRunner"])
    runpy.run_path(str(ROOT / "pipeline" / "flex_template.py"), run_name="__main__")
    assert seen == [["run", "--output=gs://b/news", "--runner=DataflowRunner"]]


def test_the_airflow_dag_uses_only_real_options():
    tree = ast.parse((DEPLOY / "airflow_dag.py").read_text())
    (options,) = [
        kw.value for node in ast.walk(tree) if isinstance(node, ast.Call)
        for kw in node.keywords if kw.arg == "pipeline_options"
    ]  # fmt: skip
    keys = [key.value for key in options.keys]
    beam_options = set(PipelineOptions([]).get_all_options())
    assert keys and all(key in _declared() or key in beam_options for key in keys), keys
