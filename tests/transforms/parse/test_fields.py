"""Field rules: site names off titles, dates never from the future, authors that are people."""

import datetime as dt

import pytest

from newsbeam.transforms.common.records import InputRecord
from newsbeam.transforms.parse.article import article_from_record
from newsbeam.transforms.parse.fields import (
    choose_published,
    choose_title,
    clean_authors,
    narrows,
    site_names,
    stopped_early,
    strip_site_name,
    utc_offset,
)

REUTERS = site_names(["Reuters"], "https://www.reuters.com/world/x")


@pytest.mark.parametrize(
    "title, names, expected",
    [
        ("France strikes Raqqa | Reuters", REUTERS, "France strikes Raqqa"),
        ("Reuters - France strikes Raqqa", REUTERS, "France strikes Raqqa"),
        (
            "Ukrainische Gegenoffensive: Ziele, Chancen | DW | 28.04.2023",
            site_names(["DW.COM"], "https://www.dw.com/de/x"),
            "Ukrainische Gegenoffensive: Ziele, Chancen",
        ),
        (
            "Steigende US-Zinsen setzen Dax zu | Börsen-Zeitung",
            site_names([], "https://www.boersen-zeitung.de/x"),
            "Steigende US-Zinsen setzen Dax zu",
        ),
        (
            "„Unermüdlicher Einsatz“ - Die Neue Südtiroler Tageszeitung",
            site_names([], "https://www.tageszeitung.it/x"),
            "„Unermüdlicher Einsatz“",
        ),
        # Not the site's name: a kicker or a subtitle stays.
        (
            "SVP-Sonderparteitag: Chiesa ruft zum Widerstand auf",
            site_names(["Tages-Anzeiger"], "https://www.tagesanzeiger.ch/x"),
            "SVP-Sonderparteitag: Chiesa ruft zum Widerstand auf",
        ),
        (
            "Mayor - a profile | The Sample Gazette",
            site_names(["The Sample Gazette"], None),
            "Mayor - a profile",
        ),
        ("Reuters", REUTERS, "Reuters"),
    ],
)
def test_strip_site_name(title, names, expected):
    assert strip_site_name(title, names) == expected


def test_choose_title_takes_the_first_source_with_a_title():
    candidates = [("json-ld", None), ("meta:og:title", "Headline | Reuters"), ("newspaper4k", "Other")]
    assert choose_title(candidates, REUTERS) == ("Headline", "meta:og:title")
    assert choose_title([("json-ld", "  ")], REUTERS) == (None, None)


CAPTURED = dt.datetime(2024, 5, 3, 18, 0, tzinfo=dt.timezone.utc)


def test_a_date_in_the_future_of_the_capture_is_skipped():
    candidates = [("json-ld", "2031-01-01T00:00:00Z"), ("meta:date", "2024-05-03T15:47:42+02:00")]
    when, source = choose_published(candidates, CAPTURED)
    assert source == "meta:date" and when == dt.datetime(2024, 5, 3, 13, 47, 42, tzinfo=dt.timezone.utc)
    assert utc_offset(when) == "+02:00"


@pytest.mark.parametrize(
    "value, offset",
    [
        ("2024-05-03", None),
        ("2024-05-03T10:00:00", None),
        ("Fri, 03 May 2024 10:00:00 -0500", "-05:00"),
        (dt.datetime(2024, 5, 3, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))), "+05:30"),
    ],
)
def test_dates_keep_the_zone_they_were_given_in(value, offset):
    when, _ = choose_published([("x", value)], CAPTURED)
    assert utc_offset(when) == offset


def test_unparseable_and_absurd_dates_are_skipped():
    assert choose_published([("a", "yesterday-ish"), ("b", "0001-01-01"), ("c", None)], CAPTURED) == (
        None,
        None,
    )


