"""Near-duplicate quality: precision and recall of dedup's MinHash LSH over labelled Fundus copies.

Every gold body of ``../shared/corpora/fundus`` (50+ words) is a story; seeded edits make eight
copies of it (sentences from other stories inserted, sentences removed, a site's header and footer
lines, the end cut off, one paragraph's sentences shuffled, and mixes of these) and a follow-up (the
story plus a background block from another story of its outlet). Texts of one story are copies; all
other pairs are distinct, those of one outlet counted apart (the hard negatives: follow-ups and the
background's story, different stories of one publisher).
A grid of parameters is scored with dedup's pure functions, then ``Deduplicate`` runs once with the
defaults on the DirectRunner. Figures, not a test: nothing here passes or fails.

    .venv/bin/python benchmarks/eval_dedup.py [--corpus PATH] [--seed N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import logging
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
EDITS = ("insert", "remove", "truncate", "shuffle", "furniture")
AGENCIES = ("Reuters", "AP", "AFP", "dpa", "PA Media")
SITES = 50
GRID_K, GRID_PERM, GRID_ROWS = (3, 4, 5, 7), (64, 128, 256), (2, 3, 4, 5, 8)
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
BUCKETS = ((0.9, 9, "≥0.9"), (0.8, 0.9, ".8–.9"), (0.7, 0.8, ".7–.8"), (0.6, 0.7, ".6–.7"), (0, 0.6, "<.6"))
TARGET = (0.99, 0.95)  # precision, and recall of copies sharing ≥ 80 % of their text
UNKNOWN = """canonical_url source_domain title published_at published_offset published_date language top_image
    title_source authors_source published_source text_source feed captured_at"""
SHARED = "shared text = words of the sentences both texts hold (a multiset, after normalise_text) / words of the longer text"


# ---------------------------------------------------------------- the labelled set


def stories(corpus: Path) -> list[dict]:
    """Gold bodies of 50+ words as (paragraph, sentence) units; a URL captured twice counts once."""
    found = {}
    for gold in map(json.loads, (corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines()):
        paragraphs = [p for p in gold["body"].split("\n\n") if p.strip()]
        units = [(i, s) for i, p in enumerate(paragraphs) for s in SENTENCE_END.split(p.strip())]
        if len(gold["body"].split()) >= 50 and gold["url"] not in found:
            found[gold["url"]] = {"outlet": gold["publisher"], "url": gold["url"], "units": units}
    return list(found.values())


def render(units: list[tuple]) -> str:
    return "\n\n".join(" ".join(s for _, s in p) for _, p in itertools.groupby(units, key=lambda u: u[0]))


def edit(units: list[tuple], kind: str, strength: float, site: int, donors: list[str], rng) -> list[tuple]:
    """One edit of a copy; ``strength`` is the share of sentences (of words, to truncate) it touches."""
    count = max(1, round(strength * len(units)))
    if kind == "insert":
        for _ in range(count):
            at = rng.randrange(len(units) + 1)
            units = units[:at] + [(units[max(at - 1, 0)][0], rng.choice(donors))] + units[at:]
    elif kind == "remove":
        gone = set(rng.sample(range(len(units)), min(count, len(units) - 1)))
        units = [u for i, u in enumerate(units) if i not in gone]
    elif kind == "truncate":  # the last ``strength`` of the words, mid-sentence too
        budget, kept = round((1 - strength) * sum(len(s.split()) for _, s in units)), []
        for paragraph, sentence in units:
            kept += [(paragraph, " ".join(sentence.split()[:budget]))] if budget > 0 else []
            budget -= len(sentence.split())
        units = kept
    elif kind == "shuffle":  # the longest paragraph; the first two sentences if every paragraph has one
        longest = Counter(p for p, _ in units).most_common(1)[0][0]
        at = [i for i, u in enumerate(units) if u[0] == longest]
        at = at if len(at) > 1 else [0, 1]
        order = rng.sample(at, len(at))
        order = order if order != at else at[1:] + at[:1]
        units = [units[order[at.index(i)]] if i in at else u for i, u in enumerate(units)]
    elif kind == "furniture":  # each site's own header and footer lines, as syndication adds them
        head = [(-2, f"Source: {AGENCIES[site % 5]}"), (-1, f"Site {site} News | Latest")][: 1 + site % 2]
        foot = [(1e6, f"Follow us on Twitter @site{site}news"), (2e6, f"© 2024 Site {site} Media.")]
        units = head + units + foot[: 1 + site % 2]
    return units


def labelled_texts(corpus: Path, seed: int) -> list[dict]:
    """Originals, eight seeded copies of each and a follow-up: {story, outlet, url, text}."""
    rng, found = random.Random(seed), stories(corpus)
    sentences = [(n, s) for n, story in enumerate(found) for _, s in story["units"]]
    records = []
    for n, story in enumerate(found):
        original = render(story["units"])
        records.append(dict(story=n, outlet=story["outlet"], url=story["url"], text=original))
        donors = [s for m, s in rng.sample(sentences, 200) if m != n]
        recipes = [[(kind, rng.uniform(0.05, 0.3))] for kind in EDITS]
        mixes = [rng.sample(EDITS, rng.randint(2, 4)) for _ in range(3)]
        recipes += [[(kind, rng.uniform(0.1, 0.35)) for kind in mix] for mix in mixes]
        for recipe in recipes:
            site, units = rng.randrange(SITES), story["units"]
            for kind, strength in sorted(recipe, key=lambda e: EDITS.index(e[0])):  # furniture goes on last
                units = edit(units, kind, strength, site, donors, rng)
            url = f"https://site{site}.example/story/{len(records)}"
            records.append(dict(story=n, outlet=f"site{site}", url=url, text=render(units)))
        # A follow-up: this story plus a background block of a later story of its outlet (of any later
        # story, when there is none): a copy of this story, a hard negative for the other. Later only,
        # so that no two follow-ups are each half of the other.
        mates = [m for m in range(n + 1, len(found)) if found[m]["outlet"] == story["outlet"]]
        source = found[rng.choice(mates or [m for m in range(len(found)) if m > n] or [0])]
        start, target = (
            rng.randrange(len(source["units"])),
            rng.uniform(0.2, 0.5) * len(original.split()),
        )
        rotated = source["units"][start:] + source["units"][:start]
        before = itertools.accumulate((len(s.split()) for _, s in rotated), initial=0)
        block = [(1e5, s) for (_, s), words in zip(rotated, before, strict=False) if words < target]
        url = f"https://{urllib.parse.urlsplit(source['url']).hostname}/follow-up/{len(records)}"
        records.append(dict(story=n, outlet=source["outlet"], url=url, text=render(story["units"] + block)))
    return records


def shared_fraction(a: str, b: str) -> float:
    """See SHARED."""
    from newsbeam.transforms.dedup.fingerprints import WORD, normalise_text

    def sentences(text):
        lines = text.splitlines()
        return Counter(normalise_text(s) for line in lines for s in SENTENCE_END.split(line) if s.strip())

    shared = sum(len(WORD.findall(s)) * n for s, n in (sentences(a) & sentences(b)).items())
    return shared / max(len(WORD.findall(normalise_text(a))), len(WORD.findall(normalise_text(b))))


def copy_pairs(records: list[dict]) -> dict:
    """{(i, j): shared fraction} for every pair of texts of one story."""
    by_story = defaultdict(list)
    for i, r in enumerate(records):
        by_story[r["story"]].append(i)
    pairs = (p for ids in by_story.values() for p in itertools.combinations(ids, 2))
    return {(i, j): shared_fraction(records[i]["text"], records[j]["text"]) for i, j in pairs}


# ---------------------------------------------------------------- scoring


def candidates(sigs: list[list[int]], params) -> dict:
    """{(i, j): estimated Jaccard} of every pair sharing an LSH band key."""
    from newsbeam.transforms.dedup.fingerprints import band_keys, estimate_jaccard

    buckets = defaultdict(list)
    for i, sig in enumerate(sigs):
        for key in band_keys(sig, params):
            buckets[key].append(i)
    pairs = {pair for ids in buckets.values() for pair in itertools.combinations(ids, 2)}
    return {(i, j): estimate_jaccard(sigs[i], sigs[j]) for i, j in pairs}


def score(found: set, copies: dict, records: list[dict], **extra) -> dict:
    """Precision over the found pairs (a copy at any shared level is right) and recall per shared bucket."""
    wrong = [(i, j) for i, j in found if (i, j) not in copies]
    recall = {}
    for low, high, label in BUCKETS + ((0.8, 9, "≥0.8"),):
        pairs = [p for p, s in copies.items() if low <= s < high]
        recall[label] = (sum(p in found for p in pairs) / max(len(pairs), 1), len(pairs))
    outlet = sum(records[i]["outlet"] == records[j]["outlet"] for i, j in wrong)
    extra.update(precision=1 - len(wrong) / max(len(found), 1), recall=recall, found=len(found))
    return dict(fp=len(wrong), fp_outlet=outlet, **extra)


def grid(records: list[dict], copies: dict) -> list[dict]:
    """Every (shingle size, permutations, rows, threshold) scored; signatures made once per (k, permutations)."""
    from newsbeam.transforms.dedup.fingerprints import DedupParams, shingles, signature

    results = []
    for k in GRID_K:
        sets, signatures = [shingles(r["text"], k) for r in records], {}
        for budget, rows in itertools.product(GRID_PERM, GRID_ROWS):  # rows not dividing: largest multiple
            params = DedupParams(shingle_size=k, num_perm=budget // rows * rows, bands=budget // rows)
            if params.num_perm not in signatures:
                signatures[params.num_perm] = [signature(s, params.num_perm) for s in sets]
            estimated = candidates(signatures[params.num_perm], params)
            for t in THRESHOLDS:
                found = {p for p, j in estimated.items() if j >= t}
                row = score(found, copies, records, params=params, budget=budget, t=t)
                results.append({**row, "candidates": len(estimated)})
    return results


def margin(row: dict) -> float:
    """The smaller slack above the target, each as a share of its room (1.0: perfect, < 0: missed)."""
    precision, recall = row["precision"], row["recall"]["≥0.8"][0]
    return min((precision - TARGET[0]) / (1 - TARGET[0]), (recall - TARGET[1]) / (1 - TARGET[1]))


def recommend(results: list[dict]) -> Optional[dict]:
    """The smallest permutation budget meeting the target, then the widest margin, then the highest
    threshold (headroom for harder negatives than these), then the fewest bands (keys per article)."""
    good = [r for r in results if margin(r) >= 0]
    order = lambda r: (r["budget"], -round(margin(r), 3), -r["t"], r["params"].bands)  # noqa: E731
    return min(good, key=order, default=None)


# ---------------------------------------------------------------- the transform, and its pure twin


def article(record: dict, n: int) -> dict:
    """An article row as parse produces it, with the record's URL and text."""
    text, now = record["text"], dt.datetime.now(dt.timezone.utc)
    known = dict(url=record["url"], authors=[], text=text, word_count=len(text.split()), input_kind="jsonl")
    return {**dict.fromkeys(UNKNOWN.split()), **known, "input_ref": f"bench#{n}", "ingested_at": now}


