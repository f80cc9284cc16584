"""``make stress``: the reliability properties of docs/guarantees.md, tried at scale.

1. **Hostile input**: the generated corpus of ``benchmarks/hostile.py`` at ten times the size
   the test suite uses (10,000 files), through one ``newsbeam run`` with two worker processes.
   The run must exit 0 and add up; every failure must have a kind from the documented
   vocabulary (no ``unexpected_*``); no title, author or body may keep an invisible character;
   the peak memory of every process is reported.
2. **Kill and rerun**: the same small run, 20 times, each killed with SIGKILL, alternately at a
   random moment and at a named step of the commit (``NEWSBEAM_FAULT``). After each kill, what a
   reader sees must be nothing of the run or all of it, and every published file must read
   whole; a rerun with the same command must then give exactly the tables of an uninterrupted
   run.

Prints a report and exits 1 when any property failed. A script, not a test: it takes about
half an hour on the 2-core machine of the docs' figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_pipeline import measure  # noqa: E402
from benchmarks.hostile import EXPECTED_KINDS, write_corpus  # noqa: E402
from newsbeam.pipeline.query import connect  # noqa: E402
from newsbeam.schemas import all_tables  # noqa: E402

#: Columns that hold the clock of the run that wrote them, not what was read.
CLOCK_COLUMNS = {
    "ingested_at", "captured_at", "started_at", "finished_at", "fetched_at", "run_date", "options", "versions",
}  # fmt: skip
#: Named steps a run can be killed at (transforms.write.commit.fault_point): a file written,
#: either side of the commit point, inside each table's Delta commit (the runs table's last),
#: and before the manifest is removed.
FAULT_POINTS = (
    "write.staged",
    "commit.before_manifest",
    "commit.after_manifest",
    *(f"commit.delta.{name}" for name in sorted(all_tables(), key=lambda n: (n == "runs", n))),
    "commit.before_cleanup",
)
INVISIBLE = {"\x00", "\u202e", "\u202d", "\u2066", "\u200b", "\u2060", "\ufeff", "\u00ad"}


def newsbeam_command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "newsbeam", "run", *args]


def environment(fault: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NEWSBEAM_FAULT"}
    if fault:
        env["NEWSBEAM_FAULT"] = fault
    return env


def visible(out: Path) -> dict[str, list]:
    """Every table as a reader of ``newsbeam query`` sees it, without the run's clock."""
    seen = {}
    with connect(str(out)) as con:
        for name in sorted(all_tables()):
            columns = [c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE {name})").fetchall()]
            keep = [c for c in columns if c not in CLOCK_COLUMNS]
            seen[name] = sorted(map(repr, con.execute(f"SELECT {', '.join(keep)} FROM {name}").fetchall()))
    return seen


def delta_rows(out: Path) -> dict[str, list]:
    """Every table as a plain Delta reader sees it (no filter on committed runs), without the
    run's clock: between two tables' commits a table holds all of a run's rows or none."""
    from deltalake import DeltaTable

    seen = {}
    for name in sorted(all_tables()):
        folder = out / name
        if not DeltaTable.is_deltatable(str(folder)):
            seen[name] = []
            continue
        rows = DeltaTable(str(folder)).to_pyarrow_table().to_pylist()
        seen[name] = sorted(repr({k: v for k, v in row.items() if k not in CLOCK_COLUMNS}) for row in rows)
    return seen


def published_files(out: Path) -> set[str]:
    """The files each table's current Delta version holds, as ``<table>/<path>``; each must read
    whole (raises if not). Files a run wrote but never committed are not among them."""
    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    found = set()
    for name in all_tables():
        folder = out / name
        if not DeltaTable.is_deltatable(str(folder)):
            continue
        for path in DeltaTable(str(folder)).file_uris():
            pq.read_table(path)
            found.add(str(Path(path).relative_to(out)))
    return found


