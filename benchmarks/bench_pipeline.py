"""Speed figures for newsbeam at scale: whole runs on a corpus built from fundus, against a plain loop.

One invocation builds N pages from ``../shared/corpora/fundus`` (``scale_corpus.py``: the 258
originals, then variants with their paragraphs redrawn and their URLs moved), then runs each of
these in a fresh process, alternated when repeated, and prints what they did:

- **plain loop**: the same work without Beam, one page after another (parse, ids and fingerprints,
  URL dedup, spaCy ``nlp.pipe`` and its extractors on English articles, keywords, a pyarrow
  write): the baseline every runner is a ratio of;
- **two plain loops side by side**, each on half the pages: what two processes can do on this
  machine at best, without Beam;
- **in-process**: ``newsbeam run`` on the DirectRunner in one process;
- **multi_processing x2**: the same with ``--direct_running_mode=multi_processing
  --direct_num_workers=2`` (two SDK worker processes over the Fn API, as on Dataflow).

For each: wall seconds (start-up and model loading included), articles per second, speed relative
to the plain loop, CPU seconds and peak RSS per process (read from /proc every 0.2 s), and the
seconds per stage from the run's Beam metrics (``newsbeam.stage_us``). ``--growth 1000,10000``
adds runs of one runner at several sizes. Figures, not a test: printed, never asserted.

    .venv/bin/python benchmarks/bench_pipeline.py [--pages 2000] [--repeats 1] [--growth N,N,...]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
MULTI = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
RUNNERS = ("plain loop", "two plain loops side by side", "in-process", "multi_processing x2")
SUMMARY_FIGURE = re.compile(r"^\s+(inputs read|articles written)\s+(\d+)\s*$", re.MULTILINE)
STAGE_LINE = re.compile(r"seconds per stage.*\n\s+(.+)")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- processes and their resources


@dataclass
class Usage:
    """What one process used: CPU seconds (user + system) and peak resident memory."""

    role: str
    cpu_seconds: float = 0.0
    peak_rss: int = 0


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    return children


def _read(pid: int) -> Optional[tuple[float, int, str]]:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status") as handle:
            rss = next((int(line.split()[1]) * 1024 for line in handle if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, rss, command


def _role(command: str, root: bool) -> str:
    if root:
        return "main"
    if "sdk_worker_main" in command:
        return "worker"
    return "helper"


@dataclass
class Measured:
    seconds: float
    stdout: str
    usage: dict[int, Usage] = field(default_factory=dict)


def measure(commands: list[list[str]]) -> Measured:
    """Run the commands side by side; wall seconds until the last one ends, and every process of
    theirs (children included) as sampled from /proc."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(c, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in commands
    ]
    roots = {p.pid for p in processes}
    usage: dict[int, Usage] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            tree, children = list(roots), _children()
            for pid in tree:
                tree += children.get(pid, [])
            for pid in tree:
                found = _read(pid)
                if found is None:
                    continue
                cpu, rss, command = found
                seen = usage.setdefault(pid, Usage(_role(command, pid in roots)))
                seen.cpu_seconds, seen.peak_rss = max(seen.cpu_seconds, cpu), max(seen.peak_rss, rss)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    outputs = [p.communicate() for p in processes]
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(process.args)} exited {process.returncode}:\n{stderr[-3000:]}")
    return Measured(seconds, "\n".join(out for out, _ in outputs), usage)


# ---------------------------------------------------------------- the runs


@dataclass
class Run:
    runner: str
    seconds: float
    articles: int
    inputs: int
    stages: dict[str, float]
    usage: dict[int, Usage]


def run_cli(pages: Path, output: Path, beam_args: list[str], runner: str) -> Run:
    command = [sys.executable, "-m", "newsbeam", "run", "--output", str(output), "--input", f"html:{pages}"]
    measured = measure([command + beam_args])
    figures = {name: int(n) for name, n in SUMMARY_FIGURE.findall(measured.stdout)}
    stages = {}
    line = STAGE_LINE.search(measured.stdout)
    if line:
        parts = line.group(1).split()
        stages = {name: float(value) for name, value in zip(parts[::2], parts[1::2], strict=True)}
    return Run(
        runner,
        measured.seconds,
        figures.get("articles written", 0),
        figures.get("inputs read", 0),
        stages,
        measured.usage,
    )


