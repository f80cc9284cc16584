"""URL canonicalisation, ids, the survivor rule, and Deduplicate on Beam."""

import datetime as dt
import itertools

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that

from newsbeam.transforms.dedup import Deduplicate
from newsbeam.transforms.dedup.fingerprints import survivor_order
from newsbeam.transforms.dedup.urls import article_id, choose_canonical, normalise_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTP://Example.COM:80/a/b?z=1&a=2#frag", "http://example.com/a/b?a=2&z=1"),
        ("https://www.x.org:443/s?utm_source=rss&utm_medium=feed&id=7", "https://www.x.org/s?id=7"),
        ("https://x.org/s?fbclid=abc&gclid=1&mc_cid=2&ref=home&page=2", "https://x.org/s?page=2"),
        ("https://user:secret@x.org:8443/s", "https://x.org:8443/s"),
        ("https://x.org", "https://x.org/"),
        ("https://x.org/caf%c3%a9/a b", "https://x.org/caf%C3%A9/a%20b"),
        ("file:///srv/pages/a.html?utm_source=rss", "file:///srv/pages/a.html"),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    "url, page_canonical, expected",
    [
        ("https://www.x.org/a?utm_source=rss", "https://x.org/story-a", "https://x.org/story-a"),
        ("https://x.org/a", "/story-a", "https://x.org/story-a"),
        ("https://x.org/a", "https://other.org/story-a", "https://x.org/a"),  # another site: ignored
        ("file:///srv/a.html", "https://x.org/story-a", "https://x.org/story-a"),  # a saved page: trusted
        ("https://x.org/a", None, "https://x.org/a"),
        ("https://x.org/a", "javascript:void(0)", "https://x.org/a"),
    ],
)
def test_choose_canonical(url, page_canonical, expected):
    assert choose_canonical(url, page_canonical) == expected


def test_article_id_is_deterministic_and_differs_by_url():
    assert article_id("https://x.org/a") == article_id("https://x.org/a")
    assert article_id("https://x.org/a") != article_id("https://x.org/b")
    assert len(article_id("https://x.org/a")) == 32


def _article(url, input_ref, published=None, text="body", canonical=None):
    return {
        "url": url,
        "canonical_url": canonical,
        "input_ref": input_ref,
        "text": text,
        "published_at": published,
        "article_id": None,
        "source_domain": None,
    }


T1 = dt.datetime(2015, 11, 17, 9, tzinfo=dt.timezone.utc)
T2 = dt.datetime(2015, 11, 17, 10, tzinfo=dt.timezone.utc)


def test_survivor_is_earliest_then_longest_then_smallest_ref():
    copies = [
        _article("u", "c", None, "a much longer body"),
        _article("u", "b", T2, "long body"),
        _article("u", "a", T2, "body"),
        _article("u", "d", T1, "x"),
    ]
    assert [a["input_ref"] for a in sorted(copies, key=survivor_order)] == ["d", "b", "a", "c"]


STORY = (
    "The harbour authority said on Tuesday that the old swing bridge will reopen to traffic next month "
    "after two years of repairs that cost far more than planned.\n\n"
    "Engineers replaced the deck, the machinery and the control cabin, and the council will pay a third "
    "of the bill from its reserves, the authority's chief executive told reporters at the quayside.\n\n"
    "Ferry operators, who carried most of the traffic during the closure, expect to lose about a quarter "
    "of their passengers once the crossing opens again to cars, buses and people on foot.\n\n"
    "Shopkeepers on both banks welcomed the news and said trade had fallen sharply since the bridge shut."
)
OTHER = (
    "The city council approved a new tram line through the eastern districts on Monday evening after a "
    "long debate about its route and the cost of moving underground cables.\n\n"
    "The line will run for eleven kilometres and serve two hospitals, a university campus and a stadium, "
    "and the first trams are due to carry passengers in the spring of the year after next.\n\n"
    "Opposition councillors said the budget was too optimistic and asked for an independent review."
)
SAME_TOPIC = (
    "The harbour authority said on Friday that tolls on the old swing bridge will rise when it reopens, "
    "angering commuters who had waited two years for the crossing.\n\n"
    "Drivers will pay two pounds each way, double the old toll, and cyclists will pay for the first time, "
    "a spokeswoman said, adding that the money would go towards the repair bill.\n\n"
    "A petition against the rise gathered four thousand signatures in a day."
)


