"""detect_language: hand-written texts in many languages, edge cases, and a floor over fundus."""

import threading

import pytest

from newsbeam.transforms.parse import language
from newsbeam.transforms.parse.language import (
    MAX_CHARS,
    MIN_CHARS,
    MIN_CONFIDENCE,
    detect_language,
    has_min_letters,
)

TEXTS = {
    "en": "The city council approved the new budget on Tuesday after a long debate about housing.",
    "de": "Der Stadtrat hat am Dienstag nach einer langen Debatte über Wohnungen den neuen Haushalt beschlossen.",
    "fr": "Le conseil municipal a adopté mardi le nouveau budget après un long débat sur le logement.",
    "es": "El ayuntamiento aprobó el martes el nuevo presupuesto tras un largo debate sobre la vivienda.",
    "it": "Il consiglio comunale ha approvato martedì il nuovo bilancio dopo un lungo dibattito sulla casa.",
    "nl": "De gemeenteraad heeft dinsdag na een lang debat over woningen de nieuwe begroting goedgekeurd.",
    "no": "Bystyret vedtok tirsdag det nye budsjettet etter en lang debatt om boliger og skatt.",
    "sv": "Kommunfullmäktige godkände på tisdagen den nya budgeten efter en lång debatt om bostäder.",
    "pl": "Rada miasta zatwierdziła we wtorek nowy budżet po długiej debacie na temat mieszkań.",
    "tr": "Belediye meclisi salı günü konut konusundaki uzun bir tartışmanın ardından yeni bütçeyi onayladı.",
    "ru": "Городской совет во вторник утвердил новый бюджет после долгих дебатов о жилье.",
    "ar": "وافق مجلس المدينة يوم الثلاثاء على الميزانية الجديدة بعد نقاش طويل حول الإسكان.",
    "ja": "市議会は火曜日、住宅を巡る長い議論の末に新しい予算案を可決した。",
    "ko": "시의회는 화요일 주택 문제를 둘러싼 긴 논쟁 끝에 새 예산안을 승인했다.",
    "zh": "市议会周二在就住房问题进行长时间辩论后批准了新的预算。",
    "hi": "नगर परिषद ने मंगलवार को आवास पर लंबी बहस के बाद नया बजट मंजूर किया।",
}


@pytest.mark.parametrize("expected", sorted(TEXTS))
def test_detects_the_language_of_a_sentence(expected):
    code, confidence = detect_language(TEXTS[expected])
    assert code == expected
    assert MIN_CONFIDENCE <= confidence <= 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "12345 678,90 2024-05-03 +49 (0)30 123456",
        "Hello",  # too few letters to tell
        "Berlin, Paris",
        "— • — • —",
    ],
)
def test_no_language_for_empty_short_or_letterless_text(text):
    assert detect_language(text) == (None, 0.0)


def test_short_chinese_counts_its_characters_twice():
    text = "市议会批准了新的住房预算。"
    assert len(text) < MIN_CHARS
    assert detect_language(text)[0] == "zh"


@pytest.mark.parametrize(
    "text, enough",
    [
        ("a" * 19, False),
        ("a" * 20, True),
        ("1 2 3 " * 50 + "abc", False),
        ("漢" * 9 + "a", False),
        ("漢" * 10, True),
        ("한" * 9 + "ab", True),
    ],
)
def test_min_letters_rule(text, enough):
    assert has_min_letters(text) is enough


def test_mixed_text_gets_the_language_of_most_of_it():
    german = TEXTS["de"] + " Die Opposition kritisierte die hohen Kosten für den Neubau der Schulen."
    quote = ' Der Minister sagte auf Englisch: "We will not give up."'
    assert detect_language(german + quote)[0] == "de"
    assert detect_language(TEXTS["en"] + " Sie sagte: „Danke.“")[0] == "en"


def test_reads_only_the_first_max_chars(monkeypatch):
    seen = []

    class Spy:
        def classify(self, sample):
            seen.append(sample)
            return "de", 0.99

    monkeypatch.setattr(language, "language_identifier", Spy)
    words = " ".join([TEXTS["de"]] * 5000)
    assert detect_language(words) == ("de", 0.99)
    assert len(seen[0]) == MAX_CHARS
    assert seen[0] == words[:MAX_CHARS]


def test_leading_whitespace_does_not_hide_the_text():
    assert detect_language("\n" * 20_000 + TEXTS["fr"])[0] == "fr"


def test_upper_case_text():
    assert detect_language(TEXTS["es"].upper())[0] == "es"


def test_model_loads_once_when_threads_start_together():
    language._load_identifier.cache_clear()
    texts = [TEXTS[code] for code in sorted(TEXTS)] * 2
    results = [None] * len(texts)
    start = threading.Barrier(len(texts))

    def detect(i):
        start.wait()
        results[i] = detect_language(texts[i])[0]

    threads = [threading.Thread(target=detect, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert language._load_identifier.cache_info().misses == 1
    assert results == [code for code in sorted(TEXTS)] * 2


def test_accuracy_floor_on_fundus(fundus):
    """Measured when set: 100 % on whole bodies and on their first 200 characters (eval_language)."""
    from benchmarks.eval_language import gold_set

    pages = gold_set(fundus)
    whole = sum(detect_language(p["body"])[0] == p["gold"] for p in pages) / len(pages)
    short = sum(detect_language(p["body"][:200])[0] == p["gold"] for p in pages) / len(pages)
    assert len(pages) >= 250
    assert whole >= 0.99, f"whole bodies: {whole:.3f}"
    assert short >= 0.97, f"first 200 characters: {short:.3f}"