@pytest.mark.parametrize(
    "raw, expected",
    [
        (["By Jane Doe and John Roe"], ["Jane Doe", "John Roe"]),
        (["Birgit Baumann, Jan Michael Marchart"], ["Birgit Baumann", "Jan Michael Marchart"]),
        (["Von Anna Fink, Max Muster"], ["Anna Fink", "Max Muster"]),  # "und" needs the language
        (["Jane Doe (dpa)"], ["Jane Doe"]),
        (["jane.doe@paper.com", "Jane Doe", "@janedoe"], ["Jane Doe"]),
        (["Staff Reporter"], []),
        (["Reuters"], []),  # the publisher is not an author
        (["Jane Doe", "jane doe"], ["Jane Doe"]),
        (["渡辺洋介"], ["渡辺洋介"]),  # non-Latin names intact
        (["https://paper.com/authors/jane"], []),
        (["신현주 기자"], ["신현주"]),  # Korean "reporter" after the name
        (["박준석 기자 외 1명"], ["박준석"]),  # "and one other"
        (["山田太郎 記者"], ["山田太郎"]),
    ],
)
def test_clean_authors(raw, expected):
    assert clean_authors(raw, REUTERS) == expected


@pytest.mark.parametrize(
    "fewer, more, expected",
    [
        (["Madeleine Howell"], ["Rebecca Astill", "Jack Rear", "Madeleine Howell"], True),
        (["madeleine howell"], ["Jack Rear", "Madeleine Howell"], True),  # compared folded
        (["Ann Lee"], ["Jack Rear", "Madeleine Howell"], False),  # someone else: no evidence
        (["Jack Rear", "Ann Lee"], ["Jack Rear", "Madeleine Howell", "Bo Li"], False),
        (["Jack Rear"], ["Jack Rear"], False),  # the same reading
        ([], ["Jack Rear", "Bo Li"], False),
    ],
)
def test_a_narrower_byline_that_names_only_people_found_wins(fewer, more, expected):
    assert narrows(fewer, more) is expected


STORY = " ".join(f"Sentence {i} of the story tells what happened next in town." for i in range(40))