def _run(articles, params=None, prior=None):
    """Deduplicate on Beam: ({input_ref: (cluster_id, copies)}, {input_ref: (duplicate_of, reason,
    similarity)}, fingerprints rows). Each output reaches the test through a pickle file, written
    by the matcher ``assert_that`` calls once with the whole PCollection."""
    import pickle
    import tempfile
    from pathlib import Path

    from newsbeam.transforms.dedup.fingerprints import DedupParams

    folder = Path(tempfile.mkdtemp())

    def keep(name):
        def matcher(rows):
            (folder / name).write_bytes(pickle.dumps(list(rows)))

        return matcher

    with TestPipeline() as p:
        prior_pc = p | "Prior" >> beam.Create(prior) if prior is not None else None
        kept, dups, fps = p | beam.Create(articles) | Deduplicate(params or DedupParams(), prior_pc)
        for name, pcoll in (("kept", kept), ("dups", dups), ("fps", fps)):
            assert_that(pcoll, keep(name), label=f"collect_{name}")
    out = {name: pickle.loads((folder / name).read_bytes()) for name in ("kept", "dups", "fps")}
    kept = {a["input_ref"]: (a["cluster_id"], a["copies"]) for a in out["kept"]}
    dups = {d["input_ref"]: (d["duplicate_of"], d["reason"], d["similarity"]) for d in out["dups"]}
    return kept, dups, out["fps"]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_deduplicate_keeps_one_per_url_whatever_the_order(order):
    copies = [
        _article("https://x.org/s?utm_source=rss", "world.rss#item=3", T2, STORY),
        _article("https://x.org/s?fbclid=1", "business.atom#item=2", T1, STORY + " Updated."),
        _article("https://www.x.org/other", "dump:1", T1, STORY, canonical="https://x.org/s"),
    ]
    other = _article("https://x.org/t", "dump:2", None, OTHER)
    kept_id = article_id("https://x.org/s")
    kept, dups, fps = _run([copies[i] for i in order] + [other])
    assert kept == {"business.atom#item=2": (kept_id, 3), "dump:2": (article_id("https://x.org/t"), 1)}
    assert {ref: (of, reason) for ref, (of, reason, _) in dups.items()} == {
        "dump:1": (kept_id, "url"),
        "world.rss#item=3": (kept_id, "url"),
    }
    assert 0.9 < dups["dump:1"][2] <= 1.0  # the kept copy has one more sentence
    assert sorted(f["article_id"] for f in fps) == sorted([kept_id, article_id("https://x.org/t")])


def test_a_syndicated_copy_with_other_spacing_case_and_unicode_forms_is_a_text_duplicate():
    wire = _article("https://a.example/wire", "a", T1, STORY)
    respaced = STORY.replace("Tuesday", "TUESDAY").replace(" the ", "  the ").replace("\n\n", "\n\n\n")
    copy = _article("https://b.example/news/bridge", "b", T2, respaced.replace("ff", "\ufb00"))  # ﬀ ligature
    kept, dups, _ = _run([copy, wire])
    assert kept == {"a": (article_id("https://a.example/wire"), 2)}
    assert dups == {"b": (article_id("https://a.example/wire"), "text", 1.0)}


def test_a_sites_boilerplate_lines_do_not_hide_a_syndicated_copy():
    """b.example adds its furniture lines to every story; three of its stories carry them, so
    they are boilerplate, and its copy of the wire story hashes like the original."""
    furniture = "\n\nSource: Reuters\n\nFollow us on social media for more news."
    wire = _article("https://a.example/wire", "a", T1, STORY)
    copy = _article("https://b.example/bridge", "b1", T2, STORY + furniture)
    others = [
        _article(
            f"https://b.example/n{n}",
            f"b{n}",
            T2,
            f"Story number {n} about something else entirely. " * 12 + furniture,
        )
        for n in (2, 3)
    ]
    kept, dups, _ = _run([wire, copy, *others])
    assert dups == {"b1": (article_id("https://a.example/wire"), "text", 1.0)}
    assert set(kept) == {"a", "b2", "b3"}


