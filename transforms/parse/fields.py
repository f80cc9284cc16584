"""Pick each article field from the best evidence a page offers, and say which source won.

The evidence comes from the page's structured data (``structured.py``) and from two
extractors, newspaper4k and trafilatura. The order per field was chosen by measurement on three
quarters of the fundus corpus (the last quarter held out); docs/quality.md shows the figures.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import urllib.parse
from typing import Optional

# ---------------------------------------------------------------- titles

#: What sits between a headline and a site name in <title> and og:title.
TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:·•»«/~]|::|ㅣ)\s+|\s*[|ㅣ]\s*|\s+[-–—]{1,2}\s*$|--")


_GERMANIC = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"})


def fold(text: str) -> str:
    """Letters and digits only, case-folded, umlauts spelt out as hosts spell them: how site
    names are compared ("Börsen-Zeitung" ~ boersen-zeitung.de)."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_GERMANIC)
    return "".join(c for c in text if c.isalnum())


_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gob", "nic"}


#: Words a site's name has at most ("Die Neue Südtiroler Tageszeitung", "The Times of India").
MAX_SITE_NAME_WORDS = 6


def site_names(candidates: list[str], url: Optional[str]) -> set[str]:
    """The page's own names for its site: og:site_name, publisher, app name, and the host's name."""
    # A "site name" of many words is a headline some extractor took for one (trafilatura reads
    # the whole <title> when a page names no site): it would strip the headline itself.
    names = {fold(c) for c in candidates if c and fold(c) and len(c.split()) <= MAX_SITE_NAME_WORDS}
    host = (urllib.parse.urlsplit(url).hostname or "") if url else ""
    labels = [p for p in host.split(".") if p not in ("www", "m", "amp", "edition", "news")]
    # chunichi.co.jp, news.com.au: the name sits before a second-level label such as co or com.
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL:
        labels = labels[:-1]
    if len(labels) >= 2:
        names.add(fold(labels[-2]))
        names.add(fold(".".join(labels[-2:])))
    return {n for n in names if len(n) >= 2}


def is_site_name(segment: str, names: set[str]) -> bool:
    """``segment`` is one of the site's own names ("Reuters", "BBC News", "spiegel.de")."""
    folded = fold(segment)
    if not folded:
        return False
    for name in names:
        if folded == name or (len(folded) >= 3 and (name.startswith(folded) or folded.startswith(name))):
            return True
        if len(name) >= 6 and folded.endswith(name) and len(folded) <= 3 * len(name):
            return True  # "Die Neue Südtiroler Tageszeitung" on tageszeitung.it
    return False


def strip_site_name(title: str, names: set[str]) -> str:
    """Drop a leading or trailing site name ("... | Reuters", "BBC News - ...") and whatever
    follows a trailing one (a section or a date), when it is one of the page's own site names."""
    title = " ".join(title.split())
    pieces = TITLE_SEPARATORS.split(title)
    if len(pieces) < 2:
        return title
    spans, start = [], 0
    for match in TITLE_SEPARATORS.finditer(title):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(title)))
    # Trailing: the first segment (after the first) that is a site name cuts the rest.
    for index in range(1, len(spans)):
        if is_site_name(title[spans[index][0] : spans[index][1]], names):
            return title[: spans[index - 1][1]].strip()
    # Leading: "Site - headline".
    if is_site_name(title[spans[0][0] : spans[0][1]], names):
        return title[spans[1][0] :].strip()
    return title


def normalise_title(title: Optional[str]) -> str:
    """How titles are compared with each other: NFKC, case-folded, quotes and spaces unified."""
    text = unicodedata.normalize("NFKC", title or "").casefold()
    text = re.sub("['’‘‚`\"“”„«»]", '"', text).replace("\xad", "")
    return " ".join(text.split()).strip(" .:!?")


def choose_title(
    candidates: list[tuple[str, Optional[str]]], names: set[str]
) -> tuple[Optional[str], Optional[str]]:
    """The first source that has a title, with the page's own site name stripped.

    Sources are tried in the order given. Voting between them was measured and lost: when
    json-ld and og:title disagree, one of them carries an SEO variant of the headline, and the
    other sources (h1, twitter:title) side with either about as often.
    """
    for source, value in candidates:
        if value and value.strip():
            stripped = strip_site_name(value, names)
            if stripped:
                return stripped, source
    return None, None


