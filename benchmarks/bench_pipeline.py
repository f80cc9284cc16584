"""Speed figures for newsbeam at scale: whole runs across worker counts, against plain loops side by side.

One invocation builds pages from ``../shared/corpora/fundus`` (``scale_corpus.py``: the 258
originals, then variants with their paragraphs redrawn and their URLs moved), K per worker
(``--pages-per-worker``) so that each run takes about as long whatever its worker count, then runs
each of these in a fresh process, alternated when repeated, and prints what they did:

- **plain loop** on K pages: the same work without Beam, one page after another (parse, ids and
  fingerprints, URL dedup, spaCy ``nlp.pipe`` and its extractors on English articles, keywords,
  and every one of those tables written as the pipeline writes it, a Parquet file per partition):
  what one process can do at best, the ceiling of the runs on one process;
- **in-process** on the same K pages: ``newsbeam run`` on the DirectRunner in one process;
- for each N of ``--workers``: **N plain loops side by side** on N*K pages, K each: what N
  processes can do at best, one loop per core while N is at most the machine's CPUs (for N=1 the
  plain loop above, not run again); and **multi_processing xN** on the same N*K pages, with
  ``--direct_running_mode=multi_processing --direct_num_workers=N`` (N SDK worker processes over
  the Fn API, as on Dataflow).

For each: wall seconds (start-up and model loading included), articles per second and its ratio to
the run's ceiling, CPU seconds and peak RSS per process (read from /proc every 0.2 s), and the
seconds per stage from the run's Beam metrics (``newsbeam.stage_us``). For each multi_processing
run, where its main and worker processes lost time: idle before they first were busy, between busy
spans, and after the last (busy: at least half a core over a sampling interval). ``--growth
1000,10000`` adds the 2-worker run at several sizes (a size that a 2-worker run above already had
is not run again). The targets close the output with PASS or FAIL: figures, not a test, printed and
never asserted (the script exits 0 whatever they say).

    .venv/bin/python benchmarks/bench_pipeline.py [--workers 1,2] [--pages-per-worker 500]
        [--repeats 1] [--growth N,N,...]
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
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from newsbeam.transforms.common.timing import STAGES as PIPELINE_STAGES

if TYPE_CHECKING:  # the script's own directory is first on sys.path, so benchmarks.* is imported late
    from benchmarks.stage_timeline import Split

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
SUMMARY_FIGURE = re.compile(r"^\s+(inputs read|articles written)\s+(\d+)\s*$", re.MULTILINE)
STAGE_LINE = re.compile(r"seconds per stage.*\n\s+(.+)")
#: The pipeline's stages as its counters name them, less the commit (not a stage of the loop).
STAGES = tuple(stage for stage in PIPELINE_STAGES if stage != "commit")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.2
BUSY_CORES = 0.5  # a process is busy over a sampling interval where it used at least this much CPU

# The targets of the issue, printed at the end against what was measured.
TARGET_ARTICLES_PER_S = 4.5  # in-process, end to end
TARGET_IN_PROCESS = 0.97  # in-process / plain loop
TARGET_TWO_WORKERS = 0.95  # multi_processing x2 / two plain loops side by side
MEMORY_SIZES = (1000, 10000)  # 2-worker runs: each worker's peak at the second within ...
TARGET_GROWTH = 1.15  # ... this much of its peak at the first,
TARGET_WORKER_MIB = 1200  # and under this many MiB


# ---------------------------------------------------------------- processes and their resources


@dataclass
class Usage:
    """What one process used: CPU seconds (user + system), peak resident memory, and CPU over time."""

    role: str
    cpu_seconds: float = 0.0
    peak_rss: int = 0
    # (seconds since the run started, CPU seconds so far) at each sample: when it was busy
    samples: list[tuple[float, float]] = field(default_factory=list, repr=False)


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
    epoch: float = 0.0  # time.time() when the commands started


def measure(commands: list[list[str]]) -> Measured:
    """Run the commands side by side; wall seconds until the last one ends, and every process of
    theirs (children included) as sampled from /proc."""
    started, epoch = time.perf_counter(), time.time()
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
                seen.samples.append((time.perf_counter() - started, cpu))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    outputs = [p.communicate() for p in processes]
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(process.args)} exited {process.returncode}:\n{stderr[-3000:]}")
    return Measured(seconds, "\n".join(out for out, _ in outputs), usage, epoch)


@dataclass
class Spans:
    """Where a process was idle in a run of ``wall`` seconds: before it first was busy, between
    its busy intervals, and after its last one (the time before it started or after it ended
    counts as idle)."""

    start_up_idle: float
    idle_between: float
    idle_at_end: float
    busy_share: float


def busy_spans(samples: list[tuple[float, float]], wall: float) -> Optional[Spans]:
    """Spans from a process's samples; None if it never was busy. Each interval between two
    samples is busy or idle as a whole, so each figure is good to about a sampling interval."""
    busy = [
        (start, end)
        for (start, cpu_start), (end, cpu_end) in pairwise(samples)
        if end > start and (cpu_end - cpu_start) / (end - start) >= BUSY_CORES
    ]
    if not busy:
        return None
    first, last = busy[0][0], busy[-1][1]
    busy_seconds = sum(end - start for start, end in busy)
    return Spans(first, last - first - busy_seconds, max(0.0, wall - last), busy_seconds / wall)


# ---------------------------------------------------------------- the runs


@dataclass
class Run:
    runner: str
    seconds: float
    articles: int
    inputs: int
    stages: dict[str, float]
    usage: dict[int, Usage]
    timeline: Optional[Split] = None  # multi_processing runs: where the wall time went, by stage


@dataclass(frozen=True)
class Runner:
    """One kind of run on ``pages`` pages: ``loops`` plain loops side by side, or ``newsbeam run``
    in-process (``workers`` 0) or on ``workers`` SDK workers; ``ceiling`` names the loops it is a
    ratio of ("" for the loops themselves)."""

    name: str
    pages: int
    loops: int = 0
    workers: int = 0
    ceiling: str = ""


def plan_runners(workers: list[int], per_worker: int) -> list[Runner]:
    """The plain loop and in-process on K pages; then per worker count N, the N loops side by side
    (the plain loop itself for N=1) and multi_processing xN, on N*K pages."""
    plan = [Runner("plain loop", per_worker, loops=1), Runner("in-process", per_worker, ceiling="plain loop")]
    for count in workers:
        ceiling = "plain loop" if count == 1 else f"{count} plain loops side by side"
        if count > 1:
            plan.append(Runner(ceiling, count * per_worker, loops=count))
        plan.append(Runner(f"multi_processing x{count}", count * per_worker, workers=count, ceiling=ceiling))
    return plan


def multi_processing(workers: int) -> list[str]:
    return ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]


def execute(runner: Runner, pages: Path, output: Path) -> Run:
    if runner.loops:
        return run_loops(pages, output, runner.loops, runner.name)
    beam_args = multi_processing(runner.workers) if runner.workers else []
    return run_cli(pages, output, beam_args, runner.name, runner.workers)


def middle(runs: list[Run]) -> Run:
    """The median run by wall seconds (the upper one of an even count)."""
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def run_cli(pages: Path, output: Path, beam_args: list[str], runner: str, workers: int = 0) -> Run:
    """``newsbeam run`` on the pages; with ``workers``, through stage_timeline, whose log of the
    runner's stages and parts gives the run's :class:`Split`."""
    from benchmarks.stage_timeline import read, split

    arguments = ["run", "--output", str(output), "--input", f"html:{pages}", *beam_args]
    log = output.parent / f"{output.name}-stages.jsonl"
    log.unlink(missing_ok=True)
    prefix = ["-m", "benchmarks.stage_timeline", str(log)] if workers else ["-m", "newsbeam"]
    measured = measure([[sys.executable, *prefix, *arguments]])
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
        split(read(log), measured.epoch, measured.seconds, workers) if workers else None,
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


def text_batches(articles: list[dict], config) -> Iterator[list[dict]]:
    """Batches of at most ``batch_size`` articles and ``batch_chars`` characters (one longer
    article alone), as the pipeline's ``BatchElements`` makes them."""
    from newsbeam.transforms.extract.nlp import text_weight

    batch, chars = [], 0
    for article in articles:
        weight = text_weight(article, config.max_chars)
        if batch and (len(batch) >= config.batch_size or chars + weight > config.batch_chars):
            yield batch
            batch, chars = [], 0
        batch.append(article)
        chars += weight
    if batch:
        yield batch


