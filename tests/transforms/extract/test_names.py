"""One name per entity within an article."""

import pytest

from newsbeam.transforms.extract.names import clean_name, normalise_names, salience


@pytest.mark.parametrize(
    "text, label, expected",
    [
        ("the European Union", "ORG", "European Union"),
        ("Syria's", "GPE", "Syria"),
        ("Mr. Cameron", "PERSON", "Cameron"),
        ("President Vladimir Putin", "PERSON", "Vladimir Putin"),
        ("Frenchman Salah Abdeslam", "PERSON", "Salah Abdeslam"),
        ("President Obama", "PERSON", "President Obama"),  # one word after a role: kept as written
        ("François  Hollande", "PERSON", "François Hollande"),
    ],
)
def test_clean_name(text, label, expected):
    assert clean_name(text, label) == expected


def test_short_names_take_the_full_name_named_in_the_article_and_aliases_resolve():
    mentions = [
        ("Vladimir Putin", "PERSON"), ("U.S.", "GPE"), ("Putin", "PERSON"), ("Le Drian", "PERSON"),
        ("Jean-Yves Le Drian", "PERSON"), ("Britain", "GPE"), ("Kerry", "PERSON"), ("Vladimir", "PERSON"),
    ]  # fmt: skip
    assert normalise_names(mentions) == [
        "Vladimir Putin", "United States", "Vladimir Putin", "Jean-Yves Le Drian",
        "Jean-Yves Le Drian", "United Kingdom", "Kerry", "Vladimir Putin",
    ]  # fmt: skip


def test_salience_counts_mentions_of_one_entity_and_its_first_offset():
    mentions = [("Vladimir Putin", "PERSON"), ("Russia", "GPE"), ("Putin", "PERSON")]
    names = normalise_names(mentions)
    assert salience(mentions, [0, 30, 80], names) == [(2, 0), (1, 30), (2, 0)]