#: Two headlines agree when this share of their words is shared (Dice over word sets): the
#: visible one and an SEO variant of it ("... | Site", a truncated "...", a year added) do.
MIN_AGREEMENT = 0.5


def agreement(one: str, other: str) -> float:
    """Dice coefficient of the two headlines' sets of case-folded words."""
    mine, theirs = set(_WORD.findall(one.casefold())), set(_WORD.findall(other.casefold()))
    return 2 * len(mine & theirs) / (len(mine) + len(theirs)) if mine or theirs else 0.0


def more_than_a_label(text: str) -> bool:
    """A headline, not a section, site or button label ("Football", "Log In", "기사 상세"): twelve
    characters or more, in two words or more unless its script is written without spaces."""
    return len(text) >= 12 and (len(text.split()) >= 2 or not text.isascii())


def choose_headline(headings: list, declared: list[str], names: set[str]) -> Optional[str]:
    """The headline the page shows its reader, from its visible ``<h1>``s (``structured.Heading``).

    Site furniture (``<nav>``, ``<aside>``, ``<footer>`` outside the story) and the site's own
    name are passed over. Among the rest, the heading that agrees best with a declared headline
    (JSON-LD, og:title, twitter:title, ``<title>``) wins: it tells the story's headline from a
    "Log In", a newsletter box or an author's name set as an ``<h1>``. When none agrees (the
    declared ones are SEO variants), the first heading that is more than a label wins, in the
    story's part of the page (``<article>``, ``<main>``) when a heading stands there; None when there
    is none, and the declared headlines are used. The winner is written as
    :func:`as_declared` says.
    """
    usable = [h for h in headings if not h.in_chrome and not is_site_name(h.text, names)]
    scored = [
        (max((agreement(text, d) for d in declared if d for text in (h.text, h.full)), default=0.0), h)
        for h in usable
    ]
    best = max((score for score, _ in scored), default=0.0)
    if best >= MIN_AGREEMENT:
        chosen = next(h for score, h in scored if score == best)
    else:  # in the story's part when the page marks one, where a "Log In" or "Artikel merken" is not
        marked = any(h.in_content for h in headings)
        chosen = next((h for h in usable if more_than_a_label(h.text) and (h.in_content or not marked)), None)
    return as_declared(chosen, declared, names) if chosen else None


def as_declared(heading, declared: list[str], names: set[str]) -> str:
    """The heading as the page's declared headline spells it, when that says the same words: the
    kicker kept when the publisher declares "Kicker: Headline" and shows the kicker beside the
    ``<h1>`` ("<div>Nach Gaetz-Rückzug</div><h1>Trump-Anwältin ...</h1>"), and the declared
    punctuation where the ``<h1>`` loses it across its spans ("drauf : Stadt", "Flut Zwei").
    Else the heading's own text, less a kicker set inside it."""
    text, full = fold(heading.text), fold(heading.full)
    for value in declared:
        stripped = strip_site_name(value, names) if value else ""
        folded = fold(stripped)
        if not folded or stripped.endswith(("...", "…")):  # cut short: the same words, fewer of them
            continue
        if folded in (text, full):
            return stripped
        if len(text) >= 12 and folded.endswith(text) and folded[: -len(text)] in heading.near:
            return stripped
    return heading.text


# ---------------------------------------------------------------- dates


def parse_when(value) -> Optional[dt.datetime]:
    """A date or datetime string (ISO 8601, RFC 822, ...) as an aware datetime, keeping its offset.

    A value without a zone stays naive (the caller reads it as UTC but records no zone).
    """
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    from dateutil import parser as dateparser

    try:
        parsed = dateparser.parse(value.strip())
    except (ValueError, OverflowError, TypeError):
        return None
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed


