"""Speed figures for newsbeam: per-stage costs in-process, then whole runs through the CLI.

(a) decode+parse ms per page and spaCy NER ms per article, measured in this process;
(b) wall seconds of ``newsbeam run`` in a subprocess, the in-process DirectRunner against
    ``--direct_running_mode=multi_processing --direct_num_workers=2``, alternated so both see
    the same machine, and against (c) the same work as a plain Python loop in a subprocess (no
    Beam: parse, ids and fingerprints, spaCy and its extractors, keywords, a pyarrow write), the
    baseline each runner is a ratio of. Medians of one run, printed; figures, not a test.

    .venv/bin/python benchmarks/bench_pipeline.py [--pages N] [--repeats N] [--corpus PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
MODES = {
    "in-process": [],
    "multi_processing x2": ["--direct_running_mode=multi_processing", "--direct_num_workers=2"],
}
SUMMARY_FIGURE = re.compile(r"^\s+(inputs read|articles written)\s+(\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Page:
    """One HTML page to parse: a file name for it, the URL it came from, its bytes."""

    name: str
    url: str
    data: bytes


# ---------------------------------------------------------------- pages


def corpus_pages(corpus: Path, count: int) -> list[Page]:
    """``count`` pages spread evenly over the corpus, so every language shows up."""
    golds = [
        json.loads(line)
        for line in (corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    step = max(1, len(golds) // count)
    return [
        Page(
            g["file"].split("/", 1)[1].replace("/", "_").removesuffix(".gz"),
            g["url"],
            gzip.decompress((corpus / g["file"]).read_bytes()),
        )
        for g in golds[::step][:count]
    ]


def sample_pages() -> list[Page]:
    """The bundled sample pages, when there is no corpus."""
    folder = resources.files("pipeline") / "samples" / "pages"
    return [
        Page(p.name, Path(str(p)).as_uri(), p.read_bytes())
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
    ]


# ---------------------------------------------------------------- (a) stages in-process


def parse_page(page: Page) -> Optional[dict]:
    """decode + ``article_from_record``, as the pipeline does; None when the page fails."""
    from transforms.fetch import FetchedBody, decode_html
    from transforms.parse import article_from_record
    from transforms.read import InputRecord

    try:
        html = decode_html(FetchedBody(page.name, page.data))
        return article_from_record(
            InputRecord(input_ref=page.name, input_kind="html", url=page.url, html=html)
        )
    except Exception:  # noqa: BLE001 - InputError (no_text, ...) or what the dead letter takes (ImportError on ja/ko)
        return None


def time_parsing(pages: list[Page]) -> tuple[list[float], list[dict]]:
    """(ms per page, the articles that parsed)."""
    times, articles = [], []
    for page in pages:
        started = time.perf_counter()
        article = parse_page(page)
        times.append((time.perf_counter() - started) * 1000)
        if article is not None:
            articles.append(article)
    return times, articles


def time_ner(articles: list[dict], repeats: int) -> tuple[float, list[float]]:
    """(model load seconds, ms per article of each pass of ``nlp.pipe`` and every extractor that
    reads its Doc: entities with names, places, quotes, counts)."""
    from transforms.extract import DEFAULT_MODEL, NlpConfig, doc_rows, load_model

    started = time.perf_counter()
    nlp = load_model(DEFAULT_MODEL)
    load_seconds = time.perf_counter() - started
    cap = NlpConfig().max_chars
    per_article = []
    for _ in range(repeats):
        started = time.perf_counter()
        docs = nlp.pipe((a["text"][:cap] for a in articles), batch_size=32)
        for article, doc in zip(articles, docs, strict=True):
            doc_rows(doc, {**article, "article_id": "x", "published_date": None}, "m", float("inf"))
        per_article.append((time.perf_counter() - started) * 1000 / len(articles))
    return load_seconds, per_article


def stage_report(pages: list[Page], repeats: int) -> list[str]:
    from transforms.extract import DEFAULT_MODEL

    parse_ms, articles = time_parsing(pages)
    parse_median = statistics.median(parse_ms)
    failed = len(pages) - len(articles)
    lines = ["## (a) Stages in-process", ""]
    lines.append(
        f"decode+parse: median {parse_median:.1f} ms/page over {len(pages)} pages ({failed} failed, timed too), {1000 / parse_median:.1f} pages/s"
    )
    english = [a for a in articles if a["language"] == "en"]
    if not english:
        return lines + ["spaCy: no English articles among the pages"]
    load_seconds, ner_ms = time_ner(english, repeats)
    median = statistics.median(ner_ms)
    lines.append(
        f"spaCy + extractors ({DEFAULT_MODEL}, nlp.pipe batch 32; entities, places, quotes, counts): median {median:.1f} ms/article over {len(english)} English articles, {1000 / median:.1f} articles/s"
    )
    lines.append(
        f"  (ms/article = one pass over all of them / their number; median of {repeats} passes; model load {load_seconds:.1f} s, not counted)"
    )
    return lines


# ---------------------------------------------------------------- (b) whole runs


def write_pages(pages: list[Page], folder: Path) -> None:
    for page in pages:
        (folder / page.name).write_bytes(page.data)


def run_cli(inputs: list[str], output: Path, beam_args: list[str]) -> tuple[float, dict]:
    """Wall seconds of one ``newsbeam run`` in a fresh process, and its summary figures."""
    command = [sys.executable, "-m", "pipeline", "run", "--output", str(output)]
    for spec in inputs:
        command += ["--input", spec]
    started = time.perf_counter()
    done = subprocess.run(command + beam_args, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command + beam_args)} exited {done.returncode}:\n{done.stderr[-2000:]}"
        )
    return seconds, {name: int(n) for name, n in SUMMARY_FIGURE.findall(done.stdout)}


def plain_loop(folder: Path, output: Path) -> dict:
    """The pipeline's work on a folder of pages without Beam, one page after another."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from transforms.dedup import DedupParams, fingerprint, with_ids
    from transforms.extract import DEFAULT_MODEL, NlpConfig, doc_rows, keyword_rows, load_model
    from transforms.fetch import FetchedBody, page_html
    from transforms.parse import article_from_record
    from transforms.read import InputRecord

    nlp, params, cap = load_model(DEFAULT_MODEL), DedupParams(), NlpConfig().max_chars
    articles, seen, rows = [], set(), 0
    for path in sorted(folder.iterdir()):
        try:
            html = page_html(FetchedBody(path.name, path.read_bytes()))
            article = with_ids(article_from_record(InputRecord(path.name, "html", path.as_uri(), html=html)))
        except Exception:  # noqa: BLE001 - an errors row in the pipeline
            continue
        if article["canonical_url"] in seen:
            continue
        seen.add(article["canonical_url"])
        fingerprint(article, params)
        article["published_date"] = article["published_at"].date() if article["published_at"] else None
        if article["language"] == "en":
            tables, _ = doc_rows(nlp(article["text"][:cap]), article, DEFAULT_MODEL, float("inf"))
            rows += sum(len(t) for t in tables.values())
        rows += len(keyword_rows(article))
        articles.append(article)
    output.mkdir(parents=True, exist_ok=True)
    slim = [{k: a[k] for k in ("article_id", "url", "title", "text", "language")} for a in articles]
    pq.write_table(pa.Table.from_pylist(slim), output / "articles.parquet", compression="zstd")
    return {"articles written": len(articles), "extraction rows": rows}


