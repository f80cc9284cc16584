"""tone: VADER sentence by sentence on English, None for languages its lexicon does not cover."""

import pytest

from newsbeam.transforms.parse.tone import MAX_WORDS, sentences, tone

POSITIVE = (
    "What a wonderful day for the town! The new park is beautiful, and families love it. "
    "Volunteers were praised for their generous, excellent work."
)
NEGATIVE = (
    "The attack killed twelve people and injured dozens. Survivors described scenes of horror and "
    "panic. Officials condemned the brutal violence."
)
NEUTRAL = (
    "The council will meet on Tuesday in the town hall. The agenda has three items: the budget, the "
    "bus timetable and the new library. The meeting starts at 10 a.m."
)


def test_positive_paragraph():
    scores = tone(POSITIVE, "en")
    assert scores["polarity"] > 0.5
    assert scores["positive"] == 1.0
    assert scores["negative"] == 0.0


def test_negative_paragraph():
    scores = tone(NEGATIVE, "en")
    assert scores["polarity"] < -0.5
    assert scores["negative"] == 1.0
    assert scores["positive"] == 0.0


def test_neutral_text_is_near_zero():
    scores = tone(NEUTRAL, "en")
    assert abs(scores["polarity"]) < 0.1
    assert scores["positive"] < 0.34 and scores["negative"] < 0.34


def test_shares_count_sentences():
    scores = tone("The results were great. The losses were terrible. The report has ten pages.", "en")
    assert scores["positive"] == pytest.approx(1 / 3)
    assert scores["negative"] == pytest.approx(1 / 3)


def test_polarity_is_the_mean_over_sentences():
    mixed = tone(POSITIVE + "\n\n" + NEGATIVE, "en")
    assert mixed["polarity"] == pytest.approx(
        (tone(POSITIVE, "en")["polarity"] + tone(NEGATIVE, "en")["polarity"]) / 2
    )
    assert mixed["positive"] == mixed["negative"] == 0.5


def test_negation_flips_a_sentence():
    assert tone("The plan is good.", "en")["polarity"] > 0
    assert tone("The plan is not good.", "en")["polarity"] < 0


@pytest.mark.parametrize("language", ["de", "fr", "ja", None, ""])
def test_none_for_languages_the_lexicon_does_not_cover(language):
    assert tone(POSITIVE, language) is None


def test_german_text_is_not_scored():
    assert tone("Was für ein wunderbarer Tag! Der neue Park ist wunderschön.", "de") is None


def test_regional_english_tags_are_english():
    assert tone(POSITIVE, "en-GB") == tone(POSITIVE, "en")


@pytest.mark.parametrize("text", ["", "  \n\n  "])
def test_none_for_a_text_without_words(text):
    assert tone(text, "en") is None


def test_numbers_only_score_zero():
    assert tone("2024 12 345 6.7", "en") == {"positive": 0.0, "negative": 0.0, "polarity": 0.0}


def test_bounds_on_a_long_article():
    scores = tone((POSITIVE + "\n" + NEGATIVE + "\n" + NEUTRAL + "\n") * 200, "en")
    assert 0 <= scores["positive"] <= 1 and 0 <= scores["negative"] <= 1
    assert scores["positive"] + scores["negative"] <= 1
    assert -1 <= scores["polarity"] <= 1


def test_sentences_split_at_ends_and_lines():
    text = 'He said: "It works." Then he left!\nA new line? Yes… Done'
    assert sentences(text) == ['He said: "It works."', "Then he left!", "A new line?", "Yes…", "Done"]


def test_long_sentences_are_scored_in_pieces():
    """VADER's checks grow with the square of a sentence's words: no piece is longer than MAX_WORDS."""
    pieces = sentences(" ".join(["word"] * (2 * MAX_WORDS + 5)))
    assert [len(piece.split()) for piece in pieces] == [MAX_WORDS, MAX_WORDS, 5]