#: Zone names pages print beside a time ("Dec. 21, 2023 11:00 pm EST"), as UTC offsets in hours.
ZONE_NAMES = {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "GMT": 0, "BST": 1, "CET": 1, "CEST": 2, "MEZ": 1, "MESZ": 2, "EET": 2, "EEST": 3,
    "AEST": 10, "AEDT": 11, "ACST": 9.5, "ACDT": 10.5, "AWST": 8, "NZST": 12, "NZDT": 13, "IST": 5.5,
}  # fmt: skip
_ZONES = {name: int(hours * 3600) for name, hours in ZONE_NAMES.items()}


def with_page_zone(when: Optional[dt.datetime], times: list[str]) -> Optional[dt.datetime]:
    """``when`` in the zone the page shows it in, when it came in UTC and a ``<time>`` of the page
    names the same instant in its local zone: "2023-12-22T18:30Z" beside <time
    datetime="2023-12-23T05:30+11:00">, or beside a naive "2023-12-22 20:48:19" five hours off,
    or a printed "Dec. 21, 2023 11:00 pm EST". The instant never changes, only the offset, and
    so the calendar day the story was published on where it was published."""
    if when is None or when.tzinfo is None or when.utcoffset():
        return when
    from dateutil import parser as dateparser

    for value in times:
        try:
            local = dateparser.parse(value, tzinfos=_ZONES)
        except (ValueError, OverflowError, TypeError):
            continue
        if local.tzinfo is None:  # a naive local time: its distance from UTC is the offset
            gap = local - when.replace(tzinfo=None)
            if gap and abs(gap) <= dt.timedelta(hours=14) and gap.total_seconds() % 900 == 0:
                return when.astimezone(dt.timezone(gap))
        elif local.utcoffset() and abs((local - when).total_seconds()) < 60:
            return when.astimezone(local.tzinfo)
    return when


#: No story we read was published before this: a date earlier than that ("0001-01-01", a
#: template's zero date) is a placeholder, not a publication date.
EARLIEST_PUBLISHED = dt.datetime(1700, 1, 1, tzinfo=dt.timezone.utc)


def plausible_published(when: dt.datetime, not_after: dt.datetime) -> bool:
    """A publication date is not before EARLIEST_PUBLISHED nor in the future of ``not_after``
    (capture or fetch time), with a day's grace for zones."""
    limit = not_after + dt.timedelta(days=1) if not_after.year < dt.MAXYEAR else not_after
    return EARLIEST_PUBLISHED <= as_utc(when) <= as_utc(limit)


def choose_published(
    candidates: list[tuple[str, object]], not_after: dt.datetime
) -> tuple[Optional[dt.datetime], Optional[str]]:
    """The first candidate that parses and is :func:`plausible_published`; candidates are
    publication dates only, never modification dates."""
    for source, value in candidates:
        when = parse_when(value)
        if when is not None and plausible_published(when, not_after):
            return when, source
    return None, None


#: Characters that change how text is shown or matched but are not part of it: C0 controls
#: (NUL first) but tab and newlines, DEL, bidi embeddings, overrides and isolates (which can make
#: a title read backwards), zero-width space, word joiner, byte-order mark and soft hyphen.
#: Zero-width (non-)joiners and the LRM/RLM marks stay: Persian, Indic scripts and mixed
#: right-to-left text need them.
_INVISIBLE = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x00AD, 0x200B, 0x2060, 0xFEFF]
    + [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def visible(text: str) -> str:
    """``text`` without the invisible characters in ``_INVISIBLE``."""
    return text.translate(_INVISIBLE)


def as_utc(when: dt.datetime) -> dt.datetime:
    """An aware UTC datetime; a naive one is taken as UTC."""
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)