def beam_pairs(records: list[dict], params) -> set:
    """Pairs implied by one DirectRunner run of ``Deduplicate``: kept article and duplicates, per cluster."""
    import apache_beam as beam

    from newsbeam.transforms.dedup import Deduplicate

    def read(folder: str, name: str) -> list:
        return [json.loads(row) for f in Path(folder).glob(name + "*") for row in f.read_text().splitlines()]

    with tempfile.TemporaryDirectory(prefix="newsbeam-eval-dedup-") as scratch:
        with beam.Pipeline(runner="DirectRunner") as p:
            articles = p | beam.Create([article(r, n) for n, r in enumerate(records)])
            kept, duplicates, _ = articles | Deduplicate(params)
            ids = kept | "Ids" >> beam.Map(lambda a: json.dumps([a["article_id"], a["input_ref"]]))
            _ = ids | "WriteKept" >> beam.io.WriteToText(f"{scratch}/kept")
            _ = duplicates | "Rows" >> beam.Map(json.dumps) | "Write" >> beam.io.WriteToText(f"{scratch}/dup")
        ref_of, rows = dict(read(scratch, "kept")), read(scratch, "dup")
    reasons = dict(Counter(r["reason"] for r in rows))
    print(f"Beam Deduplicate: {len(ref_of)} kept, {len(rows)} duplicates rows, by reason {reasons}")
    index = {f"bench#{n}": n for n in range(len(records))}
    return clustered(len(records), [(index[r["input_ref"]], index[ref_of[r["duplicate_of"]]]) for r in rows])


