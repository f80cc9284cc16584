"""Counts attached to events and objects, GDELT-style: "killed 129 people", "128 raids", "five suspects arrested".

One row per number that counts something, read from the parse of the English spaCy model (tagger,
parser and NER; the lemmatizer is not needed, so verbs are put in the past form by rules below):

- ``number``: the count as a float. Parsed: digits ("129", "1,200", "3.5"), number words ("five",
  "twenty-one", "one hundred and twenty"), "a"/"two" + "dozen", multipliers ("2.3 million",
  "three thousand", "1.2bn", "3m"). Not parsed, so no row: vague amounts ("dozens", "hundreds of",
  "several"), fractions ("half"), ordinals. Parsed but dropped: 0, and 1 ("one" is mostly "one of",
  "one day", a pronoun).
- ``object``: the counted noun, lower case: the noun the number modifies ("129 people" → "people") or,
  for "five of the suspects", the noun after "of"; None when the number stands alone ("killed 129")
  or counts a pronoun ("five of them").
- ``kind``: the event, as the past form of the verb the counted thing undergoes: its object
  ("killed 129 people", "killing 224 people"), passive subject ("40 people were killed"), subject of
  an intransitive verb ("five people died"), or a noun with a reduced relative ("five suspects
  arrested"). Otherwise "count": no verb, the counted thing is the actor ("three gunmen killed ..."
  gives "count" for the gunmen), or the verb only says there were so many (be, have, stage, carry out,
  include, report: "police staged 128 raids" is a count of raids).
- ``text``, ``start_char``, ``end_char``: the count as written, from a leading "at least", "about",
  ... through the counted noun ("at least 40 people", "five of the suspects", "129").
- ``sentence_index``: the sentence the count starts in (0-based).

Numbers that are not counts give no row: any inside a DATE, TIME, PERCENT, MONEY, ORDINAL or
QUANTITY entity or any other named entity but CARDINAL ("World War Two", "2009 Lisbon Treaty"),
ages ("a 28-year-old", "Salah Abdeslam, 26,", "aged 26", "turns 18"), identifiers after their
noun ("Flight 17", "Article 5"), a number before a singular noun ("the 2009 treaty") but for
collective nouns ("20 staff"), years (1000–2100 written as four digits) with no plural noun, units ("three days",
"200 points", "5 km", "10 dollars") missed by the NER, and numbers counting nothing: neither a noun
nor a verb ("the toll rose to 129").
"""

from __future__ import annotations

import re
from typing import Optional