def test_three_copies_on_one_site_keep_their_own_short_lines():
    """Short lines in the middle of a story (subheads) are never boilerplate, even when three
    copies of the story on one site carry them: the copies still hash like the original."""
    paragraphs = (STORY + "\n\n" + OTHER).split("\n\n")
    paragraphs[3:3] = ["What changes for ferries"]
    paragraphs[5:5] = ["Trade on the banks"]
    subheaded = "\n\n".join(paragraphs)
    original = _article("https://a.example/bridge", "a", T1, subheaded)
    copies = [_article(f"https://b.example/{n}", f"b{n}", T2, subheaded) for n in range(3)]
    kept, dups, _ = _run([original, *copies])
    assert set(kept) == {"a"}
    assert {ref: reason for ref, (_, reason, _) in dups.items()} == {"b0": "text", "b1": "text", "b2": "text"}


def test_boilerplate_is_counted_at_the_edges_of_a_body_only():
    from newsbeam.transforms.dedup.fingerprints import DedupParams, boilerplate_candidates, line_key

    text = "\n".join(["Top 1", "Top 2", "Top 3", "Middle", "Bottom 1", "Bottom 2", "Bottom 3"])
    keys = {
        key
        for (_, key), _body in boilerplate_candidates({"text": text, "source_domain": "x.org"}, DedupParams())
    }
    assert line_key("middle") not in keys and line_key("top 1") in keys and line_key("bottom 3") in keys


def test_an_edited_copy_is_a_near_duplicate_and_a_story_on_the_same_topic_is_not():
    paragraphs = STORY.split("\n\n")
    edited = "\n\n".join([paragraphs[0] + " A spokesman confirmed the date.", paragraphs[1], paragraphs[2]])
    original = _article("https://a.example/bridge", "a", T1, STORY)
    copy = _article("https://c.example/bridge-reopens", "c", T2, edited)
    topic = _article("https://a.example/tolls", "t", T2, SAME_TOPIC)
    kept, dups, _ = _run([copy, topic, original])
    assert set(kept) == {"a", "t"} and kept["a"] == (article_id("https://a.example/bridge"), 2)
    of, reason, similarity = dups["c"]
    assert (of, reason) == (article_id("https://a.example/bridge"), "near") and 0.5 <= similarity < 1.0


@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[::5])
def test_clusters_and_survivors_do_not_depend_on_input_order(order):
    """A chain: a = b by URL, b ~ c near, c = d by text. One story, kept as the earliest."""
    paragraphs = STORY.split("\n\n")
    near = "\n\n".join(paragraphs[:3])
    articles = [
        _article("https://a.example/s", "a", T2, STORY),
        _article("https://a.example/s?utm_source=x", "b", T2, STORY + " More."),
        _article("https://c.example/s", "c", T2, near),
        _article("https://d.example/s", "d", T1, near),
    ]
    kept, dups, _ = _run([articles[i] for i in order])
    d_id = article_id("https://d.example/s")
    assert kept == {"d": (d_id, 4)}
    assert {ref: reason for ref, (of, reason, _) in dups.items() if of == d_id} == {
        "a": "near", "b": "near", "c": "text"
    }  # fmt: skip


def test_clusters_fn_merges_partial_results_in_any_order():
    from newsbeam.transforms.dedup.clusters import ClustersFn

    fn = ClustersFn()
    edges = [("b", (1, "b"), "c", (1, "c")), ("c", (1, "c"), "a", (1, "a")), ("x", (1, "x"), "y", (1, "y"))]
    results = []
    for perm in itertools.permutations(edges):
        parts = [fn.add_input(fn.create_accumulator(), edge) for edge in perm]
        results.append(fn.extract_output(fn.merge_accumulators(parts)))
    assert all(r == {"a": "a", "b": "a", "c": "a", "x": "x", "y": "x"} for r in results)


