"""Extraction: one spaCy pass feeding entities, places, quotes and counts; keywords beside it."""

import datetime as dt
import pickle
import tempfile
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that

from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.extract import ExtractFromText, spacy_batches
from newsbeam.transforms.extract.nlp import (
    DEFAULT_MODEL,
    NlpConfig,
    doc_rows,
    load_model,
    nlp_plan,
    parse_model_specs,
)
from newsbeam.transforms.parse.article import article_from_record

DAY = dt.date(2015, 11, 17)


@pytest.fixture(scope="module")
def nlp():
    return load_model(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def seed(nlp, seed_text):
    article = article_from_record(InputRecord("seed.txt", "text", "file:///seed.txt", text=seed_text))
    article = {**article, "article_id": "seed", "published_date": DAY}
    rows, skipped = doc_rows(nlp(article["text"]), article, "m", deadline=float("inf"))
    assert skipped is None
    return article, rows


def test_seed_story_people_by_their_one_name(seed):
    _, rows = seed
    people = {r["entity"] for r in rows["entities"] if r["label"] == "PERSON"}
    assert {
        "Vladimir Putin", "David Cameron", "Francois Hollande", "Barack Obama", "John Kerry",
        "Jean-Yves Le Drian", "Bernard Cazeneuve", "Manuel Valls", "Salah Abdeslam", "Abdelhamid Abaaoud",
    } <= people  # fmt: skip
    putin = [r for r in rows["entities"] if r["entity"] == "Vladimir Putin"]
    assert {r["text"] for r in putin} >= {"Putin", "Vladimir Putin"}
    assert len({(r["entity_mentions"], r["entity_first_char"]) for r in putin}) == 1
    assert putin[0]["entity_mentions"] == len(putin)


def test_seed_story_offsets_point_into_the_body_and_sentences_increase(seed):
    article, rows = seed
    entities = rows["entities"]
    assert all(article["text"][r["start_char"] : r["end_char"]] == r["text"] for r in entities)
    assert [r["mention_index"] for r in entities] == list(range(len(entities)))
    sentences = [r["sentence_index"] for r in entities]
    assert sentences == sorted(sentences) and sentences[-1] > 20


def test_seed_story_places_resolve_to_their_countries(seed):
    _, rows = seed
    countries = {}
    for r in rows["places"]:
        countries.setdefault(r["text"], set()).add(r["country_code"])
    assert countries["Paris"] == {"FR"} and countries["Raqqa"] == {"SY"}
    assert countries["Brussels"] == {"BE"} and countries["Molenbeek"] == {"BE"}
    assert all(r["latitude"] is not None for r in rows["places"] if r["country_code"])


def test_seed_story_quotes_and_counts(seed):
    _, rows = seed

    def speaker(start):
        (found,) = [q["speaker"] for q in rows["quotes"] if q["quote"].startswith(start)]
        return found

    assert speaker("Our air force’s military work") == "Vladimir Putin"
    assert speaker("This is firstly a political act") == "Jean-Yves Le Drian"
    assert speaker("Raqqa, if you like, is the head of the snake") == "David Cameron"
    assert speaker("We are deeply disturbed") == "Melissa Fleming"
    killed = {c["number"] for c in rows["counts"] if c["kind"] == "killed"}
    assert {353, 129, 224} <= killed


@pytest.mark.parametrize(
    "specs, expected",
    [
        ([], {}),
        (["de=de_core_news_sm"], {"de": "de_core_news_sm"}),
        (["en_core_web_md", "FR = fr_core_news_sm"], {"en": "en_core_web_md", "fr": "fr_core_news_sm"}),
    ],
)
def test_model_specs(specs, expected):
    assert parse_model_specs(specs) == expected


def test_a_bad_model_spec_is_refused():
    with pytest.raises(ValueError):
        parse_model_specs(["de="])


def _article(article_id, text, language):
    return nlp_plan(
        {
            "article_id": article_id,
            "published_date": DAY,
            "input_ref": article_id,
            "text": text,
            "language": language,
        },
        NlpConfig(),
    )


def _run(articles, config):
    """ExtractFromText on Beam: {table: rows} and the errors rows (collected through pickle files)."""
    folder = Path(tempfile.mkdtemp())

    def keep(name):
        def matcher(rows):
            (folder / name).write_bytes(pickle.dumps(list(rows)))

        return matcher

    with TestPipeline() as p:
        tables, errors = p | beam.Create(articles) | ExtractFromText(config)
        for name, pcoll in {**tables, "errors": errors}.items():
            assert_that(pcoll, keep(name), label=f"collect_{name}")
    return {name.name: pickle.loads(name.read_bytes()) for name in folder.iterdir()}


def test_runs_in_one_process_share_the_loaded_model_and_each_model_has_its_own():
    """Each run builds its own SpacyFn, which Beam ships pickled; a run after another in the same
    process (in-process runs) gets the model the first one loaded, and a second model is loaded
    beside it, not in its place."""
    from cloudpickle import dumps, loads

    from newsbeam.transforms.extract import SpacyFn

    config = NlpConfig()
    first, second = (loads(dumps(SpacyFn(config, DEFAULT_MODEL))) for _ in range(2))
    first.setup()
    second.setup()
    assert second._model is first._model and first._model.nlp.pipe_names
    other = loads(dumps(SpacyFn(config, "xx_not_a_model")))
    assert other._shared._key != first._shared._key  # its own handle: loading it replaces nothing


def test_languages_without_a_model_get_a_note_and_keywords_but_no_entities():
    english = (
        "Angela Merkel met Emmanuel Macron in Berlin on Monday to discuss the budget of the European Union."
    )
    german = "Angela Merkel traf Emmanuel Macron am Montag in Berlin, um über den Haushalt der Europäischen Union zu sprechen."
    articles = [_article("en", english, "en"), _article("de", german, "de"), _article("xx", "1 2 3", None)]
    assert [a["nlp_model"] for a in articles] == [DEFAULT_MODEL, None, None]
    assert "no spaCy model for language 'de'" in articles[1]["nlp_note"]
    assert "language unknown" in articles[2]["nlp_note"]
    out = _run(articles, NlpConfig())
    assert {(r["article_id"], r["entity"], r["label"]) for r in out["entities"]} >= {
        ("en", "Angela Merkel", "PERSON"), ("en", "Emmanuel Macron", "PERSON"), ("en", "Berlin", "GPE"),
    }  # fmt: skip
    assert {r["article_id"] for r in out["entities"]} == {"en"}
    assert {r["country_code"] for r in out["places"]} == {"DE"}
    assert {r["article_id"] for r in out["keywords"]} == {"en", "de"}
    assert out["errors"] == []


def test_the_time_budget_skips_the_remaining_extractors_and_says_so():
    text = "“We will rebuild the bridge by spring,” said Mayor Anna Berg of Bristol, where 40 homes flooded."
    out = _run([_article("a", text, "en")], NlpConfig(time_budget=0.0))
    assert out["entities"]  # spaCy's own output is kept
    assert out["places"] == out["quotes"] == out["counts"] == []
    ((error,),) = [out["errors"]]
    assert (error["stage"], error["kind"], error["article_id"]) == ("extract", "time_budget", "a")
    assert "places and later tables skipped" in error["message"]


def test_spacy_batches_are_bounded_by_characters_as_well_as_articles():
    sizes = [300, 300, 300, 900, 100, 100, 100, 100, 100, 5_000]  # the last is cut to max_chars
    articles = [{"text": "x" * n, "article_id": str(i)} for i, n in enumerate(sizes)]
    config = NlpConfig(batch_size=4, batch_chars=700, max_chars=1_000)

    def check(batches):
        weights = [sum(min(len(a["text"]), config.max_chars) for a in batch) for batch in batches]
        assert sorted(a["article_id"] for b in batches for a in b) == sorted(
            a["article_id"] for a in articles
        )
        for batch, weight in zip(batches, weights, strict=True):
            assert len(batch) <= config.batch_size
            assert weight <= config.batch_chars or len(batch) == 1, (len(batch), weight)
        assert max(weights) == 1_000  # the long article goes alone, counted at its cap

    with TestPipeline() as p:
        batched = p | beam.Create(articles, reshuffle=False) | spacy_batches(config)
        assert_that(batched, check)


def test_spacy_batches_are_filled_to_their_bounds_from_the_first():
    # One bundle in order: the batches are the plain loop's, greedy from the first article, not
    # Beam's adaptive sizes, which start at one article and grow with the batches' timings.
    sizes = [300, 300, 300, 900, 100, 100, 100, 100, 100, 5_000]
    articles = [{"text": "x" * n, "article_id": str(i)} for i, n in enumerate(sizes)]
    config = NlpConfig(batch_size=4, batch_chars=700, max_chars=1_000)

    def check(batches):
        assert sorted([a["article_id"] for a in batch] for batch in batches) == sorted(
            [["0", "1"], ["2"], ["3"], ["4", "5", "6", "7"], ["8"], ["9"]]
        )

    with TestPipeline() as p:
        batched = p | beam.Create(articles, reshuffle=False) | spacy_batches(config)
        assert_that(batched, check)


def test_text_past_the_cap_is_not_sent_to_the_model():
    text = "Angela Merkel spoke in Berlin. " + "Filler words here. " * 200 + "Barack Obama spoke in Chicago."
    out = _run([_article("a", text, "en")], NlpConfig(max_chars=100))
    assert {r["text"] for r in out["entities"]} == {"Angela Merkel", "Berlin"}
