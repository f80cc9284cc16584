"""Deduplicate stories: same URL, same text, near-duplicates, within a run and against earlier runs.

Every article gets a *fingerprint*: its canonical URL (and the ``article_id`` derived from it),
a hash of its normalised body, and a MinHash signature over word shingles of that body. Three
kinds of evidence link two copies, each found by grouping on a key, the Beam way:

- **url**: the same canonical URL (``KeyByUrl`` → ``GroupByKey``);
- **text**: the same body hash, after Unicode NFKC, case folding, whitespace collapsing and
  dropping the site's own boilerplate lines (syndicated wire copies under other URLs);
- **near**: MinHash LSH: one key per band of the signature; articles sharing a band key are
  candidates, kept when their estimated Jaccard similarity reaches the threshold.

The links are edges of a graph whose connected components are the stories (``Clusters``, a
union-find in a ``CombineFn``: its size grows with the number of links, not of articles). In
every component the first copy by :func:`survivor_order` is kept; the others are ``duplicates``
rows pointing at it. Articles written by earlier runs into the same output come back from the
``fingerprints`` table and join the same graph; they always win, so a story already ingested
is a duplicate of the earlier article and is not written again. The result is the same
whatever the bundle order, worker count or runner: every choice is by a total order.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
import urllib.parse
from dataclasses import dataclass
from typing import Iterable, Optional

import apache_beam as beam

from newsbeam.transforms.redact import SECRET_PARAMS
from newsbeam.transforms.timing import Timed

#: Query parameters that only say how a reader arrived (campaign, click and referral ids).
TRACKING_PARAMS = re.compile(
    r"^(?:utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|igshid|"
    r"ref|ref_src|ref_url|referrer|cmpid|ocid|_ga|_gl|sr_share|smid|share|at_medium|at_campaign)$",
    re.IGNORECASE,
)
DEFAULT_PORTS = {"http": 80, "https": 443}
DUPLICATES = "duplicates"
FINGERPRINTS = "fingerprints"
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class DedupParams:
    """How near-duplicates are found (chosen by ``make eval-dedup``; see README)."""

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


# ---------------------------------------------------------------- URLs and ids


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, no credentials, default port, fragment, tracking or secret parameters,
    query sorted, percent-encoding made canonical (w3lib, as Scrapy uses it)."""
    from w3lib.url import canonicalize_url

    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:  # "http://[not-an-address]/": nothing to normalise, and it is still an id
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING_PARAMS.match(k) and not SECRET_PARAMS.match(k)
    ]
    rebuilt = urllib.parse.urlunsplit(
        (scheme, netloc, parts.path or ("/" if netloc else ""), urllib.parse.urlencode(query), "")
    )
    try:
        return canonicalize_url(rebuilt, keep_fragments=False)
    except ValueError:  # a URL w3lib cannot take apart (a host IDNA refuses): ours is the best we have
        return rebuilt


def site_of(url: str) -> Optional[str]:
    try:
        host = urllib.parse.urlsplit(url).hostname
    except ValueError:  # "http://[not-an-address]/"
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def choose_canonical(url: str, page_canonical: Optional[str]) -> str:
    """The URL a story is known by: the page's rel=canonical when it is an http(s) URL on the
    same site (or the story came from a local file), else the URL it arrived with; normalised.
    Never raises: a URL Python cannot even split is its own id."""
    if page_canonical:
        try:
            absolute = urllib.parse.urljoin(url, page_canonical.strip())
            schemes = urllib.parse.urlsplit(absolute).scheme, urllib.parse.urlsplit(url).scheme
        except ValueError:  # the page's canonical is not a URL: the one the story came with is
            schemes = None, None
        if schemes[0] in ("http", "https"):
            if schemes[1] not in ("http", "https") or site_of(absolute) == site_of(url):
                return normalise_url(absolute)
    return normalise_url(url)


def article_id(canonical_url: str) -> str:
    """32 hex characters of SHA-256: deterministic, the same on every run and worker."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:32]


def with_ids(article: dict) -> dict:
    """An article row with canonical_url, article_id and source_domain set."""
    canonical = choose_canonical(article["url"], article["canonical_url"])
    return {
        **article,
        "canonical_url": canonical,
        "article_id": article_id(canonical),
        "source_domain": site_of(canonical),
    }


# ---------------------------------------------------------------- text fingerprints


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


# ---------------------------------------------------------------- the survivor rule


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


# ---------------------------------------------------------------- links and clusters


def same_key_edges(keyed) -> list[tuple]:
    """(key, fingerprints sharing it) → an edge from the first by order to each other one,
    unless all of them are earlier runs' (those were deduplicated then)."""
    _, fps = keyed
    members = sorted(fps, key=lambda fp: fp["order"])
    if len(members) < 2 or all(fp["prior"] for fp in members):
        return []
    first = members[0]
    return [(first["node"], first["order"], fp["node"], fp["order"]) for fp in members[1:]]


