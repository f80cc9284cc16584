"""Dedup at scale: synthetic articles through ``Deduplicate`` on the in-process DirectRunner.

Each size runs in a fresh subprocess, so that its peak memory (``ru_maxrss`` of the process and its
children) is its own. The articles are made inside the pipeline from their index (seeded, ~300
words from a Zipf vocabulary of 20,000 words); a fifth of them are copies of an earlier story: the
same URL again, the same text under another URL, or a near-copy (a paragraph gone, a source line
added). Prints seconds, peak MiB, articles/s and how time grows with size. Figures, not a test.

    .venv/bin/python benchmarks/bench_dedup.py [--sizes 100,10000,30000,100000] [--timeout S]
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SIZES = (100, 10_000, 30_000, 100_000)
BASE = 10_000  # time ratios are against this size
COPY_SHARE, SITES, WORDS_PER_STORY = 0.2, 50, 300
SYLLABLES = tuple(
    "ka lo mi ne tu ra si po de va bu ge fi ho ja ku le mo na pe ri sa te vi zo an el in or us".split()
)
UNKNOWN = """canonical_url source_domain title published_at published_offset published_date language top_image
    title_source authors_source published_source text_source feed captured_at"""


# ---------------------------------------------------------------- synthetic articles


def vocabulary(size: int = 20_000) -> tuple[str, ...]:
    """``size`` distinct made-up words, the same on every run."""
    rng, words = random.Random("vocabulary"), {}
    while len(words) < size:
        words.setdefault("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return tuple(words)


VOCABULARY = vocabulary()
#: Zipf's law with exponent 1.1: the r-th most frequent word has weight 1 / r^1.1.
CUMULATIVE_WEIGHTS = tuple(itertools.accumulate(1 / rank**1.1 for rank in range(1, len(VOCABULARY) + 1)))


def story(n: int) -> str:
    """The text of story ``n``: sentences of 8–20 words, four to a paragraph."""
    rng = random.Random(f"story-{n}")  # a str seed goes through SHA-512: the same in every process
    words = rng.choices(VOCABULARY, cum_weights=CUMULATIVE_WEIGHTS, k=WORDS_PER_STORY)
    sentences, at = [], 0
    while at < len(words):
        size = rng.randint(8, 20)
        sentences.append(" ".join(words[at : at + size]).capitalize() + ".")
        at += size
    return "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))


def is_original(n: int) -> bool:
    return n == 0 or random.Random(f"plan-{n}").random() >= COPY_SHARE


def plan(n: int) -> tuple[str, int]:
    """("original", n), or (kind of copy, the earlier original it copies)."""
    if is_original(n):
        return "original", n
    rng = random.Random(f"plan-{n}")
    rng.random()  # the draw is_original made
    kind = rng.choice(("url", "text", "near"))
    source = rng.randrange(n)
    while not is_original(source):
        source = rng.randrange(n)
    return kind, source


def synthetic_article(n: int) -> dict:
    """Article ``n`` as parse produces it: an original, or a copy of an earlier one."""
    import datetime as dt

    kind, source = plan(n)
    text, url = story(source), f"https://site{n % SITES}.example/story/{n}"
    if kind == "url":  # the original's URL, arriving with a tracking parameter
        url = f"https://site{source % SITES}.example/story/{source}?utm_source=feed"
    elif kind == "near":  # a paragraph dropped, the syndicating site's source line added
        paragraphs = text.split("\n\n")
        del paragraphs[random.Random(f"edit-{n}").randrange(len(paragraphs))]
        text = "\n\n".join([f"Source: Newswire {n % SITES}", *paragraphs])
    now = dt.datetime.now(dt.timezone.utc)
    known = dict(url=url, authors=[], text=text, word_count=len(text.split()), input_kind="jsonl")
    return {**dict.fromkeys(UNKNOWN.split()), **known, "input_ref": f"bench#{n}", "ingested_at": now}


# ---------------------------------------------------------------- one size, in its own process


def run_once(size: int) -> dict:
    """Dedup ``size`` articles on the in-process DirectRunner: seconds, peak memory and counts."""
    import apache_beam as beam

    from newsbeam.transforms.dedup import Deduplicate
    from newsbeam.transforms.dedup.fingerprints import DedupParams

    made = [plan(n)[0] for n in range(size)]
    started = time.perf_counter()
    for n in range(size):  # what making the articles costs, to tell it from what dedup costs
        synthetic_article(n)
    synthesis = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="newsbeam-bench-dedup-") as scratch:
        started = time.perf_counter()
        with beam.Pipeline(runner="DirectRunner") as p:
            articles = p | "Indices" >> beam.Create(range(size)) | "Synthesise" >> beam.Map(synthetic_article)
            kept, duplicates, fingerprints = articles | "Deduplicate" >> Deduplicate(DedupParams())
            counts = [
                pcoll | f"Count{name}" >> beam.combiners.Count.Globally() | f"Name{name}" >> beam.Map(lambda c, k=name: (k, c))
                for name, pcoll in (("kept", kept), ("duplicates", duplicates), ("fingerprints", fingerprints))
            ]  # fmt: skip
            reasons = (
                duplicates | "Reasons" >> beam.Map(lambda d: d["reason"]) | beam.combiners.Count.PerElement()
            )
            _ = (
                (*counts, reasons)
                | "AllCounts" >> beam.Flatten()
                | "AsJson" >> beam.Map(json.dumps)
                | "WriteCounts" >> beam.io.WriteToText(f"{scratch}/counts")
            )
        seconds = time.perf_counter() - started
        counts = dict(
            json.loads(row) for f in Path(scratch).glob("counts*") for row in f.read_text().splitlines()
        )
    peak_kib = sum(
        resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return {"size": size, "seconds": seconds, "synthesis": synthesis, "peak_mib": peak_kib / 1024, "counts": counts,
            "made": {kind: made.count(kind) for kind in ("url", "text", "near")}}  # fmt: skip


def run_in_subprocess(size: int, timeout: float) -> Optional[dict]:
    """``run_once`` in a fresh interpreter; None when it outlasts ``timeout`` seconds (it is stopped)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--one", str(size)]
    try:
        done = subprocess.run(
            command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report


def row(result: dict, base: Optional[dict], fixed: Optional[dict]) -> str:
    """One Markdown table row; ratios against the ``BASE`` run, with and without the fixed cost."""
    size, seconds, counts, made = result["size"], result["seconds"], result["counts"], result["made"]
    ratio = marginal = "–"
    if base and size != base["size"]:
        ratio = f"{seconds / base['seconds']:.2f} (size ×{size / base['size']:g})"
        if fixed and fixed["size"] < base["size"]:
            marginal = f"{(seconds - fixed['seconds']) / (base['seconds'] - fixed['seconds']):.2f}"
    copies = f"{made['url']}/{made['text']}/{made['near']}"
    found = "/".join(str(counts.get(reason, 0)) for reason in ("url", "text", "near"))
    return (f"| {size:,} | {copies} | {counts.get('kept', 0):,} | {counts.get('duplicates', 0):,} ({found}) | {seconds:.1f} | {result['synthesis']:.1f} "
            f"| {result['peak_mib']:.0f} | {size / seconds:,.0f} | {ratio} | {marginal} |")  # fmt: skip


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="Comma-separated article counts.")
    parser.add_argument("--timeout", type=float, default=900, help="Seconds one size may take. Default: 900")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # before Beam is imported: its import-time warnings are noise
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(PROJECT_ROOT))
    if args.one is not None:
        print(json.dumps(run_once(args.one)))
        return 0
    print(
        "# Dedup at scale: Deduplicate(DedupParams()) on the in-process DirectRunner, one fresh process per size"
    )
    print(f"{WORDS_PER_STORY} words per article from a Zipf(1.1) vocabulary of {len(VOCABULARY):,} words; "
          f"{COPY_SHARE:.0%} copies of earlier stories; {os.cpu_count()} CPUs\n")  # fmt: skip
    print("| articles | copies made (url/text/near) | kept | duplicates (url/text/near) | seconds | of which making articles | peak MiB "
          "| articles/s | time ratio vs 10k | same, fixed cost taken off |\n|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")  # fmt: skip
    results = {}
    for size in map(int, args.sizes.split(",")):
        result = run_in_subprocess(size, args.timeout)
        if result is None:
            print(f"| {size:,} | stopped after {args.timeout:.0f} s | | | | | | | | |")
            break
        results[size] = result
        print(row(result, results.get(BASE), results.get(min(results))), flush=True)
    print(
        "\nseconds: the pipeline run in the child process, articles made inside it (their cost, timed apart"
    )
    print("without Beam, is the next column); interpreter start-up and imports are not counted.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
