"""From fingerprints to stories: edges between copies (same URL, same text, LSH candidates close
enough), connected components by union-find, and each component resolved into the copy kept,
duplicates rows and fingerprints rows."""

from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.dedup.fingerprints import DedupParams, estimate_jaccard, fingerprint_row

DUPLICATES = "duplicates"

FINGERPRINTS = "fingerprints"


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