def pure_twin(records: list[dict], params) -> set:
    """The same clusters from dedup's pure functions: each site's boilerplate as Fingerprints finds
    it, then text-hash edges and LSH candidates verified by estimated Jaccard."""
    from newsbeam.transforms.dedup.fingerprints import (
        band_keys,
        boilerplate_candidates,
        estimate_jaccard,
        fingerprint,
    )
    from newsbeam.transforms.dedup.urls import with_ids

    articles = [with_ids(article(r, n)) for n, r in enumerate(records)]
    counts = Counter(key for a in articles for key, _ in boilerplate_candidates(a, params))
    boilerplate = defaultdict(set)
    for (site, line), n in counts.items():
        boilerplate[site].update([line] if n >= params.boilerplate_min_articles else [])
    fps = [fingerprint(a, params, frozenset(boilerplate[a["source_domain"] or ""])) for a in articles]
    buckets = defaultdict(list)
    for i, fp in enumerate(fps):
        for key in [fp["text_hash"]] + band_keys(fp["signature"], params):
            buckets[key].append(i)
    linked = {p for ids in buckets.values() for p in itertools.combinations(ids, 2)}
    same_text = [(i, j) for i, j in linked if fps[i]["text_hash"] == fps[j]["text_hash"]]
    sigs = [fp["signature"] for fp in fps]
    near = [(i, j) for i, j in linked if estimate_jaccard(sigs[i], sigs[j]) >= params.threshold]
    return clustered(len(records), same_text + near)