def run_loops(pages: Path, output: Path, shards: int, runner: str) -> Run:
    commands = [
        [sys.executable, __file__, "--loop", str(pages), str(output / f"shard-{i}"), f"{i}/{shards}"]
        for i in range(shards)
    ]
    measured = measure(commands)
    results = [json.loads(line) for line in measured.stdout.splitlines() if line.startswith("{")]
    stages: dict[str, float] = {}
    for result in results:
        for stage, seconds in result["stages"].items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    return Run(
        runner,
        measured.seconds,
        sum(r["articles"] for r in results),
        sum(r["inputs"] for r in results),
        stages,
        measured.usage,
    )


def plain_loop(folder: Path, output: Path, shard: str) -> dict:
    """The pipeline's work on a folder of pages (every ``n``-th from ``i`` for shard ``i/n``)
    without Beam, one page after another; seconds per stage timed like the pipeline's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from newsbeam.transforms.common.fetching import FetchedBody, page_html
    from newsbeam.transforms.common.records import InputRecord
    from newsbeam.transforms.dedup.fingerprints import DedupParams, fingerprint
    from newsbeam.transforms.dedup.urls import with_ids
    from newsbeam.transforms.extract import keyword_rows
    from newsbeam.transforms.extract.nlp import DEFAULT_MODEL, NlpConfig, doc_rows, load_model
    from newsbeam.transforms.extract.places import load_gazetteer
    from newsbeam.transforms.parse.article import article_from_record, quiet_parser_warnings

    index, count = (int(n) for n in shard.split("/"))
    stages = dict.fromkeys(("read", "parse", "dedup", "spacy", "keywords", "write"), 0.0)

    def clock(stage: str, started: float) -> float:
        now = time.perf_counter()
        stages[stage] += now - started
        return now

    quiet_parser_warnings()
    nlp, params, config = load_model(DEFAULT_MODEL), DedupParams(), NlpConfig()
    load_gazetteer()
    paths = sorted(folder.iterdir())[index::count]
    articles, seen = [], set()
    for path in paths:
        started = time.perf_counter()
        data = path.read_bytes()
        started = clock("read", started)
        try:
            html = page_html(FetchedBody(path.name, data))
            article = with_ids(article_from_record(InputRecord(path.name, "html", path.as_uri(), html=html)))
        except Exception:  # noqa: BLE001 - an errors row in the pipeline
            clock("parse", started)
            continue
        started = clock("parse", started)
        duplicate = article["canonical_url"] in seen
        seen.add(article["canonical_url"])
        if not duplicate:
            fingerprint(article, params)
            article["published_date"] = article["published_at"].date() if article["published_at"] else None
            articles.append(article)
        clock("dedup", started)
    rows = 0
    english = [a for a in articles if a["language"] == "en"]
    started = time.perf_counter()
    docs = nlp.pipe((a["text"][: config.max_chars] for a in english), batch_size=config.batch_size)
    for article, doc in zip(english, docs, strict=True):
        tables, _ = doc_rows(doc, article, DEFAULT_MODEL, float("inf"))
        rows += sum(len(t) for t in tables.values())
    started = clock("spacy", started)
    for article in articles:
        rows += len(keyword_rows(article))
    started = clock("keywords", started)
    output.mkdir(parents=True, exist_ok=True)
    slim = [{k: a[k] for k in ("article_id", "url", "title", "text", "language")} for a in articles]
    pq.write_table(pa.Table.from_pylist(slim), output / "articles.parquet", compression="zstd")
    clock("write", started)
    return {"inputs": len(paths), "articles": len(articles), "rows": rows, "stages": stages}


# ---------------------------------------------------------------- the report


def mib(size: int) -> str:
    return f"{size / 2**20:,.0f}"


def usage_cell(usage: dict[int, Usage]) -> tuple[str, str]:
    """("main 1,020 / worker 840, 830", CPU seconds alike) for the processes that did work."""
    busy = [u for u in usage.values() if u.cpu_seconds >= 1 or u.peak_rss >= 50 * 2**20]  # not shells
    order = {"main": 0, "worker": 1, "helper": 2}
    busy.sort(key=lambda u: (order[u.role], -u.peak_rss))
    rss, cpu = [], []
    for role in ("main", "worker", "helper"):
        mine = [u for u in busy if u.role == role]
        if mine:
            rss.append(f"{role} " + ", ".join(mib(u.peak_rss) for u in mine))
            cpu.append(f"{role} " + ", ".join(f"{u.cpu_seconds:.0f}" for u in mine))
    return " / ".join(rss), " / ".join(cpu)


def report(runs: dict[str, list[Run]], pages: int) -> list[str]:
    median = {name: statistics.median(r.seconds for r in rs) for name, rs in runs.items()}
    base = median["plain loop"]
    lines = [
        f"## Whole runs on {pages:,} pages (median of {len(runs['plain loop'])} alternated run(s) each)",
        "",
        "| runner | wall s | articles | articles/s | speed vs plain loop | peak RSS MiB per process | CPU s per process |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for name in RUNNERS:
        chosen = sorted(runs[name], key=lambda r: r.seconds)[len(runs[name]) // 2]
        rss, cpu = usage_cell(chosen.usage)
        lines.append(
            f"| {name} | {median[name]:.1f} | {chosen.articles:,} | {chosen.articles / median[name]:.2f} | "
            f"{base / median[name]:.2f}x | {rss} | {cpu} |"
        )
    pair = median["two plain loops side by side"]
    lines += [
        "",
        f"two processes on this machine at best (two plain loops): {base / pair:.2f}x one loop;",
        f"multi_processing x2 reaches {pair / median['multi_processing x2']:.2f} of that, "
        f"in-process {base / median['in-process']:.2f}x the plain loop.",
        "",
        "## Seconds per stage (Beam metrics newsbeam.stage_us, summed over workers; the loops timed alike)",
        "",
    ]
    stages = [
        s
        for s in (
            "read",
            "fetch",
            "parse",
            "dedup",
            "spacy",
            "entities",
            "places",
            "quotes",
            "counts",
            "keywords",
            "write",
        )
    ]
    present = [s for s in stages if any(s in r.stages for rs in runs.values() for r in rs)]
    lines += ["| runner | " + " | ".join(present) + " | sum | wall |", "|---|" + "---:|" * (len(present) + 2)]
    for name in RUNNERS:
        chosen = sorted(runs[name], key=lambda r: r.seconds)[len(runs[name]) // 2]
        cells = [f"{chosen.stages[s]:.1f}" if s in chosen.stages else "" for s in present]
        lines.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {sum(chosen.stages.values()):.1f} | {chosen.seconds:.1f} |"
        )
    lines += [
        "",
        "(spacy in the loop includes the extractors that read its Doc: entities, places, quotes, counts;",
        " the pipeline times those apart. The loop's dedup is by URL only, the pipeline's also by text.)",
    ]
    return lines


def growth_report(folder_for, sizes: list[int], scratch: Path) -> list[str]:
    """multi_processing x2 at each size, printed row by row as it goes; then the growth ratio."""
    lines = [
        "## Growth: multi_processing x2 at several sizes",
        "",
        "| pages | wall s | articles | articles/s | s per 1,000 pages | peak RSS MiB per process |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    print("\n".join(lines), flush=True)
    per_page = []
    for size in sizes:
        run = run_cli(folder_for(size), scratch / f"growth-{size}", MULTI, "multi_processing x2")
        rss, _ = usage_cell(run.usage)
        per_page.append(run.seconds / size)
        lines.append(
            f"| {size:,} | {run.seconds:.1f} | {run.articles:,} | {run.articles / run.seconds:.2f} | "
            f"{run.seconds * 1000 / size:.1f} | {rss} |"
        )
        print(lines[-1], flush=True)
    if len(sizes) > 1:
        lines.append(
            f"\n{sizes[-1]:,} pages took {per_page[-1] / per_page[0]:.2f}x the time per page of {sizes[0]:,} "
            "(1.00x is linear growth)"
        )
        print(lines[-1], flush=True)
    return lines


# ---------------------------------------------------------------- main


def build_pages(corpus: Path, count: int, scratch: Path) -> Path:
    from benchmarks.scale_corpus import build

    folder = scratch / f"pages-{count}"
    if not folder.is_dir():
        build(corpus, count, folder)
    return folder


def progress_cost(pages: Path, scratch: Path, repeats: int = 3) -> None:
    """What the live progress line costs: the same in-process run with it and with --quiet,
    alternated so the machine's drift falls on both."""
    seconds: dict[str, list[float]] = {"with progress": [], "--quiet": []}
    for repeat in range(repeats):
        order = ("with progress", "--quiet") if repeat % 2 == 0 else ("--quiet", "with progress")
        for name in order:
            run = run_cli(
                pages, scratch / f"progress-{repeat}-{name}", ["--quiet"] if name == "--quiet" else [], name
            )
            seconds[name].append(run.seconds)
            print(f"  {name}: {run.seconds:.1f} s, {run.articles:,} articles", flush=True)
    with_line, quiet = (statistics.median(seconds[name]) for name in ("with progress", "--quiet"))
    print(
        f"\n## The live progress line's cost ({len(list(pages.iterdir())):,} pages, in-process, median of {repeats})\n\n"
        f"with progress {with_line:.1f} s, --quiet {quiet:.1f} s: {with_line / quiet:.3f}x"
    )


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"Default: {DEFAULT_CORPUS}")
    parser.add_argument(
        "--pages", type=int, default=2000, metavar="N", help="Pages to build and run. Default: 2000"
    )
    parser.add_argument(
        "--repeats", type=int, default=1, metavar="N", help="Runs per runner, alternated. Default: 1"
    )
    parser.add_argument(
        "--growth", default="", metavar="N,N,...", help="Also run multi_processing x2 at these sizes (pages)."
    )
    parser.add_argument("--skip-runners", action="store_true", help="Only the growth runs.")
    parser.add_argument("--progress-only", action="store_true", help="Only the progress line's cost.")
    parser.add_argument(
        "--progress-pages",
        type=int,
        default=300,
        metavar="N",
        help="Pages for the progress line's cost: in-process runs with and without --quiet, "
        "alternated, 3 of each (0 skips it). Default: 300",
    )
    parser.add_argument("--loop", nargs=3, metavar=("PAGES", "OUT", "SHARD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")  # Beam's import-time warnings are not speed figures
    sys.path.insert(0, str(PROJECT_ROOT))
    if args.loop:  # a child process of run_loops
        folder, output, shard = args.loop
        print(json.dumps(plain_loop(Path(folder), Path(output), shard)))
        return 0
    if not (args.corpus / "gold.jsonl").is_file():
        print(f"no fundus corpus at {args.corpus}: make bench needs it to build its pages")
        return 1
    started = time.perf_counter()
    print(
        f"# newsbeam speed: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}\n"
    )
    with tempfile.TemporaryDirectory(prefix="newsbeam-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        if not (args.skip_runners or args.progress_only):
            pages = build_pages(args.corpus, args.pages, scratch)
            print(
                f"built {args.pages:,} pages from {args.corpus} in {time.perf_counter() - started:.0f} s\n",
                flush=True,
            )
            runs: dict[str, list[Run]] = {name: [] for name in RUNNERS}
            for repeat in range(args.repeats):
                order = RUNNERS if repeat % 2 == 0 else tuple(reversed(RUNNERS))
                for name in order:
                    out = scratch / f"out-{repeat}-{RUNNERS.index(name)}"
                    if name == "plain loop":
                        run = run_loops(pages, out, 1, name)
                    elif name == "two plain loops side by side":
                        run = run_loops(pages, out, 2, name)
                    elif name == "in-process":
                        run = run_cli(pages, out, [], name)
                    else:
                        run = run_cli(pages, out, MULTI, name)
                    runs[name].append(run)
                    print(f"  {name}: {run.seconds:.1f} s, {run.articles:,} articles", flush=True)
            print()
            print("\n".join(report(runs, args.pages)))
        if args.progress_pages and not args.skip_runners:
            print()
            progress_cost(build_pages(args.corpus, args.progress_pages, scratch / "progress"), scratch)
        sizes = [int(n) for n in args.growth.split(",") if n.strip()]
        if sizes and not args.progress_only:
            print()
            growth_report(lambda n: build_pages(args.corpus, n, scratch), sizes, scratch)
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
