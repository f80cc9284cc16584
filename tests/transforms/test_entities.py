"""spaCy entities: the seed story's people and places, offsets, and the Beam transform."""

import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.entities import DEFAULT_MODEL, ExtractEntities, entity_rows, load_model
from transforms.parse import article_from_record
from transforms.read import InputRecord


@pytest.fixture(scope="module")
def nlp():
    return load_model(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def seed_rows(nlp, seed_text):
    article = article_from_record(InputRecord("seed.txt", "text", "file:///seed.txt", text=seed_text))
    return article["text"], entity_rows(nlp(article["text"]), "seed", None, "m")


def test_seed_story_people_and_places(seed_rows):
    _, rows = seed_rows
    people = {r["text"] for r in rows if r["label"] == "PERSON"}
    places = {r["text"] for r in rows if r["label"] in ("GPE", "LOC")}
    assert {"Vladimir Putin", "David Cameron", "Francois Hollande"} <= people
    assert {"Paris", "Syria", "Raqqa"} <= places


def test_offsets_point_into_the_body_and_sentences_increase(seed_rows):
    text, rows = seed_rows
    assert rows and all(text[r["start_char"] : r["end_char"]] == r["text"] for r in rows)
    assert [r["mention_index"] for r in rows] == list(range(len(rows)))
    sentences = [r["sentence_index"] for r in rows]
    assert sentences == sorted(sentences) and sentences[-1] > 20
    assert "Akismet" not in {r["text"] for r in rows}


def _article(article_id, text, language):
    return {
        "article_id": article_id,
        "published_date": dt.date(2015, 11, 17),
        "input_ref": article_id,
        "text": text,
        "language": language,
    }


def test_extract_entities_runs_the_model_on_english_and_unknown_only():
    articles = [
        _article("en", "Angela Merkel met Emmanuel Macron in Berlin on Monday.", "en"),
        _article("unknown", "Barack Obama visited Kenya.", None),
        _article("de", "Angela Merkel traf Emmanuel Macron in Berlin.", "de"),
    ]
    with TestPipeline() as p:
        entities, errors = p | beam.Create(articles) | ExtractEntities(batch_size=2)
        assert_that(
            entities | beam.Map(lambda r: (r["article_id"], r["text"], r["label"], r["published_date"])),
            equal_to(
                [
                    ("en", "Angela Merkel", "PERSON", dt.date(2015, 11, 17)),
                    ("en", "Emmanuel Macron", "PERSON", dt.date(2015, 11, 17)),
                    ("en", "Berlin", "GPE", dt.date(2015, 11, 17)),
                    ("en", "Monday", "DATE", dt.date(2015, 11, 17)),
                    ("unknown", "Barack Obama", "PERSON", dt.date(2015, 11, 17)),
                    ("unknown", "Kenya", "GPE", dt.date(2015, 11, 17)),
                ]
            ),
            label="entities",
        )
        assert_that(errors, equal_to([]), label="errors")