def clustered(nodes: int, edges: list[tuple]) -> set:
    """Every pair within a connected component of ``edges``."""
    root = list(range(nodes))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = x = root[root[x]]
        return x

    for a, b in edges:
        root[find(a)] = find(b)
    groups = defaultdict(list)
    for x in range(nodes):
        groups[find(x)].append(x)
    return {pair for ids in groups.values() for pair in itertools.combinations(ids, 2)}


# ---------------------------------------------------------------- report


def describe(label: str, row: dict) -> str:
    """Three lines: the parameters, precision and false positives, recall per shared bucket."""
    p, recall = row["params"], "  ".join(f"{b} {100 * r:.1f} % of {n}" for b, (r, n) in row["recall"].items())
    found = f"pairs found {row['found']}  false positives {row['fp']} (same outlet {row['fp_outlet']})"
    return (
        f"{label}: shingle_size={p.shingle_size} num_perm={p.num_perm} bands={p.bands} (rows {p.rows}) "
        f"threshold={row['t']}\n  precision {100 * row['precision']:.2f} %  {found}\n  recall by shared text: {recall}"
    )


def grid_table(results: list[dict], chosen: Optional[dict]) -> list[str]:
    """One line per (k, permutations, bands): recall of ≥80 % copies and false positives per threshold."""
    lines = [
        "Per threshold t: recall (%) of copies sharing ≥80 %, false positives (same outlet); '*' meets",
        "the target (precision ≥ 0.99, recall ≥ 0.95), '>' is the recommendation. cand: LSH candidate pairs;",
        "perm: signature length, the largest multiple of rows within 64, 128 or 256 (bands must divide it).",
        "  k perm bands rows   cand" + "".join(f" | t={t}: recall  FP" for t in THRESHOLDS),
    ]
    for p, group in itertools.groupby(results, key=lambda r: r["params"]):
        rows = list(group)
        marks = ((">" if r is chosen else "*" if margin(r) >= 0 else " ", r) for r in rows)
        cells = [f"{m}{100 * r['recall']['≥0.8'][0]:5.1f} {r['fp']:3}({r['fp_outlet']})" for m, r in marks]
        head = f"  {p.shingle_size} {p.num_perm:4} {p.bands:5} {p.rows:4} {rows[0]['candidates']:6} | "
        lines.append(head + " | ".join(f"{c:>17}" for c in cells))
    return lines


