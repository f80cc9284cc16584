"""One name per entity within an article: "Putin" is "Vladimir Putin", "U.S." is "United States".

Rules, in order, for each mention of a parsed spaCy Doc:

1. Clean the surface form: Unicode NFKC, whitespace collapsed, a leading "the" and a trailing
   possessive ("'s", "’s") dropped, and for people a leading honorific ("Mr.", "Dr.", "Sir") too.
2. Aliases: a short fixed table of abbreviations and variants newswire uses for countries and
   international bodies ("U.S.", "UK", "Britain", "U.N.", "EU", "Isil") gives the full name.
3. People: a mention that is a later part of a longer name in the same article ("Putin",
   "Le Drian", "Mr Cameron") takes that longer name, the one named first in the article when
   there are several (two Kerrys stay apart only if their full names differ and the short one
   follows the other). A name never seen in full stays as written.

Mentions are grouped by (name, kind), where kind is "person" for PERSON and the label otherwise;
per group the article gets a mention count and the offset of its first mention (salience).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

#: Newswire abbreviations and variants → the name the entity is known by.
ALIASES = {
    "us": "United States", "u.s": "United States", "u.s.a": "United States", "usa": "United States",
    "united states of america": "United States", "america": "United States",
    "uk": "United Kingdom", "u.k": "United Kingdom", "britain": "United Kingdom",
    "great britain": "United Kingdom",
    "un": "United Nations", "u.n": "United Nations",
    "eu": "European Union", "e.u": "European Union",
    "isil": "Islamic State", "isis": "Islamic State", "daesh": "Islamic State", "is": "Islamic State",
    "nato": "NATO", "uae": "United Arab Emirates", "drc": "Democratic Republic of the Congo",
}  # fmt: skip
HONORIFICS = re.compile(
    r"^(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|lord|lady|rev|fr|sen|rep|gov|gen|col|capt|sgt)\.?\s+", re.I
)
#: Titles and roles the small English model often takes into a PERSON span ("President Vladimir
#: Putin", "Frenchman Salah Abdeslam"); dropped when a name of two or more words follows.
ROLES = re.compile(
    r"^(?:(?:president|vice|prime|minister|chancellor|senator|governor|general|secretary|king|queen|pope|"
    r"prince|princess|judge|justice|mayor|spokesman|spokeswoman|chairman|chairwoman|ceo|coach|"
    r"councillor|councilman|councilwoman|commissioner|inspector|detective|professor|"
    r"\w+(?:man|woman))\s+)+(?=\S+\s+\S+)",
    re.I,
)
POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
LEADING_THE = re.compile(r"^the\s+", re.I)


def clean_name(text: str, label: str) -> str:
    """The surface form without "the", a possessive or (for people) an honorific."""
    name = " ".join(unicodedata.normalize("NFKC", text).split())
    name = POSSESSIVE.sub("", name).strip()
    name = LEADING_THE.sub("", name)
    if label == "PERSON":
        name = ROLES.sub("", HONORIFICS.sub("", name))
    return name.strip(" .,;:") or text.strip()


def alias_of(name: str) -> Optional[str]:
    return ALIASES.get(name.casefold().rstrip("."))


def kind_of(label: str) -> str:
    return "person" if label == "PERSON" else label.lower()


def _tokens(name: str) -> list[str]:
    return [t.casefold() for t in re.findall(r"[\w'’-]+", name)]


def _is_part_of(short: list[str], full: list[str]) -> bool:
    """``short`` ends ``full`` ("Putin" of "Vladimir Putin", "Le Drian" of "Jean-Yves Le Drian"),
    or is its first token ("Vladimir")."""
    if not short or len(short) >= len(full):
        return False
    return full[-len(short) :] == short or (len(short) == 1 and full[0] == short[0])


def is_part_of_name(short: str, full: str) -> bool:
    """Is ``short`` a later part (or the first name) of the longer name ``full``?"""
    return _is_part_of(_tokens(short), _tokens(full))


def normalise_names(mentions: list[tuple[str, str]]) -> list[str]:
    """The normalised name of each (text, label) mention of one article, in order."""
    cleaned = [clean_name(text, label) for text, label in mentions]
    names = [alias_of(name) or name for name in cleaned]
    people = [
        (i, _tokens(name))
        for i, (name, (_, label)) in enumerate(zip(names, mentions, strict=True))
        if label == "PERSON"
    ]
    full_names = [(i, tokens) for i, tokens in people if len(tokens) >= 2]
    for i, tokens in people:
        longer = [j for j, full in full_names if _is_part_of(tokens, full)]
        if longer:
            before = [j for j in longer if j < i]
            names[i] = names[(before or longer)[0]]
    return names


def salience(mentions: list[tuple[str, str]], starts: list[int], names: list[str]) -> list[tuple[int, int]]:
    """Per mention: (mentions of its entity in the article, first offset of its entity)."""
    counts: dict = {}
    first: dict = {}
    for (_, label), start, name in zip(mentions, starts, names, strict=True):
        key = (kind_of(label), name.casefold())
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, start)
    return [
        (counts[(kind_of(label), name.casefold())], first[(kind_of(label), name.casefold())])
        for (_, label), name in zip(mentions, names, strict=True)
    ]


def entity_spans(doc) -> list[tuple[str, str, int, int]]:
    """(text, label, start_char, end_char) of each entity of a Doc. A PERSON span the model cut
    short of a proper noun that follows it ("Jean-Yves Le" + "Drian") is extended over it."""
    spans = []
    for ent in doc.ents:
        end = ent.end
        if ent.label_ == "PERSON":
            while (
                end < len(doc)
                and doc[end].pos_ == "PROPN"
                and not doc[end].ent_type_
                and doc[end].text[:1].isupper()
            ):
                end += 1
        span = doc[ent.start : end]
        spans.append((span.text, ent.label_, span.start_char, span.end_char))
    return spans