def bucket_pairs(keyed, params: DedupParams) -> list[tuple]:
    """(LSH band key, (node, is_prior) of the articles sharing it) → candidate pairs (a, b), a < b.
    Pairs of two earlier-run articles are skipped (deduplicated then); a bucket is compared among
    its first ``max_bucket`` new and ``max_bucket`` earlier members by node key."""
    _, members = keyed
    fresh, prior = [], []
    for node, is_prior in members:
        (prior if is_prior else fresh).append(node)
    if not fresh:
        return []
    fresh = sorted(fresh)[: params.max_bucket]
    prior = sorted(prior)[: params.max_bucket]
    return [(a, b) if a < b else (b, a) for i, a in enumerate(fresh) for b in prior + fresh[i + 1 :]]


def first_half(joined) -> list[tuple]:
    """(a, {pairs: [b...], fp: [(order, signature)]}) → (b, (a, order, signature)) per pair."""
    a, grouped = joined
    found = list(grouped["fp"])
    if not found:
        return []
    order, sig = found[0]
    return [(b, (a, order, sig)) for b in grouped["pairs"]]


def verified_edges(joined, threshold: float) -> list[tuple]:
    """(b, {half: [(a, order, signature)...], fp: [(order, signature)]}) → an edge for each pair
    whose estimated Jaccard similarity reaches the threshold."""
    b, grouped = joined
    found = list(grouped["fp"])
    if not found:
        return []
    order_b, sig_b = found[0]
    return [
        (a, order_a, b, order_b)
        for a, order_a, sig_a in grouped["half"]
        if estimate_jaccard(sig_a, sig_b) >= threshold
    ]


class ClustersFn(beam.CombineFn):
    """Edges → {node: root}, the connected components by union-find. Each component's root is
    its first node by survivor order, so the result does not depend on the order edges arrive."""

    def create_accumulator(self):
        return {}, {}  # parent, order

    @staticmethod
    def _find(parent: dict, node):
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def _union(self, acc, a, order_a, b, order_b):
        parent, order = acc
        for node, node_order in ((a, order_a), (b, order_b)):
            if node not in parent:
                parent[node], order[node] = node, node_order
        ra, rb = self._find(parent, a), self._find(parent, b)
        if ra != rb:
            if (order[rb], rb) < (order[ra], ra):
                ra, rb = rb, ra
            parent[rb] = ra

    def add_input(self, acc, edge):
        self._union(acc, *edge)
        return acc

    def merge_accumulators(self, accumulators):
        merged = self.create_accumulator()
        for parent, order in accumulators:
            for node in parent:
                root = self._find(parent, node)
                self._union(merged, node, order[node], root, order[root])
        return merged

    def extract_output(self, acc):
        parent, _ = acc
        return {node: self._find(parent, node) for node in list(parent)}


def resolve_cluster(keyed, params: DedupParams):
    """(root, members) → the kept article (with cluster_id and copies) and its fingerprints row,
    and a duplicates row per other new member. Members are (article or None, fingerprint)."""
    _, members = keyed
    members = sorted(members, key=lambda m: m[1]["order"])
    kept_article, kept = members[0]
    fresh = [m for m in members if not m[1]["prior"]]
    if not kept["prior"]:
        yield {**kept_article, "cluster_id": kept["article_id"], "copies": len(fresh)}
        yield beam.pvalue.TaggedOutput(FINGERPRINTS, fingerprint_row(kept_article, kept, params))
    for article, fp in members[1:]:
        if fp["prior"]:
            continue  # an earlier run's article that this run's copies linked to another: written then
        similarity = estimate_jaccard(fp["signature"], kept["signature"])
        if not kept["signature"]:  # an earlier run's, made with other settings: the closest copy then
            similarity = max(
                (
                    estimate_jaccard(fp["signature"], other["signature"])
                    for _, other in members
                    if other is not fp
                ),
                default=0.0,
            )
        if fp["canonical_url"] == kept["canonical_url"]:
            reason = "url"
        elif fp["text_hash"] == kept["text_hash"]:
            reason, similarity = "text", 1.0
        else:
            reason = "near"
        beam.metrics.Metrics.counter("newsbeam", f"duplicates_{reason}").inc()
        yield beam.pvalue.TaggedOutput(
            DUPLICATES,
            {
                "article_id": article["article_id"],
                "url": article["url"],
                "input_ref": article["input_ref"],
                "duplicate_of": kept["article_id"],
                "reason": reason,
                "similarity": similarity,
            },
        )


# ---------------------------------------------------------------- transforms


class CanonicalUrls(beam.PTransform):
    """Articles → articles with canonical_url, article_id and source_domain."""

    def expand(self, articles):
        return articles | "WithIds" >> beam.Map(Timed("dedup", with_ids))


