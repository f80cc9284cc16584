"""Write ``tests/schemas/fixtures/<release>/``: an output folder as each released set of schemas
wrote it, one row per table, taken from the schemas in git at the commit that released them.

Run once per new schema version (``python tests/schemas/make_fixtures.py``) and commit the
folder it adds; ``test_fixtures.py`` runs today's newsbeam into a copy of every folder. The
folders are kept, not regenerated, so that a change to an old schema in git history could not
change them. Needs git and the repository's history.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURES = HERE / "fixtures"
#: Commits that released a new set of schema versions, and what changed in each.
RELEASES = {
    "884d458": "articles v1, duplicates v1, entities v1, errors v1, runs v1",
    "309c6a1": "articles v2 (provenance columns)",
    "3e0d053": "articles v3 (cluster_id, copies), duplicates v2, fingerprints v1",
    "e07c38e": "articles v4 (language, tone, nlp), entities v2, places, quotes, counts, keywords v1",
    "e47f22a": "runs v2 (window, options, versions)",
    "2c14f8e": "articles v5, entities v3 (columns added after v1 made nullable)",
    "0ee570b": "fingerprints v2 (int64 signature); every table a Delta Lake table from here on",
    "526615d": "runs v3 (state_bytes_read, feeds_not_modified), links v1, feeds v1",
    "da370dc": "articles v6 (declared_titles)",
}

#: Releases whose newsbeam wrote Delta tables: their fixture is written as above, then made Delta
#: tables by ``newsbeam migrate`` of the checkout, which is that release when the fixture is made
#: (the folders are kept, never remade). Before these, outputs were plain Parquet folders.
DELTA_RELEASES = {"0ee570b", "526615d", "da370dc"}

WRITER = r'''
import datetime as dt, sys
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
try:  # schemas as installed since the newsbeam namespace, or as a top-level package before it
    from newsbeam.schemas import all_tables
except ImportError:
    from schemas import all_tables

def value(field):
    """A value of the field's type (None where the column may be null)."""
    if field.nullable:
        return None
    t = field.type
    if pa.types.is_string(t): return f"{field.name}-1"
    if pa.types.is_integer(t): return 1
    if pa.types.is_floating(t): return 0.5
    if pa.types.is_boolean(t): return False
    if pa.types.is_timestamp(t): return dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    if pa.types.is_date(t): return dt.date(2025, 1, 1)
    if pa.types.is_list(t): return []
    if pa.types.is_struct(t): return {f.name: value(f) for f in t}
    raise TypeError(t)

out = Path(sys.argv[1])
for name, spec in all_tables().items():
    row = {f.name: value(f) for f in spec.schema}
    row["run_id"] = "fixture"
    folder = out / name / f"{spec.partition_key}=2025-01-01"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([row], schema=spec.schema), folder / "part-fixture-00000.parquet")
'''


def write_release(commit: str, target: Path) -> None:
    archive = subprocess.run(["git", "archive", commit, "schemas"], cwd=ROOT, check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as old:
        tarfile.open(fileobj=io.BytesIO(archive.stdout)).extractall(old)
        # The folder imports itself as newsbeam.schemas (since the namespace) or as schemas.
        (Path(old) / "newsbeam").mkdir()
        (Path(old) / "newsbeam" / "__init__.py").write_text("")
        shutil.copytree(Path(old) / "schemas", Path(old) / "newsbeam" / "schemas")
        subprocess.run(
            [sys.executable, "-c", WRITER, str(target)], cwd=old, check=True, env={"PYTHONPATH": old}
        )


def main() -> None:
    for commit, what in RELEASES.items():
        target = FIXTURES / commit
        if target.exists():
            continue
        write_release(commit, target)
        if commit in DELTA_RELEASES:
            sys.path.insert(0, str(ROOT))
            from newsbeam.transforms.write.migrate import migrate

            migrate(str(target))
        print(f"{target.relative_to(ROOT)}: {what} ({dt.date.today()})")


if __name__ == "__main__":
    main()