def hostile(size: int, work: Path, failures: list[str]) -> dict:
    corpus, out = work / "hostile", work / "hostile-out"
    started = time.monotonic()
    made = write_corpus(corpus, size)
    generated = time.monotonic() - started
    args = ["--input", str(corpus), "--output", str(out), "--run_id", "stress"]
    args += ["--fetch_retries", "0", "--fetch_timeout", "2"]
    args += ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
    report = {"files": sum(made.values()), "generated_s": generated, "peaks_mib": {}}
    try:
        measured = measure([newsbeam_command(args)])
    except RuntimeError as exc:  # the run exited non-zero
        failures.append(f"hostile run failed: {str(exc)[-500:]}")
        return report
    report["wall_s"] = measured.seconds
    report["peaks_mib"] = {f"{u.role} {pid}": u.peak_rss // 2**20 for pid, u in measured.usage.items()}
    with connect(str(out)) as con:
        row = dict(zip(["inputs", "articles", "duplicates", "errors"], con.execute("SELECT inputs, articles, duplicates, errors FROM runs").fetchone(), strict=True))  # fmt: skip
        report["rows"] = {
            name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in sorted(all_tables())
        }
        kinds = dict(
            con.execute("SELECT kind, count(*) FROM errors GROUP BY kind ORDER BY 2 DESC").fetchall()
        )
        texts = con.execute("SELECT title, authors, text FROM articles").fetchall()
        refs = [r for (r,) in con.execute(
            "SELECT input_ref FROM articles UNION ALL SELECT input_ref FROM duplicates UNION ALL SELECT input_ref FROM errors"
        ).fetchall()]  # fmt: skip
    report["runs_row"], report["kinds"] = row, kinds
    # Accounting can only count what was read: every file must also end in some row (an OPML
    # file is no record itself; its feeds are).
    covered = {source_file(ref) for ref in refs}
    unread = [p for p in corpus.iterdir() if p.suffix != ".opml" and str(p) not in covered]
    if unread:
        names = ", ".join(sorted(p.name for p in unread)[:5])
        failures.append(f"{len(unread)} input files ended in no table at all (e.g. {names})")
    if row["inputs"] != row["articles"] + row["duplicates"] + row["errors"]:
        failures.append(f"hostile run does not add up: {row}")
    unknown = sorted(set(kinds) - EXPECTED_KINDS)
    if unknown:
        failures.append(f"hostile run has error kinds outside the vocabulary: {unknown}")
    dirty = sum(
        1 for title, authors, text in texts if INVISIBLE & set((title or "") + "".join(authors) + text)
    )
    if dirty:
        failures.append(f"{dirty} articles keep an invisible character")
    return report


def source_file(input_ref: str) -> str:
    """The file an input reference comes from: ``path``, ``path#item=3``, ``path:12``, ``file://path``."""
    base = input_ref.removeprefix("file://").split("#")[0]
    head, _, tail = base.rpartition(":")
    return head if head and tail.isdigit() else base


def small_run(folder: Path) -> list[str]:
    """The arguments of a small run (four stories, one a copy, and a bad line: articles,
    duplicates, errors and every extraction table get rows) with a fixed --run_id."""
    from tests.transforms.dedup.test_dedup import OTHER, SAME_TOPIC, STORY

    stories = [
        {
            "url": "https://a.example/bridge",
            "title": "Bridge",
            "text": STORY,
            "published": "2026-11-20T08:00:00Z",
        },
        {
            "url": "https://a.example/tram",
            "title": "Tram",
            "text": OTHER,
            "published": "2026-11-21T09:00:00Z",
        },
        {"url": "https://b.example/tolls", "title": "Tolls", "text": SAME_TOPIC},
        {"url": "https://c.example/wire/bridge", "title": "Bridge", "text": STORY},  # a copy
    ]
    folder.mkdir(parents=True, exist_ok=True)
    dump = folder / "dump.jsonl"
    dump.write_text("".join(json.dumps(s) + "\n" for s in stories) + "{not json\n", encoding="utf-8")
    return ["--input", f"jsonl:{dump}", "--run_id", "nightly"]


def kill_loop(loops: int, work: Path, failures: list[str], seed: int = 11) -> dict:
    rng = random.Random(seed)
    args = small_run(work / "kill")
    reference = work / "kill" / "reference"
    started = time.monotonic()
    done = subprocess.run(newsbeam_command(args + ["--output", str(reference)]), cwd=ROOT, env=environment(), capture_output=True, text=True)  # fmt: skip
    full = time.monotonic() - started
    if done.returncode != 0:
        failures.append(f"reference run failed: {done.stderr[-500:]}")
        return {}
    expected, expected_files = visible(reference), published_files(reference)
    expected_rows = delta_rows(reference)
    empty = {name: [] for name in expected}
    killed = matched = 0
    kinds: dict[str, int] = {}
    for loop in range(loops):
        out = work / "kill" / f"out-{loop:02d}"
        if loop % 2 == 0:
            fault, delay = None, rng.uniform(0.5, full)
            how = f"at {delay:.1f} s"
        else:
            fault, delay = rng.choice(FAULT_POINTS), None
            how = f"at {fault}"
        process = subprocess.Popen(newsbeam_command(args + ["--output", str(out)]), cwd=ROOT, env=environment(fault), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        if delay is not None:
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
        code = process.wait()
        state = "finished" if code == 0 else "killed" if code == -signal.SIGKILL else f"exit {code}"
        if state == "killed":
            killed += 1
        elif state != "finished":
            failures.append(f"loop {loop}: the run ended with {state}")
        kinds[state] = kinds.get(state, 0) + 1
        try:
            files = published_files(out) if out.exists() else set()
            seen = visible(out) if out.exists() else empty
            tables = delta_rows(out) if out.exists() else empty
        except Exception as exc:  # noqa: BLE001 - a broken file is exactly what must not happen
            failures.append(f"loop {loop} (killed {how}): a reader failed: {exc}")
            continue
        if seen not in (empty, expected):
            failures.append(f"loop {loop} (killed {how}): readers see part of a run")
        partial = [name for name, rows in tables.items() if rows not in ([], expected_rows[name])]
        if partial:
            failures.append(f"loop {loop} (killed {how}): a Delta reader sees part of a run in {partial}")
        if not files <= expected_files:
            failures.append(f"loop {loop} (killed {how}): files that an uninterrupted run does not write")
        rerun = subprocess.run(newsbeam_command(args + ["--output", str(out)]), cwd=ROOT, env=environment(), capture_output=True, text=True)  # fmt: skip
        same = rerun.returncode == 0 and visible(out) == expected and published_files(out) == expected_files
        if same:
            matched += 1
        else:
            failures.append(
                f"loop {loop} (killed {how}): the rerun did not match ({rerun.stderr.strip()[-300:]})"
            )
        print(
            f"  loop {loop + 1:2d}/{loops}: {state} {how}; rerun {'matched' if same else 'FAILED'}",
            flush=True,
        )
    return {"loops": loops, "killed": killed, "matched": matched, "states": kinds, "full_run_s": full}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size", type=int, default=10_000, help="hostile inputs to generate (default 10,000)"
    )
    parser.add_argument("--loops", type=int, default=20, help="kill-and-rerun loops (default 20)")
    parser.add_argument(
        "--work", default=None, help="folder for corpora and outputs (default: a temporary one)"
    )
    args = parser.parse_args()
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="newsbeam-stress-") as temporary:
        work = Path(args.work or temporary)
        work.mkdir(parents=True, exist_ok=True)
        print(
            f"newsbeam stress: {args.size:,} hostile inputs, {args.loops} kill-and-rerun loops, in {work}",
            flush=True,
        )
        report = hostile(args.size, work, failures)
        print()
        print(f"Hostile input ({report['files']:,} files, generated in {report['generated_s']:.0f} s):")
        if "wall_s" in report:
            print(f"  run took {report['wall_s']:.0f} s (multi_processing, 2 workers)")
        if "runs_row" in report:
            row = report["runs_row"]
            print(f"  inputs tried {row['inputs']:,}: articles {row['articles']:,} + duplicates {row['duplicates']:,} + errors {row['errors']:,}")  # fmt: skip
            print("  rows per table: " + ", ".join(f"{k} {v:,}" for k, v in report["rows"].items()))
            print("  error kinds: " + ", ".join(f"{k} {v:,}" for k, v in report["kinds"].items()))
        peaks = sorted(report["peaks_mib"].items(), key=lambda kv: -kv[1])
        print(
            "  peak RSS per process, MiB: " + ", ".join(f"{who.split()[0]} {mib:,}" for who, mib in peaks[:4])
        )
        print()
        print(f"Kill and rerun ({args.loops} loops):")
        loops = kill_loop(args.loops, work, failures)
        if loops:
            print(f"  an uninterrupted run took {loops['full_run_s']:.1f} s")
            print(f"  runs killed {loops['killed']} of {loops['loops']} (the rest finished before the kill came: {loops['states']})")  # fmt: skip
            print(f"  reruns that matched the uninterrupted run: {loops['matched']} of {loops['loops']}")
        print(
            f"  max RSS of any child process: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024:,} MiB"
        )
    print()
    if failures:
        print(f"{len(failures)} properties FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("No property failed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
