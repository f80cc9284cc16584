"""newspaper4k read through ``AttributeLookups`` (transforms/parse/extractors.py), of the tree parse
has built already (``newspaper_tree``), against its own XPath of a tree of its own: the same
reading, and how much faster (docs/speed.md, "What the time goes on").

1. Every page of fundus and naeb-dev: whether everything newspaper4k reads (``as_dict``: title,
   authors, date, language, body, image, canonical URL) is the same with and without them.
2. fundus: the median milliseconds of newspaper4k's set-up (its tree when it builds one, title,
   metadata and image), of its author step after it, of its date step after that, and of the
   three.
3. Parse as a whole (``article_from_record``) on bench pages built from fundus, each page
   without and with them back to back in one process, the order alternated page by page, so the
   machine's drift falls on both.

    .venv/bin/python benchmarks/bench_parse_lookups.py [--pages 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.eval_fundus import DEFAULT_CORPUS, gold_pages  # noqa: E402
from benchmarks.scale_corpus import build  # noqa: E402

NAEB = PROJECT_ROOT.parent / "shared" / "corpora" / "naeb-dev"


@contextlib.contextmanager
def lookups(on: bool):
    """newspaper4k reads through AttributeLookups of the tree it is given (``on``), or its plain
    lxml root of a tree it builds itself."""
    from newsbeam.transforms.parse import article, extractors

    real, reading = extractors.AttributeLookups, article.NewspaperReading
    if not on:
        extractors.AttributeLookups = lambda root: root
        article.NewspaperReading = lambda html, url, tree=None: reading(html, url)
    try:
        yield
    finally:
        extractors.AttributeLookups, article.NewspaperReading = real, reading


def given_tree(html: str, on: bool):
    """The tree parse would give newspaper4k (``on``), or None: it builds its own."""
    from newsbeam.transforms.parse.article import page_tree
    from newsbeam.transforms.parse.extractors import newspaper_tree

    return newspaper_tree(html, page_tree(html)) if on else None


def corpus_pages(corpus: Path):
    for gold in gold_pages(corpus):
        yield gzip.decompress((corpus / gold["file"]).read_bytes()).decode("utf-8", "replace"), gold["url"]


def reading(html: str, url: str, on: bool):
    from newsbeam.transforms.parse.extractors import NewspaperReading

    with lookups(on):
        try:
            return NewspaperReading(html, url, tree=given_tree(html, on)).as_dict()
        except Exception as exc:  # noqa: BLE001 - the same error both ways is the same reading
            return repr(exc)


def same_readings(corpus: Path) -> tuple[int, int]:
    pages = [reading(html, url, False) == reading(html, url, True) for html, url in corpus_pages(corpus)]
    return sum(pages), len(pages)


def step_medians(corpus: Path) -> dict[str, float]:
    from newsbeam.transforms.parse.extractors import NewspaperReading

    seconds: dict[str, list[float]] = {}
    for html, url in corpus_pages(corpus):
        for on in (False, True):
            tree = given_tree(html, on)  # parse's, built for its own reading first
            with lookups(on):
                started = time.perf_counter()
                paper = NewspaperReading(html, url, tree=tree)  # its tree, title, metadata and image
                read = time.perf_counter()
                paper.authors()
                authors = time.perf_counter()
                paper.published_at  # noqa: B018 - read for its time
                ended = time.perf_counter()
            way = "with" if on else "without"
            seconds.setdefault(f"set-up {way}", []).append(read - started)
            seconds.setdefault(f"authors {way}", []).append(authors - read)
            seconds.setdefault(f"date after them {way}", []).append(ended - authors)
            seconds.setdefault(f"all three {way}", []).append(ended - started)
    return {step: 1000 * statistics.median(values) for step, values in seconds.items()}


def parse_seconds(folder: Path) -> dict[bool, float]:
    from newsbeam.transforms.common.fetching import FetchedBody, page_html
    from newsbeam.transforms.common.records import InputRecord
    from newsbeam.transforms.parse.article import article_from_record

    total = {False: 0.0, True: 0.0}
    paths = sorted(folder.iterdir())
    for on in (False, True):  # imports and first-call caches, timed on neither side
        with lookups(on):
            first = page_html(FetchedBody(paths[0].name, paths[0].read_bytes()))
            article_from_record(InputRecord(paths[0].name, "html", paths[0].as_uri(), html=first))
    for index, path in enumerate(paths):
        html = page_html(FetchedBody(path.name, path.read_bytes()))
        outputs = {}
        for on in (index % 2 == 0, index % 2 == 1):
            with lookups(on):
                started = time.perf_counter()
                try:
                    article = article_from_record(InputRecord(path.name, "html", path.as_uri(), html=html))
                    outputs[on] = (
                        article["title"],
                        article["authors"],
                        article["published_at"],
                        article["text"],
                    )
                except Exception as exc:  # noqa: BLE001 - an errors row in the pipeline
                    outputs[on] = repr(exc)
                total[on] += time.perf_counter() - started
        if outputs[False] != outputs[True]:
            print(f"  differs: {path.name}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000, help="Bench pages for parse. Default: 1000")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if not (DEFAULT_CORPUS / "gold.jsonl").is_file():
        print(f"no fundus corpus at {DEFAULT_CORPUS}")
        return 1
    from newsbeam.transforms.parse.article import quiet_parser_warnings

    quiet_parser_warnings()
    for corpus in (DEFAULT_CORPUS, NAEB):
        if (corpus / "gold.jsonl").is_file():
            same, pages = same_readings(corpus)
            print(
                f"{corpus.name}: newspaper4k's reading the same with and without on {same} of {pages} pages"
            )
    print("fundus, median ms a page:")
    for step, ms in step_medians(DEFAULT_CORPUS).items():
        print(f"  {step:<26} {ms:7.1f}")
    with tempfile.TemporaryDirectory(prefix="newsbeam-lookups-") as scratch:
        folder = Path(scratch) / "pages"
        build(DEFAULT_CORPUS, args.pages, folder)
        total = parse_seconds(folder)
    print(
        f"parse on {args.pages:,} bench pages, page by page: {total[False]:.1f} s without, "
        f"{total[True]:.1f} s with ({total[True] / total[False]:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