class Fingerprints(beam.PTransform):
    """Articles with ids → (article, fingerprint) pairs; each site's boilerplate lines (short
    lines many of its articles in this run carry) are left out of the hash and the shingles."""

    def __init__(self, params: DedupParams):
        super().__init__()
        self._params = params

    def expand(self, articles):
        params = self._params
        boilerplate = (
            articles
            | "SiteLines" >> beam.FlatMap(Timed("dedup", boilerplate_candidates), params)
            | "DistinctBodies" >> beam.Distinct()
            | "OnePerBody" >> beam.MapTuple(lambda site_line, _: (site_line, 1))
            | "CountSiteLines" >> beam.CombinePerKey(sum)
            | "Boilerplate" >> beam.Filter(lambda kv, n: kv[1] >= n, params.boilerplate_min_articles)
            | "BySite" >> beam.Map(lambda kv: (kv[0][0], kv[0][1]))
            | "GroupBySite" >> beam.GroupByKey()
            | "AsSets" >> beam.MapTuple(lambda site, keys: (site, frozenset(keys)))
        )
        return articles | "Fingerprint" >> beam.Map(
            Timed(
                "dedup",
                lambda a, boiler: (
                    a,
                    fingerprint(a, params, boiler.get(a.get("source_domain") or "", frozenset())),
                ),
            ),
            boiler=beam.pvalue.AsDict(boilerplate),
        )


class Deduplicate(beam.PTransform):
    """Articles → (articles kept, duplicates rows, fingerprints rows of the kept articles).

    ``prior`` is a PCollection of ``fingerprints`` rows of earlier runs (or None): stories already
    in the output are not written again; their new copies become duplicates of them.
    """

    def __init__(self, params: Optional[DedupParams] = None, prior=None):
        super().__init__()
        self._params = params or DedupParams()
        self._prior = prior

    def expand(self, articles):
        params = self._params
        pairs = articles | "CanonicalUrls" >> CanonicalUrls() | "Fingerprints" >> Fingerprints(params)
        fresh_fps = pairs | "FingerprintOnly" >> beam.Map(lambda pair: pair[1])
        members = [pairs]
        fps = [fresh_fps]
        if self._prior is not None:
            prior_fps = self._prior | "PriorFingerprints" >> beam.Map(prior_fingerprint, params)
            fps.append(prior_fps)
            members.append(prior_fps | "PriorMembers" >> beam.Map(lambda fp: (None, fp)))
        all_fps = fps | "AllFingerprints" >> beam.Flatten()
        url_edges = (
            all_fps
            | "KeyByUrl" >> beam.Map(lambda fp: (fp["canonical_url"], fp))
            | "GroupByUrl" >> beam.GroupByKey()
            | "UrlEdges" >> beam.FlatMap(Timed("dedup", same_key_edges))
        )
        text_edges = (
            all_fps
            | "KeyByText" >> beam.Map(lambda fp: (fp["text_hash"], fp))
            | "GroupByText" >> beam.GroupByKey()
            | "TextEdges" >> beam.FlatMap(Timed("dedup", same_key_edges))
        )
        # LSH: only (band key, node) travels to the buckets; the signatures of the candidate
        # pairs come back through two joins, so the shuffle is bands × a node key, not bands ×
        # a whole signature.
        signatures = all_fps | "NodeSignatures" >> beam.Map(
            lambda fp: (fp["node"], (fp["order"], fp["signature"]))
        )
        candidates = (
            all_fps
            | "KeyByBand"
            >> beam.FlatMap(
                lambda fp: [(key, (fp["node"], fp["prior"])) for key in band_keys(fp["signature"], params)]
            )
            | "GroupByBand" >> beam.GroupByKey()
            | "CandidatePairs" >> beam.FlatMap(Timed("dedup", bucket_pairs), params)
            | "DistinctPairs" >> beam.Distinct()
        )
        halves = (
            {"pairs": candidates, "fp": signatures}
            | "JoinFirstOfPair" >> beam.CoGroupByKey()
            | "FirstHalves" >> beam.FlatMap(Timed("dedup", first_half))
        )
        near_edges = (
            {"half": halves, "fp": signatures}
            | "JoinSecondOfPair" >> beam.CoGroupByKey()
            | "VerifyPairs" >> beam.FlatMap(Timed("dedup", verified_edges), params.threshold)
        )
        roots = (
            (url_edges, text_edges, near_edges)
            | "AllEdges" >> beam.Flatten()
            | "Clusters" >> beam.CombineGlobally(ClustersFn())
            | "NodeRoots" >> beam.FlatMap(lambda found: sorted(found.items()))
        )
        keyed_members = (
            members | "AllMembers" >> beam.Flatten() | "KeyByNode" >> beam.Map(lambda m: (m[1]["node"], m))
        )
        results = (
            {"member": keyed_members, "root": roots}
            | "JoinRoots" >> beam.CoGroupByKey()
            | "KeyByRoot" >> beam.FlatMap(_by_root)
            | "GroupByCluster" >> beam.GroupByKey()
            | "ResolveClusters"
            >> beam.FlatMap(Timed("dedup", resolve_cluster), params).with_outputs(
                DUPLICATES, FINGERPRINTS, main="kept"
            )
        )
        return results.kept, results[DUPLICATES], results[FINGERPRINTS]


def _by_root(joined):
    node, grouped = joined
    roots = list(grouped["root"])
    root = roots[0] if roots else node
    return [(root, member) for member in grouped["member"]]
