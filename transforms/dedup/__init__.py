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

The pure parts: :mod:`.urls` (canonical URLs and ids), :mod:`.fingerprints` (body hashes,
MinHash, the survivor rule) and :mod:`.clusters` (links and the union-find).
"""

from __future__ import annotations

from typing import Optional

import apache_beam as beam

from newsbeam.transforms.common.timing import Timed
from newsbeam.transforms.dedup.clusters import (
    DUPLICATES,
    FINGERPRINTS,
    ClustersFn,
    bucket_pairs,
    first_half,
    resolve_cluster,
    same_key_edges,
    verified_edges,
)
from newsbeam.transforms.dedup.fingerprints import (
    DedupParams,
    band_keys,
    boilerplate_candidates,
    fingerprint,
    prior_fingerprint,
)
from newsbeam.transforms.dedup.links import (
    add_copies,
    article_links,
    duplicate_links,
    error_links,
    fetch_link,
    link_row,
    resolve_copy,
    settle,
    still_seen,
)
from newsbeam.transforms.dedup.urls import with_ids

__all__ = ["Deduplicate", "DedupParams", "SkipSeenLinks", "ResolveCopies", "CountCopies", "RememberLinks"]


class SkipSeenLinks(beam.PTransform):
    """Input records → (records to fetch, ``seen_link`` duplicates rows, copies, carried
    ``links`` rows), before anything is fetched.

    A record fetched over HTTP whose link an earlier run settled (``prior``: ``links`` rows of
    the lookback window with their partition's ``run_date``, or None) is a ``seen_link``
    duplicate; of the records of one run that share a link, one is fetched and the others are
    copies, (link, ``url`` duplicates row) pairs for :class:`ResolveCopies` (:mod:`.links`).
    With ``refetch_before`` (``--refetch_after``), links fetched before that time are fetched
    again. A seen link whose newest row is on or before ``carry_through`` (the window's first
    day) has that row carried into this run's ``links`` partition.
    """

    def __init__(self, prior=None, refetch_before=None, carry_through=None):
        super().__init__()
        self._prior = prior
        self._refetch_before = refetch_before
        self._carry_through = carry_through

    def expand(self, records):
        keyed = records | "KeyByLink" >> beam.Map(lambda r: (fetch_link(r), r))
        linked, own = keyed | "FetchedOrNot" >> beam.Partition(lambda kv, _: 0 if kv[0] else 1, 2)
        groups = {"records": linked}
        if self._prior is not None:
            groups["prior"] = (
                self._prior
                | "StillSeen" >> beam.Filter(still_seen, self._refetch_before)
                | "PriorByLink" >> beam.Map(lambda row: (row["link"], row))
            )
        settled = (
            groups
            | "GroupByLink" >> beam.CoGroupByKey()
            | "Settle" >> beam.FlatMap(Timed("dedup", _settle), self._carry_through)
        )
        fetch, seen, copies, carry = settled | "ByOutcome" >> beam.Partition(
            lambda kv, _: ("fetch", "seen", "copy", "carry").index(kv[0]), 4
        )
        to_fetch = (
            own | "OwnRecords" >> beam.Map(lambda kv: kv[1]),
            fetch | "ToFetch" >> beam.Map(lambda kv: kv[1]),
        ) | "AllToFetch" >> beam.Flatten()
        return (
            to_fetch,
            seen | "SeenRows" >> beam.Map(lambda kv: kv[1]),
            copies | "Copies" >> beam.Map(lambda kv: kv[1]),
            carry | "Carried" >> beam.Map(lambda kv: kv[1]),
        )


class ResolveCopies(beam.PTransform):
    """(copies from :class:`SkipSeenLinks`, this run's ``links`` rows) → ``url`` duplicates rows
    pointing at what the one fetch of their link became."""

    def expand(self, copies_and_links):
        copies, links = copies_and_links
        return (
            {"copy": copies, "link": links | "LinkByKey" >> beam.Map(lambda row: (row["link"], row))}
            | "JoinLinks" >> beam.CoGroupByKey()
            | "Resolve"
            >> beam.FlatMap(lambda kv: [resolve_copy(copy, list(kv[1]["link"])) for copy in kv[1]["copy"]])
        )


class CountCopies(beam.PTransform):
    """(kept articles, resolved ``url`` duplicates rows) → the articles, whose ``copies`` also
    counts the copies of their link that were never fetched (:class:`ResolveCopies`).

    Those copies are few (a link listed twice in one run), so their counts travel as a side
    input and the articles are not shuffled again."""

    def expand(self, articles_and_copies):
        articles, resolved = articles_and_copies
        extra = (
            resolved
            | "CopyOf"
            >> beam.FlatMap(lambda row: [(row["duplicate_of"], 1)] if row.get("duplicate_of") else [])
            | "PerArticle" >> beam.CombinePerKey(sum)
        )
        return articles | "AddCopies" >> beam.Map(add_copies, beam.pvalue.AsDict(extra))


class RememberLinks(beam.PTransform):
    """(articles, duplicates rows, errors rows) of what this run fetched → its ``links`` rows:
    each link it settled, by its best outcome, stamped with ``fetched_at``."""

    def __init__(self, fetched_at):
        super().__init__()
        self._fetched_at = fetched_at

    def expand(self, outcomes):
        articles, duplicates, errors = outcomes
        return (
            (
                articles | "ArticleLinks" >> beam.FlatMap(article_links),
                duplicates | "DuplicateLinks" >> beam.FlatMap(duplicate_links),
                errors | "ErrorLinks" >> beam.FlatMap(error_links),
            )
            | "AllLinks" >> beam.Flatten()
            | "GroupOutcomes" >> beam.GroupByKey()
            | "LinkRows" >> beam.Map(lambda grouped, at: link_row(*grouped, at), self._fetched_at)
        )


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


def _settle(grouped, carry_through=None):
    link, found = grouped
    return settle(link, found["records"], found.get("prior", []), carry_through)
