"""The language an article is written in, detected from its text rather than taken from its markup.

py3langid was chosen by measurement over the 258 fundus pages in 25 languages
(``benchmarks/eval_language.py``): right on every whole body (as were pycld2 and cld3), and on 97.7 %
of their first 50 characters (as was lingua, whose high-accuracy mode needs 0.9 to 1.1 GB and 6 s to
load); under 1 ms an article; its model ships in its wheel and takes about 85 MB. Markup is no
substitute: fundus has Zulu, Xhosa and Swahili pages that declare English.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from typing import Optional

# Fewer letters than this (after the MAX_CHARS cut) is too little to tell a language: no answer.
# A Chinese, Japanese or Korean character (East Asian wide) counts as two: it carries about a word.
MIN_CHARS = 20
# py3langid's probabilities are length-calibrated; below this a guess is wrong too often. On the first
# 50 characters of fundus bodies this rule answers 93.8 % of them, 99.6 % rightly, where py3langid
# alone answers all, 97.7 % rightly (eval_language).
MIN_CONFIDENCE = 0.5
# Only the first MAX_CHARS characters are read: on fundus, the first 1000 are as accurate as the
# whole body, and the time per article stops growing with its length.
MAX_CHARS = 2000

# py3langid labels some languages with ISO 639-3 codes; these fall inside an ISO 639-1 macrolanguage.
MACROLANGUAGE = {
    "arz": "ar",  # Egyptian Arabic
    "ary": "ar",  # Moroccan Arabic
    "yue": "zh",  # Cantonese
    "wuu": "zh",  # Wu Chinese
    "uzs": "uz",  # Southern Uzbek
    "sdh": "ku",  # Southern Kurdish
    "gug": "gn",  # Paraguayan Guaraní
    "hbo": "he",  # Biblical Hebrew
    "fuv": "ff",  # Nigerian Fulfulde
    "kik": "ki",  # Kikuyu
}
_LOAD_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _load_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    # All 140 labels: restricting them to those with an ISO 639-1 code was measured on fundus and
    # gained nothing (the same pages wrong on 50 characters), cost 40 % more time and 24 MB more.
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_identifier():
    """py3langid's identifier, loaded once per process on first use, never at import.

    A process-wide cache rather than a DoFn's ``setup()``: Beam runs several DoFn instances per
    worker process, one per thread, and this way they share one read-only model (~85 MB) instead of
    loading one each. The lock makes threads that call first at the same time load it once;
    classifying is then lock-free, as the model is never changed after loading.
    """
    with _LOAD_LOCK:
        return _load_identifier()


def has_min_letters(text: str) -> bool:
    """Whether the text holds MIN_CHARS letters, East Asian wide ones counting twice."""
    count = 0
    for char in text:
        if char.isalpha():
            count += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
            if count >= MIN_CHARS:
                return True
    return False


def detect_language(text: str) -> tuple[Optional[str], float]:
    """(ISO 639-1 code, confidence in [0, 1]) of the text's language, or (None, 0.0) when the first
    MAX_CHARS characters hold fewer than MIN_CHARS letters, are not language (numbers, code), give
    no language a confidence of at least MIN_CONFIDENCE, or are in one of the 15 languages py3langid
    knows that have no ISO 639-1 code (Nigerian Pidgin, Venetian, Kabyle...)."""
    sample = " ".join(text.lstrip()[: 4 * MAX_CHARS].split())[:MAX_CHARS]
    if not has_min_letters(sample):
        return None, 0.0
    label, confidence = language_identifier().classify(sample)
    code = MACROLANGUAGE.get(label, label)
    # "zxx" is py3langid's class for numbers, markup and identifiers: no language either.
    if len(code) != 2 or confidence < MIN_CONFIDENCE:
        return None, 0.0
    return code, float(confidence)
