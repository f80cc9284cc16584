"""Direct quotations and who said them, from a parsed spaCy Doc.

Finding quotes (:func:`find_quotes`): text between an opening and a closing quote mark (“ ” „ «
» and straight ``"``; ‘ ’ only around whole words, since ’ is also an apostrophe). Newswire
continues a quote over paragraphs by opening each paragraph again and closing only the last:
a paragraph that ends inside a quote continues it when the next paragraph starts with an
opening mark. A quote needs at least :data:`MIN_WORDS` words ("a significant number" is a scare
quote, not speech).

Finding the speaker (:func:`quotes_from_doc`), first rule that applies:

1. **after**: a speech verb ("said", "told", "added", ...) in the same sentence after the quote
   ("“...,” he said", "“...,” said Putin", "“...,” X told a news conference"); the speaker is
   the verb's subject, or the first person, organisation or pronoun next to it.
2. **before**: a speech verb between the start of the quote's sentence and the quote
   ("X said: “...”", "X told reporters that “...”").
3. **continuation**: a quote with no speech verb that directly follows a quote with a speaker,
   in the same paragraph or as the next paragraph, is the same speaker's.

A pronoun speaker (he, she, they) is resolved to the nearest named entity before the quote that
fits: a PERSON for he and she, a PERSON, ORG, NORP or GPE for they. The speaker is given as
written and as the article's normalised entity name (:mod:`.names`).
"""

from __future__ import annotations

import bisect
import re
from typing import Optional

from newsbeam.transforms.extract.names import clean_name, is_part_of_name

#: Opening mark → the closing marks that end it (typographic and straight quotes mix in practice).
CLOSERS = {"“": '”"', "„": '“”"', "«": "»", '"': '"”', "‘": "’"}
MIN_WORDS = 4
#: Verbs of speech, as inflected forms (the lemmatizer is not loaded).
SPEECH_VERBS = frozenset(
    """said says say saying told tells tell telling added adds stated states declared declares
    explained explains warned warns insisted insists asked asks wrote writes noted notes argued argues
    claimed claims continued continues replied replies recalled recalls acknowledged acknowledges
    admitted admits announced announces urged urges stressed stresses confirmed confirms
    according stating declaring asserting asserted asserts adding explaining warning insisting
    noting arguing claiming writing suggested suggests suggesting tweeted posted lamented laments
    responded responds told""".split()
)
PRONOUNS = {
    "he": ("PERSON",), "she": ("PERSON",), "they": ("PERSON", "ORG", "NORP", "GPE"), "it": ("ORG", "NORP", "GPE"),
}  # fmt: skip
RELATIVE = ("which", "who", "that")
SPEAKER_LABELS = ("PERSON", "ORG", "NORP", "GPE")
#: How far after the quote (tokens) the attribution may be.
AFTER_WINDOW = 25


def _opens(text: str, i: int) -> bool:
    """Is the mark at ``i`` an opening quote mark?"""
    mark = text[i]
    if mark not in CLOSERS:
        return False
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if mark in '"‘':  # ambiguous marks open only at a word start
        return (before.isspace() or before in "([{—–-:") and not after.isspace()
    return True


def _closes(text: str, i: int, opener: str) -> bool:
    if text[i] not in CLOSERS[opener]:
        return False
    if text[i] == "’":  # an apostrophe inside a word ("force’s") is not a closing mark
        after = text[i + 1] if i + 1 < len(text) else " "
        return not after.isalpha()
    return True