def plain_loop(folder: Path, output: Path, shard: str) -> dict:
    """The pipeline's work on a folder of pages (every ``n``-th from ``i`` for shard ``i/n``)
    without Beam, one page after another; seconds per stage timed like the pipeline's."""
    from newsbeam.transforms.common.fetching import FetchedBody, page_html
    from newsbeam.transforms.common.records import InputRecord
    from newsbeam.transforms.dedup.fingerprints import DedupParams, fingerprint
    from newsbeam.transforms.dedup.urls import with_ids
    from newsbeam.transforms.extract import keyword_rows
    from newsbeam.transforms.extract.nlp import DEFAULT_MODEL, NlpConfig, doc_rows, load_model, nlp_plan
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
    articles = [{**nlp_plan(a, config), "cluster_id": a["article_id"], "copies": 1} for a in articles]
    tables: dict[str, list[dict]] = {"articles": articles}
    english = [a for a in articles if a["nlp_model"]]
    started = time.perf_counter()
    for batch in text_batches(english, config):  # as the pipeline's spacy_batches cut them
        docs = nlp.pipe(a["text"][: config.max_chars] for a in batch)
        for article, doc in zip(batch, docs, strict=True):
            found, _ = doc_rows(doc, article, DEFAULT_MODEL, float("inf"))
            for name, rows in found.items():
                tables.setdefault(name, []).extend(rows)
    started = clock("spacy", started)
    tables["keywords"] = [row for article in articles for row in keyword_rows(article)]
    started = clock("keywords", started)
    write_tables(tables, output, shard.replace("/", "-"))
    clock("write", started)
    rows = sum(len(rows) for name, rows in tables.items() if name != "articles")
    return {"inputs": len(paths), "articles": len(articles), "rows": rows, "stages": stages}


