"""``make bench-tables``: what Delta tables cost and what compaction buys, measured side by side.

1. **Thirty scheduled runs.** 30 ``newsbeam run`` processes into one output, each on 8 stories
   from ``../shared/corpora/fundus`` (their gold text and date, as a JSONL dump, so the runs are
   short and their articles spread over the stories' publication days as real news does). Once
   with ``--compact_files 0`` and once with ``--compact_files 8``. Prints files per partition
   (mean and max over the tables' partitions) after the 30 runs, and the commit's share of each
   run's wall time (median; the ``commit`` stage from the run's Beam metrics).
2. **Ten thousand articles.** An ``articles`` table of 10,000 rows (fundus bodies, cycled, with
   their dates spread over 120 days) committed by 30 runs through newsbeam's own writer and
   commit (``write_parquet``, ``commit_tables``): a file per run and day, as a daily job leaves
   it. Times opening the tables (``newsbeam query``'s ``connect``) and four DuckDB queries on
   its views (medians of 5), then ``compact``, then the same again.

Figures, never asserted. About 15 minutes on the 2-core machine of the docs' figures.

    .venv/bin/python benchmarks/bench_tables.py [--runs 30] [--articles 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FUNDUS = ROOT.parent / "shared" / "corpora" / "fundus" / "gold.jsonl"
STAGE_LINE = re.compile(r"seconds per stage.*\n\s+(.+)")
WALL = re.compile(r"finished in ([\d.]+) s")

QUERIES = {
    "articles per day": "SELECT published_date, count(*) FROM articles GROUP BY 1 ORDER BY 1",
    "top sites": "SELECT source_domain, count(*) n FROM articles GROUP BY 1 ORDER BY n DESC LIMIT 20",
    "one week": "SELECT count(*) FROM articles WHERE published_date BETWEEN DATE '2026-03-01' AND DATE '2026-03-07'",
    "text search": "SELECT count(*) FROM articles WHERE text ILIKE '%minister%'",
}


def gold_stories() -> list[dict]:
    stories = []
    for line in FUNDUS.read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        if gold.get("body") and gold.get("publishing_date"):
            stories.append(
                {
                    "url": gold["url"],
                    "title": gold["title"],
                    "text": gold["body"],
                    "published": gold["publishing_date"].replace(" ", "T"),
                }
            )
    return stories


def files_per_partition(out: Path) -> tuple[float, int, int]:
    """Mean and max files per partition over every table, and the number of files."""
    from deltalake import DeltaTable

    from newsbeam.schemas import all_tables
    from newsbeam.transforms.write.maintain import partition_files

    counts = []
    for name in all_tables():
        counts += list(partition_files(DeltaTable(str(out / name))).values())
    return statistics.mean(counts), max(counts), sum(counts)


def scheduled_runs(work: Path, runs: int, compact_files: int, stories: list[dict]) -> dict:
    out = work / f"out-compact-{compact_files}"
    shares, walls = [], []
    for n in range(runs):
        dump = work / f"run-{compact_files}-{n}.jsonl"
        batch = stories[(n * 8) % len(stories) :][:8]
        dump.write_text("".join(json.dumps(s) + "\n" for s in batch), encoding="utf-8")
        argv = [sys.executable, "-m", "newsbeam", "run", "--quiet", "--input", f"jsonl:{dump}"]
        argv += ["--output", str(out), "--run_id", f"r{n:03d}", "--compact_files", str(compact_files)]
        done = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT)
        wall = float(WALL.search(done.stdout).group(1))
        stages = dict(
            (name, float(seconds))
            for name, seconds in re.findall(r"(\w+) ([\d.]+)", STAGE_LINE.search(done.stdout).group(1))
        )
        shares.append(stages.get("commit", 0.0) / wall)
        walls.append(wall)
    mean, most, total = files_per_partition(out)
    return {
        "compact_files": compact_files,
        "files": total,
        "mean_per_partition": mean,
        "max_per_partition": most,
        "median_wall_s": statistics.median(walls),
        "median_commit_share": statistics.median(shares),
    }


def ten_thousand(work: Path, articles: int, runs: int, stories: list[dict]) -> dict:
    """An articles table of ``articles`` rows committed by ``runs`` runs, queried before and
    after compaction."""
    from newsbeam.pipeline.query import connect
    from newsbeam.schemas import all_tables
    from newsbeam.transforms.write.commit import commit_tables, written_file
    from newsbeam.transforms.write.delta import prepare_tables
    from newsbeam.transforms.write.maintain import compact_partitions
    from newsbeam.transforms.write.tables import file_name, write_parquet

    out = work / "out-10k"
    prepare_tables(str(out))
    spec, runs_spec = all_tables()["articles"], all_tables()["runs"]
    start = dt.date(2026, 1, 1)
    now = dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)
    per_run = articles // runs
    for r in range(runs):
        run_id = f"big-{r:03d}"
        by_day: dict = {}
        for i in range(r * per_run, (r + 1) * per_run):
            story = stories[i % len(stories)]
            day = start + dt.timedelta(days=(i * 7919) % 120)
            by_day.setdefault(day, []).append(
                {
                    **{c: None for c in spec.columns},
                    "article_id": f"{i:032x}",
                    "url": f"{story['url']}#{i}",
                    "canonical_url": f"{story['url']}#{i}",
                    "source_domain": story["url"].split("/")[2],
                    "cluster_id": f"{i:032x}",
                    "copies": 1,
                    "title": story["title"],
                    "authors": [],
                    "published_at": dt.datetime.combine(day, dt.time(8), dt.timezone.utc),
                    "published_date": day,
                    "text": story["text"],
                    "word_count": len(story["text"].split()),
                    "input_kind": "text",
                    "input_ref": f"dump:{i}",
                    "ingested_at": now,
                    "run_id": run_id,
                }
            )
        adds = {"articles": []}
        for day, rows in by_day.items():
            relative = f"published_date={day.isoformat()}/{file_name(run_id, 0)}"
            path = str(out / "articles" / relative)
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            adds["articles"].append(written_file("articles", relative, path, write_parquet(path, spec, rows)))
        relative = f"run_date=2026-05-01/{file_name(run_id, 0)}"
        path = str(out / "runs" / relative)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        row = {c: None for c in runs_spec.columns} | {
            "run_id": run_id, "started_at": now, "finished_at": now, "inputs": per_run, "articles": per_run,
            "duplicates": 0, "errors": 0, "extract_errors": 0, "tables": [], "options": "{}", "versions": [],
            "run_date": dt.date(2026, 5, 1),
        }  # fmt: skip
        adds["runs"] = [written_file("runs", relative, path, write_parquet(path, runs_spec, [row]))]
        commit_tables(str(out), run_id, adds)

    def timings() -> dict:
        """Median seconds of opening the tables (``connect``) and of each query on them."""
        found = {"open the tables": []}
        for _ in range(5):
            started = time.perf_counter()
            with connect(str(out)) as con:
                found["open the tables"].append(time.perf_counter() - started)
                for name, sql in QUERIES.items():
                    started = time.perf_counter()
                    con.execute(sql).fetchall()
                    found.setdefault(name, []).append(time.perf_counter() - started)
        return {name: statistics.median(seconds) for name, seconds in found.items()}

    before_files = files_per_partition(out)
    before = timings()
    started = time.perf_counter()
    compact_partitions(str(out), "articles")
    compact_partitions(str(out), "runs")
    compact_seconds = time.perf_counter() - started
    after = timings()
    return {
        "articles": per_run * runs,
        "files_before": before_files,
        "files_after": files_per_partition(out),
        "compact_s": compact_seconds,
        "before": before,
        "after": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    if not FUNDUS.exists():
        sys.exit(f"needs the fundus corpus at {FUNDUS}")
    stories = gold_stories()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"{args.runs} scheduled runs of 8 fundus stories each, into one output:")
        print(
            f"  {'--compact_files':<16}{'files':>7}{'mean/part.':>12}{'max/part.':>11}{'run wall s':>12}{'commit share':>14}"
        )
        for compact_files in (0, 8):
            row = scheduled_runs(work, args.runs, compact_files, stories)
            print(
                f"  {row['compact_files']:<16}{row['files']:>7}{row['mean_per_partition']:>12.2f}"
                f"{row['max_per_partition']:>11}{row['median_wall_s']:>12.1f}{row['median_commit_share']:>13.1%}"
            )
        print()
        big = ten_thousand(work, args.articles, args.runs, stories)
        mean, most, total = big["files_before"]
        print(
            f"{big['articles']} articles committed by {args.runs} runs: {total} files, {mean:.2f} per partition (max {most})"
        )
        mean, most, total = big["files_after"]
        print(
            f"compact: {big['compact_s']:.1f} s, leaving {total} files, {mean:.2f} per partition (max {most})"
        )
        print(f"  {'query (median of 5, s)':<24}{'before':>9}{'after':>9}{'ratio':>8}")
        for name in ["open the tables", *QUERIES]:
            b, a = big["before"][name], big["after"][name]
            print(f"  {name:<24}{b:>9.3f}{a:>9.3f}{b / a:>7.1f}x")


if __name__ == "__main__":
    main()