def jaccard_table(records: list[dict], copies: dict) -> list[str]:
    """Exact shingle Jaccard of copies at 80–90 % shared text and of distinct pairs of one outlet."""
    from newsbeam.transforms.dedup.fingerprints import shingles

    near80 = [p for p, s in copies.items() if 0.8 <= s < 0.9]
    by_outlet = defaultdict(list)
    for i, r in enumerate(records):
        by_outlet[r["outlet"]].append(i)
    pairs = (p for ids in by_outlet.values() for p in itertools.combinations(ids, 2))
    hard = [(i, j) for i, j in pairs if records[i]["story"] != records[j]["story"]]
    lines = [
        f"Exact Jaccard of copies at 80–90 % shared text ({len(near80)} pairs), of distinct same-outlet pairs ({len(hard)}):",
        "   k   copies:  min    p1    p5   p25  median  | distinct, same outlet: p99.9   max",
    ]
    for k in GRID_K:
        sets = [shingles(r["text"], k) for r in records]
        jaccard = lambda i, j: len(sets[i] & sets[j]) / len(sets[i] | sets[j])  # noqa: E731, B023
        copy, other = [jaccard(*p) for p in near80], [jaccard(*p) for p in hard]
        q, o = statistics.quantiles(copy, n=100), statistics.quantiles(other, n=1000)
        figures = f"{min(copy):13.2f} {q[0]:5.2f} {q[4]:5.2f} {q[24]:5.2f} {q[49]:7.2f}  | {o[-1]:28.3f}"
        lines.append(f"  {k:2} {figures} {max(other):5.3f}")
    return lines


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"Default: {DEFAULT_CORPUS}")
    parser.add_argument("--seed", type=int, default=4, help="Seed of the copies' edits. Default: 4")
    args = parser.parse_args(argv)
    if not (args.corpus / "gold.jsonl").is_file():
        print(f"eval_dedup: no corpus at {args.corpus} (no gold.jsonl); nothing to evaluate.")
        return 1
    logging.basicConfig(level=logging.ERROR)  # before Beam is imported: its import-time warnings are noise
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(PROJECT_ROOT))
    from newsbeam.transforms.dedup.fingerprints import DedupParams

    started, records = time.perf_counter(), labelled_texts(args.corpus, args.seed)
    copies, stories_count = copy_pairs(records), records[-1]["story"] + 1
    distinct = len(records) * (len(records) - 1) // 2 - len(copies)
    by_bucket = ", ".join(f"{b} {sum(lo <= s < hi for s in copies.values())}" for lo, hi, b in BUCKETS)
    print(
        f"# Near-duplicate quality: {len(records)} texts, {stories_count} stories, 8 copies and a follow-up of each"
    )
    print(f"copy pairs {len(copies)}, distinct pairs {distinct} (seed {args.seed})\n{SHARED}")
    print(f"copy pairs by shared text: {by_bucket}; precision counts any found pair of one story as right\n")
    results = grid(records, copies)
    chosen, default = recommend(results), DedupParams()
    as_default = next(r for r in results if r["params"] == default and r["t"] == default.threshold)
    print("\n".join(grid_table(results, chosen)) + "\n")
    print(describe("Recommended", chosen) if chosen else "Recommended: no setting meets the target")
    print(describe("Current default", as_default))
    print("\nS-curves, P(LSH candidate) = 1 - (1 - s^rows)^bands at Jaccard similarity s:")
    print("  s                     " + " ".join(f"{s / 10:5.1f}" for s in range(2, 11)))
    for label, p in [("recommended", chosen["params"])] * bool(chosen) + [("current default", default)]:
        curve = " ".join(f"{p.candidate_probability(s / 10):5.3f}" for s in range(2, 11))
        print(f"  {label:15} {p.bands:2}×{p.rows} {curve}")
    print("\n" + "\n".join(jaccard_table(records, copies)))
    print(f"\n(grid and tables took {time.perf_counter() - started:.0f} s)\n")
    twin, beam = pure_twin(records, default), beam_pairs(records, default)
    for label, found in (("Pure functions, clustered as Deduplicate does", twin), ("Beam Deduplicate", beam)):
        print(describe(label, score(found, copies, records, params=default, t=default.threshold)))
    print(f"same pairs from both: {twin == beam} ({len(twin ^ beam)} differ)")
    print(f"\n(evaluation took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