def write_tables(tables: dict[str, list[dict]], output: Path, name: str) -> None:
    """Every table's rows written as the pipeline writes them: each row stamped and checked
    against its schema, one zstd Parquet file per partition (no Delta commit: the pipeline
    times that apart, as ``commit``)."""
    import datetime as dt

    from newsbeam.schemas import all_tables
    from newsbeam.transforms.write.tables import RunContext, file_name, stamp, write_parquet

    ctx = RunContext(f"loop-{name}", dt.datetime.now(dt.timezone.utc), str(output))
    for table_name, rows in tables.items():
        table, partitions = all_tables()[table_name], {}
        for row in rows:
            stamped = stamp(row, table, ctx)
            partitions.setdefault(f"{table.partition_key}={table.partition_value(stamped)}", []).append(
                stamped
            )
        for partition, stamped_rows in partitions.items():
            folder = output / table_name / partition
            folder.mkdir(parents=True, exist_ok=True)
            write_parquet(str(folder / file_name(ctx.run_id, 0)), table, stamped_rows)


# ---------------------------------------------------------------- the report


def mib(size: int) -> str:
    return f"{size / 2**20:,.0f}"


def did_work(usage: Usage) -> bool:
    """Whether a process counts: not a shell that only started another (Beam starts each SDK
    worker through one, whose command line names sdk_worker_main too)."""
    return usage.cpu_seconds >= 1 or usage.peak_rss >= 50 * 2**20


def usage_cell(usage: dict[int, Usage]) -> tuple[str, str]:
    """("main 1,020 / worker 840, 830", CPU seconds alike) for the processes that did work."""
    busy = [u for u in usage.values() if did_work(u)]
    order = {"main": 0, "worker": 1, "helper": 2}
    busy.sort(key=lambda u: (order[u.role], -u.peak_rss))
    rss, cpu = [], []
    for role in ("main", "worker", "helper"):
        mine = [u for u in busy if u.role == role]
        if mine:
            rss.append(f"{role} " + ", ".join(mib(u.peak_rss) for u in mine))
            cpu.append(f"{role} " + ", ".join(f"{u.cpu_seconds:.0f}" for u in mine))
    return " / ".join(rss), " / ".join(cpu)