def test_stories_an_earlier_run_wrote_are_duplicates_of_the_earlier_article():
    from newsbeam.transforms.dedup.fingerprints import DedupParams, fingerprint, fingerprint_row
    from newsbeam.transforms.dedup.urls import with_ids

    params = DedupParams()
    earlier = with_ids(_article("https://a.example/bridge", "old", T1, STORY))
    prior = [{**fingerprint_row(earlier, fingerprint(earlier, params), params), "run_id": "r1"}]
    paragraphs = STORY.split("\n\n")
    again = _article("https://a.example/bridge?utm_source=x", "again", T2, STORY)
    edited = _article(
        "https://c.example/b", "edited", T1, "\n\n".join(paragraphs[:3]) + "\n\nA new last line."
    )
    new = _article("https://a.example/tram", "new", T2, OTHER)
    kept, dups, fps = _run([again, edited, new], params, prior)
    old_id = earlier["article_id"]
    assert kept == {"new": (article_id("https://a.example/tram"), 1)}
    assert {ref: (of, reason) for ref, (of, reason, _) in dups.items()} == {
        "again": (old_id, "url"),
        "edited": (old_id, "near"),  # published earlier than the old one, but the old one is written
    }
    assert [f["article_id"] for f in fps] == [article_id("https://a.example/tram")]


def test_an_earlier_run_with_other_minhash_settings_still_links_by_url_and_text():
    from newsbeam.transforms.dedup.fingerprints import DedupParams, fingerprint, fingerprint_row
    from newsbeam.transforms.dedup.urls import with_ids

    params = DedupParams()
    earlier = with_ids(_article("https://a.example/bridge", "old", T1, STORY))
    row = {**fingerprint_row(earlier, fingerprint(earlier, params), params), "run_id": "r1"}
    row = {**row, "shingle_size": 3}
    edited = _article("https://c.example/b", "edited", T2, "\n\n".join(STORY.split("\n\n")[:3]))
    kept, dups, _ = _run([edited], params, [row])
    assert set(kept) == {"edited"} and not dups  # no comparable signature: not linked as near
    # An exact copy links by its text, and the edited copy joins through it; its similarity is
    # then measured against the closest copy with a comparable signature.
    copy = _article("https://b.example/wire", "text", T2, STORY)
    kept, dups, _ = _run([copy, edited], params, [row])
    assert not kept and dups["text"] == (earlier["article_id"], "text", 1.0)
    assert dups["edited"][:2] == (earlier["article_id"], "near") and dups["edited"][2] >= 0.5


def test_lsh_s_curve_and_parameter_checks():
    from newsbeam.transforms.dedup.fingerprints import DedupParams

    params = DedupParams(num_perm=128, bands=32)
    assert params.rows == 4
    assert params.candidate_probability(0.8) > 0.999 and params.candidate_probability(0.1) < 0.01
    with pytest.raises(ValueError):
        DedupParams(num_perm=128, bands=30)
    with pytest.raises(ValueError):
        DedupParams(threshold=0)


def test_signatures_estimate_jaccard_and_are_the_same_every_time():
    from newsbeam.transforms.dedup.fingerprints import estimate_jaccard, shingles, signature

    a, b = shingles(STORY, 5), shingles(STORY.rsplit("\n\n", 1)[0], 5)
    exact = len(a & b) / len(a | b)
    sig_a, sig_b = signature(a, 256), signature(b, 256)
    assert sig_a == signature(a, 256)
    assert abs(estimate_jaccard(sig_a, sig_b) - exact) < 0.1
    assert estimate_jaccard(sig_a, signature(shingles(OTHER, 5), 256)) < 0.1


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://[::1]:8080/x", "https://[::1]:8080/x"),
        ("http://[2001:db8::1]/a?b=1", "http://[2001:db8::1]/a?b=1"),
        ("http://[not-an-address/x", "http://[not-an-address/x"),  # Python cannot split it: kept
    ],
)
def test_urls_python_can_barely_read_still_get_an_id(url, expected):
    assert normalise_url(url) == expected
    assert choose_canonical("https://a.example/x", "http://[bad") == "https://a.example/x"


def test_shingles_come_from_the_first_words_only():
    from newsbeam.transforms.dedup.fingerprints import MAX_SHINGLE_WORDS, shingles

    words = [f"w{i}" for i in range(MAX_SHINGLE_WORDS + 500)]
    assert len(shingles(" ".join(words), 1)) == MAX_SHINGLE_WORDS