def utc_offset(when: Optional[dt.datetime]) -> Optional[str]:
    """The zone a page gave its date in, as "+02:00"; None when it gave none."""
    if when is None or when.tzinfo is None or when.utcoffset() is None:
        return None
    minutes = int(when.utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# ---------------------------------------------------------------- authors

#: A byline word before the names ("By", "Von", "Par"). "von", "de", "di" and "da" also begin
#: names ("von der Leyen", "De Gaulle"): see :func:`_without_byline`.
_BY = re.compile(r"^\s*(by|von|par|por|di|da|de|af|av|door|przez|od)(?:\s*(:)\s*|\s+)", re.IGNORECASE)
#: Byline words that are also name particles, and the languages whose bylines use them.
_BY_PARTICLES = {"von": {"de"}, "de": {"es", "pt", "fr", "ro", "ca"}, "di": {"it"}, "da": {"pt", "it"}}
_ROLE = re.compile(
    r"\b(?:staff(?:\s+(?:writer|reporter))?|reporter|correspondent|editor|redaktion|redakteur(?:in)?|red|"
    r"autor(?:in)?|author|journalist(?:in)?|contributor|columnist|photographer|fotograf(?:in)?|"
    r"news\s*desk|newsroom|agency|agencies|agenturen|developer|"
    r"redazione|r[ée]daction|redacci[óo]n|redactie|redakcja|sponsored|advertorial|chief|officer)\b",
    re.IGNORECASE,
)
#: "Capital Von Jemima Kelly", "Opinion by Jane Doe": the name follows the word.
_INNER_BY = re.compile(r"\b(by|von|par|por)\s+(?=\S)", re.IGNORECASE)
#: Always between names, whatever the language: comma, semicolon, slash, bar.
_SEPARATOR = re.compile(r"\s*[,;/|]\s*")
#: "and" and "&" join names on any page; these words only on a page in their language.
_CONJUNCTIONS = {
    "de": ("und",), "nl": ("en",), "af": ("en",), "fr": ("et",), "es": ("y", "e"), "it": ("e", "ed"),
    "pt": ("e",), "gl": ("e",), "ca": ("i",), "pl": ("i", "oraz"), "hr": ("i",), "bs": ("i",),
    "sr": ("i",), "sl": ("in",), "cs": ("a",), "sk": ("a",), "no": ("og",), "nb": ("og",),
    "nn": ("og",), "da": ("og",), "is": ("og",), "sv": ("och",), "fi": ("ja",), "et": ("ja",),
    "hu": ("és",), "ro": ("și", "şi"), "tr": ("ve",), "id": ("dan",), "ms": ("dan",),
    "lv": ("un",), "lt": ("ir",),
}  # fmt: skip
_EVERY_CONJUNCTION = {word for words in _CONJUNCTIONS.values() for word in words} | {"and"}
#: Lower-case words that belong to names: "Vincent van Gogh", "Omar bin Laden", "al-Fayed".
_PARTICLES = {
    "van", "von", "der", "den", "dem", "de", "del", "della", "des", "di", "da", "das", "do", "dos",
    "du", "le", "la", "les", "ter", "ten", "zu", "zur", "bin", "bint", "ibn", "ben", "abu", "al",
    "el", "mac", "af",
}  # fmt: skip
#: What follows a name and belongs to it: "King, Jr.", "Jane Doe, PhD".
_SUFFIX = re.compile(r"^(?:(?i:jr|sr|ph\.?\s?d|esq)\.?|II|III|IV)$")
#: An organisation's name after a person's: "John O'Connor The Associated Press".
_ORGANISATION = re.compile(r"(?:^|\s)(?=The\s+[A-Z])")
#: What a page prints after its byline: "Greg Potts Published 12 May", "Leon Hurley last updated".
_DATELINE = re.compile(r"\s+(?:published|updated|last\s+updated|posted)\b.*$", re.IGNORECASE)
#: Role words written after a name in Korean, Japanese and Chinese bylines ("신현주 기자",
#: "山田太郎記者"), and Korean "외 1명" ("and one other").
_CJK_ROLE = re.compile(
    r"\s*(?:기자|특파원|논설위원|선임기자|記者|特派員|编辑|編輯|责任编辑|責任編輯|记者)\s*$"
)
_CJK_OTHERS = re.compile(r"\s*외\s*\d+\s*명\s*$")
_EMAIL = re.compile(r"\S+@\S+\.\S+")
_HANDLE = re.compile(r"(?:^|\s)@\w+")
#: A link in a byline; taken out before "/" splits it into pieces that read as names.
_LINK = re.compile(r"\S*(?:https?://|www\.)\S*|\S+\.[a-z]{2,}/\S*", re.IGNORECASE)


def clean_authors(names: list[str], publisher_names: set[str], language: Optional[str] = None) -> list[str]:
    """People only: no "By", roles, emails, handles, "Staff" or the publisher; lists split
    (:func:`split_names`, which needs the page's ``language`` for its word for "and"); order kept,
    repeats dropped; non-Latin names left as they are."""
    language = re.split(r"[-_]", language.strip().lower())[0] if language else None
    people: list[str] = []
    seen = set()
    for raw in names:
        if not isinstance(raw, str) or _is_link(raw):
            continue
        text = _EMAIL.sub(" ", raw)
        text = _LINK.sub(" ", _HANDLE.sub(" ", text))
        text = re.sub(r"\(.*?\)", " ", text)  # "(dpa)", "(Reuters)"
        for part in split_names(_without_byline(text, language), language):
            part = _after_inner_byline(_without_byline(part, language))
            part = _DATELINE.sub("", " ".join(part.split())).strip(" -–—:·|")
            part = _CJK_ROLE.sub("", _CJK_OTHERS.sub("", part))
            if not part or "{{" in part or "{%" in part:  # an unfilled template: "{{ author_name }}"
                continue
            part = _before_role(part)
            if _ROLE.search(part) and len(part.split()) <= 3 and not _looks_like_name(_ROLE.sub("", part)):
                continue
            part = " ".join(_ROLE.sub("", part).split()).strip(" -–—:·|,")
            if not _could_be_name(part) or _reads_as_text(part):
                continue
            if _is_url_like(part) or is_site_name(part, publisher_names):
                continue
            if sum(c.isdigit() for c in part) > 0 or len(part) > 60:
                continue
            key = fold(part)
            if key and key not in seen:
                seen.add(key)
                people.append(part)
    return people


def split_names(text: str, language: Optional[str] = None) -> list[str]:
    """A byline's names, one each: split at commas, semicolons, slashes and bars, and at "and",
    "&" and the page's own word for "and" ("y" on a Spanish page, "og" on a Norwegian one).

    A suffix after a comma stays with its name ("King, Jr."); an organisation's name ("The ...")
    starts a new one. A conjunction splits only where every piece can be a name: never at an
    initial ("Colbert I. King"; single-letter words split only in lower case), nor where a piece
    would be a lone suffix or start with punctuation.
    """
    pieces: list[str] = []
    for piece in _SEPARATOR.split(text):
        if pieces and _SUFFIX.match(piece.strip()):
            pieces[-1] = f"{pieces[-1]}, {piece.strip()}"
        elif piece.strip():
            pieces.append(piece.strip())
    words = ("and",) + _CONJUNCTIONS.get(language or "", ())
    joined = "|".join(
        re.escape(w) if len(w) == 1 else f"(?i:{re.escape(w)})" for w in sorted(words, key=len, reverse=True)
    )
    conjunction = re.compile(rf"\s+(?:&|{joined})\s+")
    names: list[str] = []
    for piece in pieces:
        parts = [p.strip() for p in conjunction.split(piece)]
        # "The Worcester Telegram & Gazette" is one organisation's name, not two.
        if piece.startswith("The ") or not all(_could_be_name(p) and not _reads_as_text(p) for p in parts):
            parts = [piece]
        names.extend(named.strip() for part in parts for named in _ORGANISATION.split(part) if named.strip())
    return names


def _without_byline(text: str, language: Optional[str]) -> str:
    """``text`` less a leading byline word. "von", "de", "di" and "da" count as one only when
    they are not a particle of the name (:func:`_rest_of_name`), and, when the page's language is
    known, only in a language whose bylines use them ("Von Anna Fink" on a German page)."""
    match = _BY.match(text)
    if not match:
        return text
    word, rest = match.group(1).lower(), text[match.end() :]
    if word in _BY_PARTICLES and not match.group(2):
        if _rest_of_name(rest) or (language and language not in _BY_PARTICLES[word]):
            return text
    return rest


def _after_inner_byline(text: str) -> str:
    """The name after a byline word inside ``text`` ("Capital Von Jemima Kelly"), unless the word
    is a particle of the name ("Ludwig von Mises", "Ursula von der Leyen")."""
    for match in _INNER_BY.finditer(text):
        rest = text[match.end() :]
        if match.group(1).lower() == "von" and _rest_of_name(rest):
            continue
        return rest
    return text


def _rest_of_name(text: str) -> bool:
    """What follows "von", "de" ... is the rest of a name, not a name of its own: it starts with a
    particle ("der Leyen") or is one capitalised word ("Gaulle", "Mises"; an agency, "APA" or
    "dpa", is written in one case)."""
    words = text.split()
    if not words or words[0].lower() in _PARTICLES:
        return True
    return len(words) == 1 and words[0][:1].isupper() and not words[0].isupper()


def _before_role(text: str) -> str:
    """A name followed by a role and more ("Saima Sidik Author Saima Sidik is ..."): the name."""
    match = _ROLE.search(text)
    if match and len(text.split()) > 3:
        before = text[: match.start()].strip(" -–—:·|,")
        if _looks_like_name(before):
            return before
    return text


def _could_be_name(text: str) -> bool:
    """Starts with a letter and is more than an initial or a suffix (". King", "Jr.", "E.")."""
    text = text.strip()
    return bool(text) and text[0].isalpha() and not _SUFFIX.match(text) and not re.fullmatch(r"\w\.?", text)


def _reads_as_text(text: str) -> bool:
    """A phrase, not a name: a capitalised word and a lower-case word that is neither a name's
    particle nor a word for "and" ("Head of Reality Labs", "Jane Doe is a science journalist")."""
    words = [w for w in text.split() if w[:1].isalpha()]
    lower = [w for w in words if w.islower() and len(w) >= 2]
    return any(w[0].isupper() for w in words) and any(
        w not in _PARTICLES and w not in _EVERY_CONJUNCTION for w in lower
    )


def narrows(fewer: list[str], more: list[str]) -> bool:
    """``fewer`` names some but not all of ``more`` and nobody else: newspaper4k collects every
    byline on a page (related stories' too), so when trafilatura's narrower reading names only
    people newspaper4k also found, it is the story's own byline."""
    return bool(fewer) and len(fewer) < len(more) and {fold(a) for a in fewer} <= {fold(a) for a in more}


def _looks_like_name(text: str) -> bool:
    words = [w for w in text.split() if w]
    return len(words) >= 2 and all(w[0].isupper() for w in words if w[0].isalpha())


def _is_url_like(text: str) -> bool:
    return bool(re.search(r"https?://|www\.|\.(?:com|de|org|net|co\.uk)\b", text, re.IGNORECASE))


def _is_link(text: str) -> bool:
    """The whole value is a link ("https://paper.com/authors/jane"), not a byline naming one."""
    return _is_url_like(text) and len(text.split()) == 1


# ---------------------------------------------------------------- bodies

_WORD = re.compile(r"\w+")


def word_count(text: str) -> int:
    """Runs of letters and digits: how the body rules and the page's paragraphs are counted."""
    return len(_WORD.findall(text))


def cut_short(body: str, paragraph_words: int) -> bool:
    """``body`` holds less than half of the words of the page's paragraphs."""
    return word_count(body) < 0.5 * paragraph_words


def stopped_early(shorter: str, longer: str, paragraph_words: int) -> bool:
    """``shorter`` (trafilatura's body) ended early and ``longer`` (newspaper4k's) is the story.

    True when ``shorter`` holds less than half of the words of the page's paragraphs, ``longer``
    has at least 1.5 times its words, and nine tenths of ``shorter``'s word 4-grams are in
    ``longer``: the same story, read further. On fundus it is true for 2 of 258 pages.
    """
    few = _WORD.findall(shorter.casefold())
    if not few or not cut_short(shorter, paragraph_words):
        return False
    many = _WORD.findall(longer.casefold())
    if len(many) < 1.5 * len(few):
        return False
    grams = {tuple(few[i : i + 4]) for i in range(len(few) - 3)}
    found = {tuple(many[i : i + 4]) for i in range(len(many) - 3)}
    return bool(grams) and len(grams & found) >= 0.9 * len(grams)