def find_quotes(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each quotation's content, marks excluded. A quote continued over
    paragraphs is one span (its text keeps the paragraph breaks and the reopening marks)."""
    spans, i, n = [], 0, len(text)
    while i < n:
        if not _opens(text, i):
            i += 1
            continue
        opener, start, j, end = text[i], i + 1, i + 1, None
        while j < n:
            if text.startswith("\n\n", j) or (text[j] == "\n" and text[j + 1 : j + 2].strip() == ""):
                after = j
                while after < n and text[after].isspace():
                    after += 1
                if after < n and text[after] in CLOSERS and text[after] == opener:
                    j = after + 1  # the quote goes on in the next paragraph
                    continue
                end = j  # unclosed at the end of its paragraph
                break
            if _closes(text, j, opener):
                end = j
                break
            j += 1
        end = n if end is None else end
        body = text[start:end].rstrip(",.;: \n")
        if len(re.findall(r"\w+", body)) >= MIN_WORDS:
            spans.append((start, end))
        i = end + 1
    return spans


def quote_text(text: str, start: int, end: int) -> str:
    """The quotation as said: without reopening marks, paragraphs kept, trailing comma dropped."""
    body = re.sub(r"\n\s*[“„«\"‘]", "\n\n", text[start:end])
    body = re.sub(r"\n{3,}", "\n\n", body)
    return body.strip().rstrip(",")


def _speaker_token(verb):
    """The subject of a speech verb, or None. A relative pronoun stands for what its clause
    hangs on ("the group, which said"); a document or statement for whoever owns it ("TNO's
    report said")."""
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            if child.lower_ in RELATIVE and verb.dep_ == "relcl":
                return verb.head
            owners = [c for c in child.children if c.dep_ == "poss" and c.ent_type_ in SPEAKER_LABELS]
            return owners[0] if owners else child
    return None


def _entity_at(doc, token):
    for ent in doc.ents:
        if ent.start <= token.i < ent.end:
            return ent
    return None


def _named(names: dict, span) -> str:
    """The normalised name of the entity a span is (or starts); else, for a span that is part of
    a person's name in the article ("Le Drian", "Cameron" outside any entity), that name; else
    the span's text."""

    found = names.get((span.start_char, span.end_char))
    if found is None:
        for (start, end), (name, label) in names.items():  # an entity names.entity_spans extended
            if start == span.start_char and end >= span.end_char:
                found = (name, label)
    if found is not None and found[1] == "PERSON":
        return found[0]
    text = found[0] if found else clean_name(span.text, "PERSON")
    # A speaker the model did not take for a person ("Cameron" as an ORG) but whose name is part
    # of exactly one person's name in the article is that person.
    people = sorted({name for name, label in names.values() if label == "PERSON"})
    matches = [name for name in people if is_part_of_name(text, name)]
    return matches[0] if len(matches) == 1 else text


def _speaker_span(index: _DocIndex, token):
    """The entity the speaker token is in; else a person named beside it ("Nato chief Jens
    Stoltenberg", "the spokesman, Ahmed Chaudhry,"); else its noun chunk; else the token."""
    doc = index.doc
    ent = _entity_at(doc, token)
    if ent is not None:
        return ent
    for near in list(token.children) + [token.head]:
        if near.dep_ in ("appos", "compound") or near is token.head and token.dep_ == "appos":
            named = _entity_at(doc, near)
            if named is not None and named.label_ == "PERSON":
                return named
    following = doc[token.i + 1] if token.i + 1 < len(doc) else None  # "spokesperson Ahmed Chaudhry"
    if following is not None and following.ent_iob_ == "B" and following.ent_type_ == "PERSON":
        return _entity_at(doc, following)
    chunk = index.chunk_at(token.i)
    return chunk if chunk is not None else doc[token.i : token.i + 1]


def _speech_verbs(tokens):
    """The speech verbs among ``tokens``, in order ("states" the noun is not one)."""
    return [t for t in tokens if t.lower_ in SPEECH_VERBS and t.pos_ in ("VERB", "AUX")]


def _find_verb(tokens):
    found = _speech_verbs(tokens)
    return found[0] if found else None


class _DocIndex:
    """What every quote of a Doc looks up, found once per Doc rather than once per quote, each a
    walk of the whole Doc: its text, its sentences, its tokens' character offsets (in increasing order, so
    a quote's neighbours are found by bisection) and its noun chunks."""

    __slots__ = ("doc", "text", "sents", "sentence_starts", "offsets", "_chunks")

    def __init__(self, doc, text: str):
        self.doc, self.text = doc, text  # Doc.text joins every token's text again at each call
        self.sents = list(doc.sents)
        self.sentence_starts = [s.start_char for s in self.sents]
        self.offsets = [t.idx for t in doc]
        self._chunks = None

    def first_from(self, char: int) -> int:
        """The index of the first token starting at or after ``char`` (len(doc) if none)."""
        return bisect.bisect_left(self.offsets, char)

    def chunk_at(self, i: int):
        """The noun chunk holding token ``i``, or None."""
        if self._chunks is None:
            self._chunks = list(self.doc.noun_chunks)
        for chunk in self._chunks:
            if chunk.start <= i < chunk.end:
                return chunk
        return None


def _attribution(index: _DocIndex, start: int, end: int):
    """(speaker span, verb token, how) for a quote at [start, end), or (None, None, None)."""
    doc = index.doc
    after = doc[index.first_from(end + 1) :]  # the tokens that start after the quote
    window = []
    for token in after[:AFTER_WINDOW]:
        if token.text in CLOSERS or "\n" in token.text:  # the next quote or paragraph
            break
        window.append(token)
        if token.is_sent_end:
            break
    verb = _find_verb(window)
    if verb is not None:
        subject = _speaker_token(verb)
        if subject is None:  # "“...,” said Putin": the speaker may be the verb's object or next token
            candidates = [
                t for t in window if t.i > verb.i and (t.ent_type_ in SPEAKER_LABELS or t.lower_ in PRONOUNS)
            ]
            candidates += [
                t for t in window if t.i < verb.i and (t.ent_type_ in SPEAKER_LABELS or t.lower_ in PRONOUNS)
            ]
            subject = candidates[0] if candidates else None
        if subject is not None:
            return _speaker_span(index, subject), verb, "after"
    at = index.first_from(start)
    first = doc[at] if at < len(doc) else None
    if first is not None:
        sentence = first.sent
        before = [t for t in doc[sentence.start : first.i] if t.idx < start - 1]
        for verb in _speech_verbs(reversed(before)):  # the nearest verb that has a subject
            subject = _speaker_token(verb)
            if subject is not None:
                return _speaker_span(index, subject), verb, "before"
    return None, None, None


def _introduced(index: _DocIndex, start: int):
    """(speaker span, verb) of the last sentence before the quote, in its paragraph or the one
    before, that has a speech verb with a subject ("Mvoko says the plan failed." then a quote
    paragraph), or (None, None)."""
    text = index.text
    paragraph_start = text.rfind("\n\n", 0, start)
    floor = text.rfind("\n\n", 0, paragraph_start) if paragraph_start > 0 else 0
    sentences = [s for s in index.sents if floor <= s.start_char and s.end_char <= start]
    for sentence in reversed(sentences[-2:]):
        if any(t.text in CLOSERS for t in sentence):
            return None, None  # that sentence holds a quote of its own: no introduction
        for verb in _speech_verbs(sentence):
            subject = _speaker_token(verb)
            if subject is not None:
                return _speaker_span(index, subject), verb
    return None, None


def _resolve_pronoun(index: _DocIndex, pronoun: str, before_char: int):
    """The named entity before ``before_char`` that a pronoun stands for: the nearest one that
    is the subject of its clause, within the last three sentences, else the nearest one."""
    labels = PRONOUNS[pronoun]
    earlier = [ent for ent in index.doc.ents if ent.end_char <= before_char and ent.label_ in labels]
    if not earlier:
        return None
    recent = [start for start in index.sentence_starts if start < before_char][-3:]
    horizon = recent[0] if recent else 0
    for ent in reversed(earlier):
        if ent.start_char < horizon:
            break
        if ent.root.dep_ in ("nsubj", "nsubjpass"):
            return ent
    return earlier[-1]


def _speaker(index: _DocIndex, names: dict, span, start: int) -> tuple:
    """(speaker as written, normalised speaker, "pronoun" when a pronoun was resolved) of a span."""
    if span is None:
        return None, None, None
    pronoun = span.text.lower() in PRONOUNS
    if pronoun:
        entity = _resolve_pronoun(index, span.text.lower(), start)
        return (
            span.text,
            (_named(names, entity) if entity is not None else None),
            ("pronoun" if entity else None),
        )
    return span.text, _named(names, span), None


def quotes_from_doc(doc, names: Optional[dict] = None) -> list[dict]:
    """Every quotation in the Doc with its speaker. ``names`` maps an entity's (start_char,
    end_char) to (normalised name, label); without it the speaker's own text is used."""
    names = names or {}
    text = doc.text
    rows: list[dict] = []
    previous = None  # the last quote with a speaker: (row, paragraph index of its end)
    found = find_quotes(text)
    if not found:
        return rows
    index = _DocIndex(doc, text)
    sentence_starts = index.sentence_starts
    for start, end in found:
        span, verb, how = _attribution(index, start, end)
        paragraph = text.count("\n\n", 0, start)
        if span is None and not (previous is not None and paragraph - previous[1] <= 1):
            span, verb = _introduced(index, start)
            how = "introduced" if span is not None else None
        speaker_text, speaker, resolved = _speaker(index, names, span, start)
        if span is None and previous is not None and paragraph - previous[1] <= 1:
            row = previous[0]
            speaker_text, speaker, verb_text, how = (
                row["speaker_text"],
                row["speaker"],
                row["speech_verb"],
                "continuation",
            )
        else:
            verb_text = verb.text if verb is not None else None
        sentence = bisect.bisect_right(sentence_starts, start) - 1
        row = {
            "quote": quote_text(text, start, end),
            "start_char": start,
            "end_char": end,
            "sentence_index": max(0, sentence),
            "speaker_text": speaker_text,
            "speaker": speaker,
            "speech_verb": verb_text,
            "attribution": (how + ("+pronoun" if resolved else "")) if how else None,
        }
        rows.append(row)
        if speaker is not None:
            previous = (row, text.count("\n\n", 0, end))
        elif span is not None:
            previous = None
    return rows
