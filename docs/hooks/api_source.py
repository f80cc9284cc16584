"""MkDocs hook: let mkdocstrings read the whole ``newsbeam`` package, as a wheel lays it out.

mkdocstrings reads source with griffe, which does not import it. In an editable install,
``newsbeam/`` holds only the API, while ``newsbeam.pipeline``, ``newsbeam.transforms`` and
``newsbeam.schemas`` are the repository's top-level folders, mapped by setuptools' editable
finder; griffe follows that finder to ``newsbeam/`` but not to the mapped folders, so a name the
API re-exports from them (``__version__``) would not resolve and would silently be left off
the page. This hook builds the installed layout in a temporary folder of symbolic links (every
file of ``newsbeam/``, plus each subpackage where the import system finds it) and puts that
folder first on the Python handler's search paths.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority

_folder: Path | None = None


def package_layout(root: Path) -> dict[str, Path]:
    """Name in the installed ``newsbeam`` package → where it lives: ``api.py`` → newsbeam/api.py,
    ``pipeline`` → the folder ``newsbeam.pipeline`` imports from (pipeline/ here)."""
    layout = {p.name: p for p in (root / "newsbeam").iterdir() if p.name != "__pycache__"}
    for folder in sorted(p for p in root.iterdir() if (p / "__init__.py").is_file()):
        if folder.name in layout:
            continue
        spec = importlib.util.find_spec(f"newsbeam.{folder.name}")
        if spec is not None and spec.submodule_search_locations:
            layout[folder.name] = Path(list(spec.submodule_search_locations)[0])
    return layout


# Before mkdocstrings' own on_config, which starts its handlers with the paths they have then.
@event_priority(100)
def on_config(config):
    global _folder
    on_shutdown()  # mkdocs serve configures again on every change
    root = Path(config.config_file_path).parent
    _folder = Path(tempfile.mkdtemp(prefix="newsbeam-api-"))
    package = _folder / "newsbeam"
    package.mkdir()
    for name, target in package_layout(root).items():
        (package / name).symlink_to(target.resolve())
    handlers = config.plugins["mkdocstrings"].config.handlers
    python = handlers.setdefault("python", {})
    python["paths"] = [str(_folder), *python.get("paths", [])]
    return config


def on_shutdown():
    global _folder
    if _folder is not None:
        shutil.rmtree(_folder, ignore_errors=True)
        _folder = None