def test_a_body_that_stopped_early_gives_way_to_the_longer_reading_of_the_same_story():
    start = STORY[: len(STORY) // 3]
    words = len(STORY.split())
    assert stopped_early(start, STORY, paragraph_words=words)
    # trafilatura holding most of the page's paragraph text did not stop early
    assert not stopped_early(start, STORY, paragraph_words=len(start.split()))
    # a longer reading of something else is not the same story read further
    other = " ".join(f"Item {i}: a list of links and menus elsewhere on the page." for i in range(60))
    assert not stopped_early(start, other, paragraph_words=words)
    # a reading that is longer, but not by half, is not evidence either
    assert not stopped_early(start, start + " One more line.", paragraph_words=words)


@pytest.mark.parametrize(
    "raw, language, expected",
    [
        # A capital and a period is an initial, not the word for "and" in another language.
        ("Colbert I. King", "en", ["Colbert I. King"]),
        ("Colbert I. King", None, ["Colbert I. King"]),
        ("Colbert I. King", "ca", ["Colbert I. King"]),
        ("Robert E. Lee", "en", ["Robert E. Lee"]),
        ("Robert E. Lee", None, ["Robert E. Lee"]),
        ("Robert E. Lee", "it", ["Robert E. Lee"]),
        ("Jane Y. Doe", "en", ["Jane Y. Doe"]),
        ("Jane Y. Doe", None, ["Jane Y. Doe"]),
        ("Jane Y. Doe", "es", ["Jane Y. Doe"]),
        # A conjunction splits names on a page in its own language only; "and" on any page.
        ("Ana García y Pedro López", "es", ["Ana García", "Pedro López"]),
        ("Ana García y Pedro López", "en", ["Ana García y Pedro López"]),
        ("Ana y Pedro", "es", ["Ana", "Pedro"]),
        ("Ola Nordmann og Kari Hansen", "no", ["Ola Nordmann", "Kari Hansen"]),
        ("Ola Nordmann og Kari Hansen", "en", ["Ola Nordmann og Kari Hansen"]),
        ("Jean Dupont et Marie Curie", "fr", ["Jean Dupont", "Marie Curie"]),
        ("Von Anna Fink und Max Muster", "de", ["Anna Fink", "Max Muster"]),
        ("Jan Kowalski i Anna Nowak", "pl", ["Jan Kowalski", "Anna Nowak"]),
        ("By Jane Doe and John Smith", "en", ["Jane Doe", "John Smith"]),
        ("By Jane Doe and John Smith", None, ["Jane Doe", "John Smith"]),
        ("JOHN SMITH and ANN LEE", "en", ["JOHN SMITH", "ANN LEE"]),
        # Particles, suffixes and capitals belong to the name.
        ("Ursula von der Leyen", "de", ["Ursula von der Leyen"]),
        ("Ludwig von Mises", None, ["Ludwig von Mises"]),
        ("Charles de Gaulle", "fr", ["Charles de Gaulle"]),
        ("Vincent van Gogh", "nl", ["Vincent van Gogh"]),
        ("Omar bin Laden", "en", ["Omar bin Laden"]),
        ("Mohammed al-Fayed", "en", ["Mohammed al-Fayed"]),
        ("Martin Luther King Jr.", "en", ["Martin Luther King Jr."]),
        ("Martin Luther King, Jr.", "en", ["Martin Luther King, Jr."]),
        ("John Smith III", "en", ["John Smith III"]),
        ("JANE DOE", "en", ["JANE DOE"]),
        # A byline word before a name, not a particle of it.
        ("Kommentar von Anna Fink", "de", ["Anna Fink"]),
        ("von APA", "de", ["APA"]),
        # A title, a label, a date or an organisation after a name is not a second person.
        ("Andrew Bosworth, Chief Technology Officer and Head of Reality Labs", "en", ["Andrew Bosworth"]),
        ("Daniel Tannenbaum | Sponsored", "en", ["Daniel Tannenbaum"]),
        ("Greg Potts Published", "en", ["Greg Potts"]),
        ("Leon Hurley last updated", "en", ["Leon Hurley"]),
        ("John O'Connor The Associated Press", "en", ["John O'Connor", "The Associated Press"]),
        ("Jeremy Schneider | NJ Advance Media For NJ.com", "en", ["Jeremy Schneider"]),
        ("{{ article.author_name }}", None, []),
        ("TC Redazione", "it", []),
    ],
)
def test_clean_authors_splits_names_where_the_page_language_says_and(raw, language, expected):
    assert clean_authors([raw], REUTERS, language=language) == expected


def test_an_organisation_with_an_ampersand_is_one_name_and_the_publisher():
    telegram = site_names(["Telegram & Gazette"], "https://eu.telegram.com/story/x")
    assert clean_authors([", The Worcester Telegram & Gazette"], telegram, language="en") == []


def test_a_middle_initial_in_json_ld_keeps_the_author_whole():
    story = "<p>" + "The prayer was said in Bethlehem on Sunday, far from the war in Gaza. " * 6 + "</p>"
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "A Christmas prayer",'
        ' "author": {"@type": "Person", "name": "Colbert I. King"}}</script>'
    )
    html = f"<html lang='en'><head>{head}</head><body><article><h1>A Christmas prayer</h1>{story}</article></body></html>"
    article = article_from_record(InputRecord("p", "html", "https://post.example/opinions/prayer", html=html))
    assert (article["authors"], article["authors_source"]) == (["Colbert I. King"], "json-ld")


def test_a_site_name_of_many_words_is_a_headline_and_not_stripped():
    from newsbeam.transforms.parse.fields import site_names, strip_site_name

    # trafilatura reads the whole <title> as the site name when the page names none.
    names = site_names(
        ["Nationale Demo Der 9. Juli naht: OGBL und LCGB demonstrieren - Tageblatt.lu"],
        "https://www.tageblatt.lu/a",
    )
    assert names == {"tageblatt", "tageblattlu"}
    assert strip_site_name("Der 9. Juli naht: OGBL und LCGB demonstrieren | Tageblatt", names) == (
        "Der 9. Juli naht: OGBL und LCGB demonstrieren"
    )