def median_seconds(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def report(plan: list[Runner], runs: dict[str, list[Run]], per_worker: int) -> list[str]:
    seconds = {name: median_seconds(rs) for name, rs in runs.items()}
    chosen = {name: middle(rs) for name, rs in runs.items()}
    rate = {name: chosen[name].articles / seconds[name] for name in runs}
    lines = [
        f"## Whole runs, {per_worker:,} pages per worker (median of {len(runs['plain loop'])} alternated "
        "run(s) each)",
        "",
        "| runner | pages | wall s | articles | articles/s | articles/s vs ceiling | pages/s vs ceiling "
        "| peak RSS MiB per process | CPU s per process |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for runner in plan:
        name, ceiling = runner.name, runner.ceiling
        rss, cpu = usage_cell(chosen[name].usage)
        if ceiling:  # pages are equal, so pages/s compares walls; articles/s also counts what was kept
            versus = f"{rate[name] / rate[ceiling]:.2f}", f"{seconds[ceiling] / seconds[name]:.2f}"
        else:
            versus = "ceiling", "ceiling"
        lines.append(
            f"| {name} | {runner.pages:,} | {seconds[name]:.1f} | {chosen[name].articles:,} | {rate[name]:.2f} | "
            f"{versus[0]} | {versus[1]} | {rss} | {cpu} |"
        )
    lines += [
        "",
        "Each ratio is to the run's ceiling on the same pages: the plain loop for in-process and "
        "multi_processing x1, N plain loops side by side for multi_processing xN. The pipeline also drops "
        "copies by text and near-text, which the loops do not look for, so it writes fewer articles "
        "from the same pages: its articles/s ratio is below its pages/s ratio (ceiling wall / its wall) by that share.",
    ]
    for runner in plan:
        if runner.loops > 1:
            lines.append(
                f"{runner.name}: {rate[runner.name] / rate['plain loop']:.2f}x one loop's articles/s "
                f"({runner.loops:.2f}x would be perfect scaling)."
            )
    cpus = os.cpu_count() or 1
    crowded = [r.loops for r in plan if r.loops > cpus]
    if crowded:
        lines.append(
            f"On {cpus} CPUs, {', '.join(map(str, crowded))} loops side by side share cores: "
            "their ceiling is not one loop per core."
        )
    lines += [
        "",
        "## Seconds per stage (Beam metrics newsbeam.stage_us, summed over workers; the loops timed alike)",
        "",
    ]
    present = [s for s in STAGES if any(s in r.stages for rs in runs.values() for r in rs)]
    lines += ["| runner | " + " | ".join(present) + " | sum | wall |", "|---|" + "---:|" * (len(present) + 2)]
    for runner in plan:
        run = chosen[runner.name]
        cells = [f"{run.stages[s]:.1f}" if s in run.stages else "" for s in present]
        lines.append(
            f"| {runner.name} | "
            + " | ".join(cells)
            + f" | {sum(run.stages.values()):.1f} | {run.seconds:.1f} |"
        )
    lines += [
        "",
        "(spacy in the loop includes the extractors that read its Doc: entities, places, quotes, counts;",
        " the pipeline times those apart. The loop's dedup is by URL only, the pipeline's also by text.)",
    ]
    return lines


def idle_report(plan: list[Runner], runs: dict[str, list[Run]]) -> list[str]:
    """Per multi_processing run, where its main process and its SDK workers were idle."""
    lines = [
        "## Busy and idle per process (multi_processing runs)",
        "",
        f"Busy: at least {BUSY_CORES} core over a sampling interval. /proc is read every {SAMPLE_SECONDS} s, "
        "so each figure is good to about that much per span's end; start-up idle counts from the run's start, "
        "idle at end until the run's end, before a process exists or after it exits included. A process "
        "that gets less than that because other work shares the cores counts as idle: on a busy machine "
        "(see the load average at the top) these spans say little.",
    ]
    for runner in plan:
        if not runner.workers:
            continue
        run = middle(runs[runner.name])
        lines += [
            "",
            f"{runner.name} on {runner.pages:,} pages, {run.seconds:.1f} s wall:",
            "",
            "| process | start-up idle s | idle in between s | idle at end s | busy share |",
            "|---|---:|---:|---:|---:|",
        ]
        processes = sorted(
            ((pid, u) for pid, u in run.usage.items() if u.role in ("main", "worker") and did_work(u)),
            key=lambda item: (item[1].role != "main", item[0]),
        )
        for pid, usage in processes:
            spans = busy_spans(usage.samples, run.seconds)
            if spans is None:
                lines.append(f"| {usage.role} {pid} | never busy | | | 0% |")
                continue
            lines.append(
                f"| {usage.role} {pid} | {spans.start_up_idle:.1f} | {spans.idle_between:.1f} | "
                f"{spans.idle_at_end:.1f} | {spans.busy_share:.0%} |"
            )
    return lines


def wall_time_report(plan: list[Runner], runs: dict[str, list[Run]], worst: int = 4) -> list[str]:
    """Per multi_processing run, its wall time split by its runner's own log of stages and parts
    (stage_timeline.py), and the stages whose workers waited most for each other."""
    lines = [
        "## Where the wall time went (multi_processing runs, from the runner's log of its stages)",
        "",
        "Before the first stage: the interpreter, imports, the graph and its runner form. Between stages: "
        "the runner alone. After the last: the commit, the summary, the exit. Inside stages, a worker is "
        "busy from its part's input being sent to its answer, and waits while another's part runs on: "
        "what each barrier between stages costs.",
    ]
    for runner in plan:
        run = middle(runs[runner.name]) if runner.workers else None
        if run is None or run.timeline is None:
            continue
        timeline = run.timeline
        each = ", ".join
        lines += [
            "",
            f"{runner.name} on {runner.pages:,} pages, {run.seconds:.1f} s wall: before the first stage "
            f"{timeline.before:.1f} s, in {len(timeline.stages)} stages {timeline.in_stages:.1f} s, between them "
            f"{timeline.between:.1f} s, after the last {timeline.after:.1f} s; inside stages the workers were busy "
            f"{each(f'{b:.1f}' for b in timeline.busy)} s and waited {each(f'{w:.1f}' for w in timeline.waiting)} s.",
        ]
        if runner.workers < 2:  # one worker waits for no other
            continue
        lines += [
            "",
            "| stage (first transform) | span s | busy s per worker | waiting s per worker |",
            "|---|---:|---|---|",
        ]
        for stage in timeline.worst(worst):
            lines.append(
                f"| {stage.name} | {stage.seconds:.1f} | {each(f'{b:.1f}' for b in stage.busy)} | "
                f"{each(f'{w:.1f}' for w in stage.waiting)} |"
            )
    return lines


def growth_report(folder_for, sizes: list[int], scratch: Path, done: dict[int, Run]) -> dict[int, Run]:
    """multi_processing x2 at each size, printed row by row as it goes, then the growth ratio; a
    size in ``done`` (a 2-worker run above) is shown, not run again."""
    lines = [
        "## Growth: multi_processing x2 at several sizes",
        "",
        "| pages | wall s | articles | articles/s | s per 1,000 pages | peak RSS MiB per process |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    print("\n".join(lines), flush=True)
    runs = {}
    for size in sorted(set(sizes) | set(done)):
        if size in done:
            run, label = done[size], f"{size:,} (the run above)"
        else:
            run, label = (
                run_cli(
                    folder_for(size), scratch / f"growth-{size}", multi_processing(2), "multi_processing x2"
                ),
                f"{size:,}",
            )
        runs[size] = run
        rss, _ = usage_cell(run.usage)
        print(
            f"| {label} | {run.seconds:.1f} | {run.articles:,} | {run.articles / run.seconds:.2f} | "
            f"{run.seconds * 1000 / size:.1f} | {rss} |",
            flush=True,
        )
    if len(runs) > 1:
        (small, first), (large, last) = min(runs.items()), max(runs.items())
        print(
            f"\n{large:,} pages took {last.seconds * small / (first.seconds * large):.2f}x the time per page of "
            f"{small:,} (1.00x is linear growth)",
            flush=True,
        )
    return runs


# ---------------------------------------------------------------- the targets


def worker_peaks(run: Run) -> list[int]:
    """Each SDK worker's peak RSS, highest first (not the shells Beam starts them through)."""
    return sorted(
        (u.peak_rss for u in run.usage.values() if u.role == "worker" and did_work(u)), reverse=True
    )


def targets(runs: dict[str, list[Run]], growth: dict[int, Run], why_not: str) -> list[tuple[str, str, str]]:
    """(target, measured, PASS / FAIL / "") for each target of the issue; ``why_not`` says why the
    runners' figures are missing, if they are."""

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    rows = []
    name = f"in-process articles/s >= {TARGET_ARTICLES_PER_S}"
    if "in-process" in runs:
        rate = middle(runs["in-process"]).articles / median_seconds(runs["in-process"])
        rows.append((name, f"{rate:.2f}", verdict(rate >= TARGET_ARTICLES_PER_S)))
    else:
        rows.append((name, f"not measured ({why_not})", ""))
    name = f"in-process / plain loop >= {TARGET_IN_PROCESS} (plain loop wall / in-process wall)"
    if "in-process" in runs:
        ratio = median_seconds(runs["plain loop"]) / median_seconds(runs["in-process"])
        rows.append((name, f"{ratio:.3f}", verdict(ratio >= TARGET_IN_PROCESS)))
    else:
        rows.append((name, f"not measured ({why_not})", ""))
    name = (
        f"multi_processing x2 / two plain loops side by side >= {TARGET_TWO_WORKERS} "
        "(their wall / its wall, on the same pages)"
    )
    if "multi_processing x2" in runs:
        ratio = median_seconds(runs["2 plain loops side by side"]) / median_seconds(
            runs["multi_processing x2"]
        )
        rows.append((name, f"{ratio:.3f}", verdict(ratio >= TARGET_TWO_WORKERS)))
    else:
        rows.append((name, f"not measured ({why_not or 'needs 2 in --workers'})", ""))
    small, large = MEMORY_SIZES
    growth_name = f"2 workers: each worker's peak at {large:,} pages / at {small:,} <= {TARGET_GROWTH}"
    peak_name = f"2 workers: worker peak at {large:,} pages < {TARGET_WORKER_MIB:,} MiB"
    if small not in growth or large not in growth:
        missing = f"not measured (needs --growth {small},{large})"
        return rows + [(growth_name, missing, ""), (peak_name, missing, "")]
    peaks = {size: worker_peaks(growth[size]) for size in MEMORY_SIZES}
    if not peaks[small] or not peaks[large]:
        missing = "not measured (no SDK worker process seen)"
        return rows + [(growth_name, missing, ""), (peak_name, missing, "")]
    # Workers are not the same processes from one run to the next: pair them by rank of peak (a
    # worker more in one run than the other has no pair).
    ratios = [high / low for high, low in zip(peaks[large], peaks[small], strict=False)]
    rows.append(
        (
            growth_name,
            ", ".join(f"{r:.3f}" for r in ratios)
            + f" (MiB {', '.join(map(mib, peaks[large]))} at {large:,}; {', '.join(map(mib, peaks[small]))} at {small:,})",
            verdict(max(ratios) <= TARGET_GROWTH),
        )
    )
    rows.append(
        (peak_name, f"{mib(peaks[large][0])} MiB", verdict(peaks[large][0] < TARGET_WORKER_MIB * 2**20))
    )
    return rows


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


def counts(text: str) -> list[int]:
    """ "1,2,4" as [1, 2, 4], each once, in the order given."""
    numbers = [int(n) for n in text.split(",") if n.strip()]
    return list(dict.fromkeys(numbers))


def run_all(
    plan: list[Runner], folders: dict[int, Path], repeats: int, scratch: Path
) -> dict[str, list[Run]]:
    """Each runner ``repeats`` times, in the plan's order and then the reverse, alternately, so the
    machine's drift falls on all of them."""
    runs: dict[str, list[Run]] = {runner.name: [] for runner in plan}
    for repeat in range(repeats):
        for runner in plan if repeat % 2 == 0 else reversed(plan):
            run = execute(runner, folders[runner.pages], scratch / f"out-{repeat}-{plan.index(runner)}")
            runs[runner.name].append(run)
            print(
                f"  {runner.name}: {runner.pages:,} pages, {run.seconds:.1f} s, {run.articles:,} articles",
                flush=True,
            )
    return runs


def main(argv: Optional[list[str]] = None) -> int:
    # No abbreviations: the old --pages N (pages per run) would quietly read as --pages-per-worker N.
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"Default: {DEFAULT_CORPUS}")
    parser.add_argument(
        "--workers",
        default="1,2",
        metavar="N,N,...",
        help="Worker counts: multi_processing xN against N plain loops side by side, each on N*K pages. "
        "Default: 1,2",
    )
    parser.add_argument(
        "--pages-per-worker",
        type=int,
        default=500,
        metavar="K",
        help="Pages per worker (and the plain loop's and in-process's pages). Default: 500",
    )
    parser.add_argument(
        "--repeats", type=int, default=1, metavar="N", help="Runs per runner, alternated. Default: 1"
    )
    parser.add_argument(
        "--growth",
        default="",
        metavar="N,N,...",
        help=f"Also run multi_processing x2 at these sizes (pages); {MEMORY_SIZES[0]},{MEMORY_SIZES[1]} "
        "measures the memory targets.",
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
    try:
        workers, sizes = counts(args.workers), counts(args.growth)
    except ValueError:
        parser.error("--workers and --growth take whole numbers separated by commas")
    if not workers or min(workers) < 1 or args.pages_per_worker < 1 or min(sizes, default=1) < 1:
        parser.error("--workers, --pages-per-worker and --growth need counts of at least 1")
    if not (args.corpus / "gold.jsonl").is_file():
        print(f"no fundus corpus at {args.corpus}: make bench needs it to build its pages")
        return 1
    started = time.perf_counter()
    cpus = os.cpu_count() or 1
    print(
        f"# newsbeam speed: {cpus} CPUs, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}, "
        f"load average {os.getloadavg()[0]:.2f} at start\n"
    )
    runs: dict[str, list[Run]] = {}
    growth: dict[int, Run] = {}
    with tempfile.TemporaryDirectory(prefix="newsbeam-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        if not (args.skip_runners or args.progress_only):
            plan = plan_runners(workers, args.pages_per_worker)
            folders = {n: build_pages(args.corpus, n, scratch) for n in sorted({r.pages for r in plan})}
            print(
                f"built {', '.join(f'{n:,}' for n in folders)} pages from {args.corpus} "
                f"in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            for count in workers:
                if count > cpus:
                    print(
                        f"note: {count} workers on {cpus} CPUs: run anyway, but the {count} plain loops side by "
                        "side share cores, so their ceiling is not one loop per core",
                        flush=True,
                    )
            print("runs: " + ", ".join(f"{r.name} ({r.pages:,} pages)" for r in plan) + "\n", flush=True)
            runs = run_all(plan, folders, args.repeats, scratch)
            print()
            print("\n".join(report(plan, runs, args.pages_per_worker)))
            print()
            print("\n".join(idle_report(plan, runs)))
            print()
            print("\n".join(wall_time_report(plan, runs)))
        if args.progress_pages and not args.skip_runners:
            print()
            progress_cost(build_pages(args.corpus, args.progress_pages, scratch / "progress"), scratch)
        if sizes and not args.progress_only:
            print()
            done = (
                {2 * args.pages_per_worker: middle(runs["multi_processing x2"])}
                if runs.get("multi_processing x2")
                else {}
            )
            growth = growth_report(lambda n: build_pages(args.corpus, n, scratch), sizes, scratch, done)
    if not args.progress_only:
        rows = targets(runs, growth, "--skip-runners" if args.skip_runners else "")
        print("\n## Targets (printed, never asserted)\n\n| target | measured | |\n|---|---|---|")
        print("\n".join(f"| {name} | {measured} | {verdict} |" for name, measured, verdict in rows))
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