#: Entity labels a count's number may carry: none, or CARDINAL. DATE, TIME, PERCENT, MONEY, ORDINAL
#: and QUANTITY numbers are not counts, and one inside any other entity (EVENT, LAW, ...) is a name.
COUNT_LABELS = {"", "CARDINAL"}
UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
UNITS |= {"eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15}
TEENS |= {"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70}
TENS |= {"eighty": 80, "ninety": 90}
MULTIPLIERS = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
MULTIPLIERS |= {"dozen": 12, "bn": 1e9, "mn": 1e6}
#: A suffix glued to digits: "1.2bn", "3m", "10k".
SUFFIXES = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9}
DIGITS = re.compile(r"^(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?([a-z]{0,2})$")
#: Singular nouns that still count people or animals: "20 staff", "300 police".
COLLECTIVE = {"staff", "police", "personnel", "crew", "cattle", "livestock", "people", "aircraft"}
COLLECTIVE |= {"sheep", "fish", "deer", "offspring", "military"}
#: Nouns that measure rather than count, for when the NER misses them.
MEASURES = {"times", "percent", "per", "%", "points", "degrees", "km", "kilometres", "kilometers"}
MEASURES |= {"miles", "metres", "meters", "feet", "inches", "kg", "kilograms", "tonnes", "tons"}
MEASURES |= {"pounds", "dollars", "euros", "yen", "yuan", "rupees", "cents", "pence", "francs"}
MEASURES |= {"seconds", "minutes", "hours", "days", "weeks", "months", "years", "decades", "centuries"}
MEASURES |= {"year", "percentage", "mph"}
#: Verbs that say there were so many rather than what happened: their counts are kind "count".
#: Past forms, as ``past_form`` gives them.
LIGHT_VERBS = {"been", "was", "were", "is", "are", "be", "had", "has", "have", "included", "includes"}
LIGHT_VERBS |= {"staged", "conducted", "carried", "made", "held", "saw", "seen", "reported", "recorded"}
LIGHT_VERBS |= {"said", "totalled", "totaled", "numbered", "reached", "remained", "became", "become"}
LIGHT_VERBS |= {"got", "gotten", "took", "taken", "showed", "shown", "counted", "involved", "contained"}
LIGHT_VERBS |= {"listed", "estimated", "put", "gave", "given", "did", "done"}
#: Irregular verbs news counts attach to: every form the tagger may give → the past participle.
IRREGULAR = {"die": "died", "dying": "died", "dies": "died", "shoot": "shot", "shooting": "shot"}
IRREGULAR |= {"shoots": "shot", "hold": "held", "holding": "held", "holds": "held", "take": "taken"}
IRREGULAR |= {"taking": "taken", "takes": "taken", "flee": "fled", "fleeing": "fled", "flees": "fled"}
IRREGULAR |= {"lose": "lost", "losing": "lost", "loses": "lost", "hit": "hit", "hitting": "hit"}
IRREGULAR |= {"hits": "hit", "catch": "caught", "catching": "caught", "catches": "caught"}
IRREGULAR |= {"bring": "brought", "bringing": "brought", "brings": "brought", "send": "sent"}
IRREGULAR |= {"sending": "sent", "sends": "sent", "fight": "fought", "fighting": "fought"}
IRREGULAR |= {"fights": "fought", "steal": "stolen", "stealing": "stolen", "steals": "stolen"}
IRREGULAR |= {"leave": "left", "leaving": "left", "leaves": "left", "find": "found", "finding": "found"}
IRREGULAR |= {"finds": "found", "hurt": "hurt", "hurting": "hurt", "hurts": "hurt", "beat": "beaten"}
IRREGULAR |= {"beating": "beaten", "beats": "beaten", "sell": "sold", "selling": "sold", "sells": "sold"}
IRREGULAR |= {"buy": "bought", "buying": "bought", "buys": "bought", "win": "won", "winning": "won"}
IRREGULAR |= {"wins": "won", "strike": "struck", "striking": "struck", "strikes": "struck"}
IRREGULAR |= {"give": "given", "giving": "given", "gives": "given", "see": "seen", "seeing": "seen"}
IRREGULAR |= {"sees": "seen", "make": "made", "making": "made", "makes": "made", "have": "had"}
IRREGULAR |= {"having": "had", "has": "had", "put": "put", "putting": "put", "puts": "put"}
IRREGULAR |= {"stop": "stopped", "ban": "banned", "rob": "robbed", "kidnap": "kidnapped"}
IRREGULAR |= {"kidnapping": "kidnapped", "kidnaps": "kidnapped", "be": "been", "is": "been", "are": "been"}
IRREGULAR |= {"build": "built", "building": "built", "builds": "built", "lead": "led", "leading": "led"}
IRREGULAR |= {"leads": "led", "fly": "flown", "flying": "flown", "flies": "flown", "spend": "spent"}
IRREGULAR |= {"spending": "spent", "spends": "spent", "keep": "kept", "keeping": "kept", "keeps": "kept"}
PATIENT_ROLES = {"dobj", "obj", "nsubjpass", "dative", "oprd"}
OBJECT_ROLES = {"dobj", "obj", "ccomp", "xcomp", "attr"}
QUALIFIER_DEPS = {"advmod", "quantmod", "amod"}
WH_WORDS = {"WDT", "WP"}


def counts_from_doc(doc) -> list[dict]:
    """Every count in a parsed English doc as a row (see the module docstring), in text order."""
    sentence_starts = [s.start_char for s in doc.sents] if doc.has_annotation("SENT_START") else [0]
    rows, sentence, i = [], 0, 0
    while i < len(doc):
        span = number_span(doc, i)
        if span is None:
            i += 1
            continue
        start, end, value = span
        i = end
        row = count_row(doc, start, end, value)
        if row is None:
            continue
        while sentence + 1 < len(sentence_starts) and sentence_starts[sentence + 1] <= row["start_char"]:
            sentence += 1
        rows.append({**row, "sentence_index": sentence})
    return rows


def number_span(doc, i: int) -> Optional[tuple[int, int, float]]:
    """The number written from token ``i`` on, as (start, end, value), or None if none starts there.

    Reads "2.3 million", "twenty-one", "one hundred and twenty", "a dozen", "1,200", "1.2bn".
    """
    atoms, j = [], i
    if doc[i].lower_ in ("a", "an") and i + 1 < len(doc) and doc[i + 1].lower_ in MULTIPLIERS:
        atoms.append(("value", 1.0))
        j += 1
    while j < len(doc):
        atom = number_atom(doc[j].lower_)
        if atom is None and atoms and doc[j].lower_ in SUFFIXES and not doc[j - 1].whitespace_:
            atom = "multiplier", SUFFIXES[doc[j].lower_]  # "3m" split by the tokenizer into "3", "m"
        if atom is None:
            # "twenty - one" and "hundred and twenty" join; anything else ends the number
            joiner = doc[j].lower_ in ("-", "and") and j + 1 < len(doc) and atoms
            following = number_atom(doc[j + 1].lower_) if joiner else None
            if following and _joins(atoms[-1], following, doc[j].lower_):
                j += 1
                continue
            break
        if atoms and atom[0] == "value" and atoms[-1][0] == "value" and not _joins(atoms[-1], atom, " "):
            break
        if atoms and atom[0] == "value" and atoms[-1][0] == "suffixed":
            break
        atoms.append(atom)
        j += 1
    if not atoms or atoms[0][0] == "multiplier":  # "hundred" alone is not a number here
        return None
    return i, j, _value(atoms)


def number_atom(word: str) -> Optional[tuple[str, float]]:
    """A word of a number: ("value", 5.0), ("multiplier", 1e6) or ("suffixed", 1.2e9); None if not one."""
    if word in MULTIPLIERS:
        return "multiplier", float(MULTIPLIERS[word])
    for table in (UNITS, TEENS, TENS):
        if word in table:
            return "value", float(table[word])
    if "-" in word:  # "twenty-one" kept whole by the tokenizer
        head, _, tail = word.partition("-")
        if head in TENS and tail in UNITS:
            return "value", float(TENS[head] + UNITS[tail])
        return None
    match = DIGITS.match(word)
    if not match:
        return None
    value = float(match.group(1).replace(",", "") + (match.group(2) or ""))
    if match.group(3):
        if match.group(3) not in SUFFIXES:
            return None
        return "suffixed", value * SUFFIXES[match.group(3)]
    return "value", value


def count_row(doc, start: int, end: int, value: float) -> Optional[dict]:
    """The row for the number doc[start:end], or None when it is not a count."""
    tokens = doc[start:end]
    if value in (0, 1) or any(t.ent_type_ not in COUNT_LABELS for t in tokens):
        return None
    if _is_age(doc, start, end) or _next_lower(doc, end) in MEASURES or _is_money(doc, start):
        return None
    head = next((t for t in tokens if not (start <= t.head.i < end)), tokens[-1])
    counted = _counted_noun(head, end)
    if counted is False:
        return None
    if counted is not None and any(t.is_space for t in doc[min(end, counted.i) : counted.i]):
        return None  # a headline with no full stop runs into the next paragraph's noun
    if counted is not None and counted.lower_ in MEASURES:
        return None
    if counted is not None and counted.tag_ in ("NN", "NNP") and counted.lower_ not in COLLECTIVE:
        return None  # "the 2009 treaty", "a 737 jet": a number before a singular noun names it
    if counted is None and _looks_like_year(tokens):
        return None
    # "killed 129 people": the noun's role; "identified five of the assailants": the number's
    verb = governing_verb(counted if counted is not None and counted.i == head.head.i else head)
    kind = past_form(verb) if verb is not None else "count"
    if kind in LIGHT_VERBS:
        kind = "count"
    first = _qualifiers_start(doc, start, head)
    last = max(end - 1, counted.i if counted is not None else end - 1)
    counted_text = None if counted is None or counted.pos_ == "PRON" else counted.lower_
    if counted_text is None and kind == "count":
        return None  # a number with neither a noun nor an event counts nothing we can name
    return {
        "kind": kind,
        "number": value,
        "object": counted_text,
        "text": doc[first : last + 1].text,
        "start_char": doc[first].idx,
        "end_char": doc[last].idx + len(doc[last]),
    }


def governing_verb(token):
    """The verb whose patient ``token`` is (object, passive subject, intransitive subject, or a noun
    with a reduced or passive relative clause), or None."""
    while token.dep_ == "conj" and token.head.pos_ in ("NOUN", "PROPN", "NUM", "PRON"):
        token = token.head  # "killed 129 people and 352 others": the first conjunct's role
    head, verb = token.head, None
    if token.dep_ in PATIENT_ROLES and head.pos_ in ("VERB", "AUX"):
        verb = head
    elif token.dep_ == "nsubj" and head.pos_ in ("VERB", "AUX"):
        transitive = any(child.dep_ in OBJECT_ROLES for child in head.children)
        verb = None if transitive else head
    if verb is not None and past_form(verb) not in LIGHT_VERBS:
        return verb
    # "3 people who were injured were taken to hospital": the clause says what happened to them
    for child in token.children:
        if child.dep_ == "acl" and child.tag_ == "VBN":  # "five suspects arrested"
            return child
        if child.dep_ == "relcl":  # "people who were killed", "suspects whom police arrested"
            roles = {grandchild.dep_ for grandchild in child.children if grandchild.tag_ in WH_WORDS}
            if roles & {"nsubjpass", "dobj"}:
                return child
    return verb


def past_form(verb) -> str:
    """The verb's past form ("killing" → "killed", "arrests" → "arrested"), by rule: no lemmatizer."""
    word = verb.lower_
    if verb.tag_ in ("VBD", "VBN"):
        return word
    if word in IRREGULAR:
        return IRREGULAR[word]
    stem = word
    if verb.tag_ == "VBG" and word.endswith("ing") and len(word) > 4:
        stem = word[:-3]  # "injuring" → "injur" + "ed"; "stopping" → "stopp" + "ed"
        return stem + "ed"
    if verb.tag_ == "VBZ" and word.endswith("s"):
        stem = word[:-1]
    if stem.endswith("e"):
        return stem + "d"
    if stem.endswith("y") and len(stem) > 2 and stem[-2] not in "aeiou":
        return stem[:-1] + "ied"
    return stem + "ed"


def _counted_noun(head, end: int):
    """The noun the number counts; None if it stands alone; False if it is an identifier ("Flight 17")."""
    if head.dep_ in ("nummod", "quantmod", "compound", "amod") and head.head.pos_ in ("NOUN", "PROPN"):
        return head.head if head.head.i >= end else False
    for child in head.children:  # "five of the suspects"
        if child.dep_ == "prep" and child.lower_ == "of" and child.i >= end:
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects:
                return objects[0]
    return None


def _joins(previous: tuple[str, float], following: tuple[str, float], joiner: str) -> bool:
    """Whether two number words make one number: "twenty-one", "hundred and twenty", "2.3 million"."""
    if following[0] == "multiplier":
        return joiner == " " and previous[0] in ("value", "multiplier")
    if following[0] != "value" or following[1] >= 100:
        return False
    if joiner == "and":
        return previous[0] == "multiplier" and previous[1] >= 100
    return previous[0] == "value" and previous[1] in TENS.values() and 0 < following[1] < 10


def _value(atoms: list[tuple[str, float]]) -> float:
    """The value of a number's words, as people read "two hundred thousand and five"."""
    total, current = 0.0, 0.0
    for kind, value in atoms:
        if kind == "multiplier":
            if value == 100 or value == 12:
                current = (current or 1) * value
            else:
                total += (current or 1) * value
                current = 0.0
        else:
            current += value
    return total + current


def _is_age(doc, start: int, end: int) -> bool:
    """ "28-year-old", "26 years old", "aged 26", and "Abdeslam, 26," after a name."""
    after = " ".join(t.lower_ for t in doc[end : end + 4]).replace(" - ", "-")
    if after.startswith(("-year-old", "year-old", "years old", "year old", "-years-old")):
        return True
    before = doc[start - 1] if start > 0 else None
    if before is not None and before.lower_ in ("aged", "age", "turns", "turned", "turning", "turn"):
        return True
    if before is not None and before.text in (",", "(") and start > 1:
        name = doc[start - 2]
        closing = doc[end].text if end < len(doc) else ","
        return name.pos_ == "PROPN" and closing in (",", ")", ".", ";")
    return False


def _is_money(doc, start: int) -> bool:
    return start > 0 and (doc[start - 1].is_currency or doc[start - 1].text in ("US$", "A$", "C$"))


def _looks_like_year(tokens) -> bool:
    return len(tokens) == 1 and re.fullmatch(r"1\d{3}|20\d{2}|2100", tokens[0].text) is not None


def _next_lower(doc, end: int) -> str:
    return doc[end].lower_ if end < len(doc) else ""


def _qualifiers_start(doc, start: int, head) -> int:
    """Where "at least", "about", "more than" before the number begin (they hang off the number)."""
    first, inside = start, {t.i for t in doc[start : head.i + 1]}
    while first > 0 and doc[first - 1].dep_ in QUALIFIER_DEPS and doc[first - 1].head.i in inside:
        first -= 1  # "at least": "at" hangs off "least", "least" off the number
        inside.add(first)
    return first