def run_loop(folder: Path, output: Path) -> tuple[float, dict]:
    """Wall seconds of :func:`plain_loop` in a fresh process (imports included, like the CLI)."""
    command = [sys.executable, __file__, "--loop", str(folder), str(output)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the plain loop exited {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def end_to_end_report(inputs: list[str], repeats: int, scratch: Path, folder: Optional[Path]) -> list[str]:
    seconds = {mode: [] for mode in MODES}
    figures = {}
    loop = []
    for repeat in range(repeats):
        for index, (mode, beam_args) in enumerate(MODES.items()):  # alternated: drift hits both alike
            took, figures[mode] = run_cli(inputs, scratch / f"out-{repeat}-{index}", beam_args)
            seconds[mode].append(took)
        if folder is not None:
            took, figures["loop"] = run_loop(folder, scratch / f"loop-{repeat}")
            loop.append(took)
    medians = {mode: statistics.median(s) for mode, s in seconds.items()}
    lines = ["## (b) End to end: `python -m pipeline run` in a subprocess (wall time includes start-up)", ""]
    lines += [
        "| runner | median s | runs (s) | inputs/s | inputs | articles |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for mode in MODES:
        inputs_read = figures[mode].get("inputs read", 0)
        runs = ", ".join(f"{s:.1f}" for s in seconds[mode])
        lines.append(
            f"| {mode} | {medians[mode]:.1f} | {runs} | {inputs_read / medians[mode]:.2f} | {inputs_read} | {figures[mode].get('articles written', 0)} |"
        )
    first, second = MODES
    lines += [
        "",
        f"ratio {second} / {first}: {medians[second] / medians[first]:.2f} (median over median, {repeats} alternated runs each)",
    ]
    if loop:
        base = statistics.median(loop)
        runs = ", ".join(f"{s:.1f}" for s in loop)
        lines += [
            "",
            f"plain Python loop, no Beam (same pages, same work, one process): median {base:.1f} s ({runs}); "
            f"{figures['loop']['articles written']} articles",
        ]
        for mode in MODES:  # speed relative to the loop: above 1 is faster than the loop
            lines.append(f"  {mode}: {base / medians[mode]:.2f}x the plain loop's speed")
    return lines


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help=f"The Fundus corpus folder. Default: {DEFAULT_CORPUS}",
    )
    parser.add_argument("--pages", type=int, default=60, metavar="N", help="Corpus pages to use. Default: 60")
    parser.add_argument(
        "--repeats", type=int, default=3, metavar="N", help="NER passes, and runs per runner mode. Default: 3"
    )
    parser.add_argument("--loop", nargs=2, type=Path, metavar=("PAGES", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.loop:  # the child process of run_loop
        logging.basicConfig(level=logging.ERROR)
        warnings.filterwarnings("ignore")
        sys.path.insert(0, str(PROJECT_ROOT))
        print(json.dumps(plain_loop(*args.loop)))
        return 0
    # Before Beam is imported (by transforms): its import-time warnings are not speed figures.
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(PROJECT_ROOT))
    from pipeline.run import sample_inputs

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsbeam-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        if (args.corpus / "gold.jsonl").is_file():
            pages = corpus_pages(args.corpus, args.pages)
            (scratch / "pages").mkdir()
            write_pages(pages, scratch / "pages")
            inputs, source = ["html:" + str(scratch / "pages")], f"{len(pages)} pages of {args.corpus}"
        else:
            pages, inputs = sample_pages(), sample_inputs()
            source = f"the bundled samples (no corpus at {args.corpus})"
        print(f"# newsbeam speed: {source}\n")
        print("\n".join(stage_report(pages, args.repeats)) + "\n")
        folder = scratch / "pages" if (scratch / "pages").is_dir() else None
        print("\n".join(end_to_end_report(inputs, args.repeats, scratch, folder)))
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
