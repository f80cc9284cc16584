"""A story's fingerprint: its canonical URL, a hash of its normalised body without the site's
boilerplate lines, and a MinHash signature over word shingles; and the survivor rule that picks
the copy kept."""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class DedupParams:
    """How near-duplicates are found (chosen by ``make eval-dedup``; docs/quality.md)."""

    #: Words per shingle.
    shingle_size: int = 5
    #: MinHash permutations (signature length).
    num_perm: int = 128
    #: LSH bands; each band is ``num_perm // bands`` rows of the signature.
    bands: int = 32
    #: Estimated Jaccard similarity from which two candidates are copies.
    threshold: float = 0.5
    #: Members of one LSH bucket compared pairwise (a bucket of thousands is boilerplate, not news).
    max_bucket: int = 200
    #: A line of a site that at least this many of its (different) bodies in the run carry is boilerplate.
    boilerplate_min_articles: int = 3
    #: Only lines up to this many characters can be boilerplate (story paragraphs are longer).
    boilerplate_max_chars: int = 120
    #: Only this many lines at the top and at the bottom of a body can be boilerplate.
    boilerplate_edge_lines: int = 3

    def __post_init__(self):
        if self.shingle_size < 1 or self.num_perm < 1 or self.bands < 1 or self.num_perm % self.bands:
            raise ValueError(
                f"dedup needs shingle_size ≥ 1 and bands dividing num_perm; got "
                f"{self.shingle_size}, {self.num_perm}, {self.bands}"
            )
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"dedup threshold must be in (0, 1], got {self.threshold}")

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    def candidate_probability(self, similarity: float) -> float:
        """The LSH S-curve: the chance that two texts of this Jaccard similarity share a band."""
        return 1.0 - (1.0 - similarity**self.rows) ** self.bands


WORD = re.compile(r"\w+")


def normalise_text(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: what two copies of one text have in common."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_lines(text: str) -> list[str]:
    return [line for line in (normalise_text(raw) for raw in text.splitlines()) if line]


def line_key(line: str) -> str:
    """A short stable key of a normalised line (for the boilerplate count)."""
    return hashlib.blake2b(line.encode("utf-8"), digest_size=8).hexdigest()


def boilerplate_candidates(article: dict, params: DedupParams) -> list[tuple]:
    """((site, line key), body hash) for each distinct short line among the first and last few
    lines of the article: a site's furniture ("Source: Reuters", "Follow us on ...") sits at the
    edges of its stories, and lines that many *different* bodies of the site share there are
    boilerplate. The middle is never counted, and identical copies of one story count once, so
    copies of a story on one site keep their own short lines."""
    site = article.get("source_domain") or ""
    lines = text_lines(article["text"])
    edge = params.boilerplate_edge_lines
    edges = lines if len(lines) <= 2 * edge else lines[:edge] + lines[-edge:]
    keys = {line_key(line) for line in edges if len(line) <= params.boilerplate_max_chars}
    body = hashlib.blake2b("\n".join(lines).encode("utf-8"), digest_size=8).hexdigest()
    return [((site, key), body) for key in sorted(keys)]


def story_lines(text: str, boilerplate: frozenset = frozenset()) -> list[str]:
    """The normalised lines of a body without its site's boilerplate (all lines if that is all)."""
    lines = text_lines(text)
    kept = [line for line in lines if line_key(line) not in boilerplate]
    return kept or lines


def text_hash(text: str, boilerplate: frozenset = frozenset()) -> str:
    return hash_of_lines("\n".join(story_lines(text, boilerplate)))


def hash_of_lines(body: str) -> str:
    """The body hash of story lines already joined by newlines."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


#: Words of a body that its shingles are made from: a news story is shorter (fundus's longest
#: body has about 5,000 words), and a 10 MB page of text would otherwise cost a MinHash of
#: millions of shingles, gigabytes in datasketch's batch update.
MAX_SHINGLE_WORDS = 20_000


def shingles(text: str, k: int) -> set[str]:
    """Word k-grams of the normalised text's first MAX_SHINGLE_WORDS words (one shingle of all
    words when there are fewer than k)."""
    words = WORD.findall(normalise_text(text))[:MAX_SHINGLE_WORDS]
    if len(words) <= k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def signature(shingle_set: Iterable[str], num_perm: int) -> list[int]:
    """MinHash signature (datasketch, seed 1: the same on every worker and run)."""
    from datasketch import MinHash

    minhash = MinHash(num_perm=num_perm, seed=1)
    minhash.update_batch([s.encode("utf-8") for s in sorted(shingle_set)])
    return [int(v) for v in minhash.hashvalues]


def estimate_jaccard(a: list[int], b: list[int]) -> float:
    """Share of equal signature positions: an unbiased estimate of the Jaccard similarity."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def band_keys(sig: list[int], params: DedupParams) -> list[str]:
    """One LSH key per band: two signatures that agree on a whole band share its key."""
    if len(sig) != params.num_perm:
        return []  # made with other parameters (an earlier run's): not comparable
    rows = params.rows
    keys = []
    for band in range(params.bands):
        chunk = struct.pack(f"<{rows}I", *sig[band * rows : (band + 1) * rows])
        keys.append(f"{band}:{hashlib.blake2b(chunk, digest_size=8).hexdigest()}")
    return keys


def survivor_order(article: dict) -> tuple:
    """Which copy is kept: earliest published (unknown dates last), then longest body, then
    smallest input reference, then URL. A total order, so every run and runner keeps the same one."""
    published = article["published_at"]
    return (
        1,  # articles of earlier runs are (0, ...): an ingested story always stays the kept one
        published.strftime("%Y-%m-%dT%H:%M:%S.%f") if published else "~",
        -len(article["text"]),
        article["input_ref"],
        article["url"],
    )


def prior_order(row: dict) -> tuple:
    published = row.get("published_at")
    return (0, published.strftime("%Y-%m-%dT%H:%M:%S.%f") if published else "~", 0, row["article_id"], "")


def fingerprint(article: dict, params: DedupParams, boilerplate: frozenset = frozenset()) -> dict:
    """What dedup knows of an article: node key, ids, body hash, signature and survivor order."""
    body = "\n".join(story_lines(article["text"], boilerplate))
    return {
        "node": article["input_ref"],
        "article_id": article["article_id"],
        "canonical_url": article["canonical_url"],
        "text_hash": hash_of_lines(body),
        "signature": signature(shingles(body, params.shingle_size), params.num_perm),
        "order": survivor_order(article),
        "prior": False,
    }


def prior_fingerprint(row: dict, params: DedupParams) -> dict:
    """A ``fingerprints`` row of an earlier run as a node of this run's graph. A signature made
    with another shingle size or length cannot be compared: the row then links by URL and text only."""
    comparable = row["shingle_size"] == params.shingle_size and len(row["signature"] or []) == params.num_perm
    return {
        "node": "prior:" + row["article_id"],
        "article_id": row["article_id"],
        "canonical_url": row["canonical_url"],
        "text_hash": row["text_hash"],
        "signature": list(row["signature"]) if comparable else [],
        "order": prior_order(row),
        "prior": True,
    }


def fingerprint_row(article: dict, fp: dict, params: DedupParams) -> dict:
    """The ``fingerprints`` table row of a kept article (run_id and run_date stamped by the writer)."""
    return {
        "article_id": fp["article_id"],
        "canonical_url": fp["canonical_url"],
        "text_hash": fp["text_hash"],
        "signature": fp["signature"],
        "shingle_size": params.shingle_size,
        "published_at": article["published_at"],
    }
