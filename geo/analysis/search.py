"""Offer search: ranked, typo-tolerant, German compounds, everyday words in the 8 UI languages, place words.

One function for every page: :func:`geo.analysis.filters.filter_offers` (and so ``apply_filter``, which the
list, the map and the nearest list call with the resident's ``OfferFilter``) calls :func:`rank_rows` when the
filter has text, and returns the offers best first.

**Index** (:class:`SearchIndex`, attached once per load by :func:`attach_search_index` and built on the
first text search): every offer's words,
folded like :func:`geo.text.search_key` (case, accents, umlaut spellings) plus a few Arabic/Persian letter
variants (:func:`fold_word`), in an inverted index word → offers with the weight of the best field the word
occurs in (:data:`FIELD_WEIGHTS`: the name counts more than the description). Words joined by a hyphen are
also indexed joined (``Sprach-Café`` → ``sprachcafe``). Each offer also carries the names of its
Handlungsfeld, category and target groups in every UI language (``locales/*.toml``).

**A query** is cut into words and read in this order:

1. *place words* (a district or street of ``data/gazetteer.csv``, or a district named in the data, typos
   allowed): they do not filter, they order the results by nearness (:func:`_nearness`). A query of place
   words only finds the offers that name the place (address, district), nearest first;
2. *everyday words and phrases* of ``data/suchbegriffe.csv`` (an editorial word list per language, longest
   phrase first, inflected forms and typos allowed, a long word also by a list word it starts or ends with:
   ``Mietschulden``): such a word also finds what the list maps it to – a category, target group, language,
   Handlungsfeld or German words (``"debt advice"`` → Schulden …), at 0.9 of a match of the typed word;
3. *ignored words* (``_ignorieren`` in the same list: "für", "the", "в" …);
4. every other word is matched against the offers' words: whole word, start of a word, end of a compound
   (``beratung`` in ``Schuldnerberatung``), inside a word, a typo (Damerau–Levenshtein/OSA distance 1, 2 for
   long words; with rapidfuzz), and for long words a split into two known parts of one field
   (``Schuldnerberatung`` → ``Schuldner`` + ``beratung``, which finds "Schuldner- und Insolvenzberatung");
   two neighbouring words are also tried joined ("Computer Kurs" finds "Computerkurse").

**Score** of an offer: for each query part ("concept") the best match quality × field weight, times the
part's rarity (BM25 idf: a word that few offers have counts more), summed, times ``(1 + parts matched) /
(1 + parts)`` so that offers matching more parts come first. Parts that match no offer at all are left out:
a word that matches nothing never empties the result. Offers below :data:`RELATIVE_CUTOFF` of the best score
are dropped (a weak side match is noise, not a result). With a place word the score is multiplied by
``0.5 + 0.5 × nearness``. Ties keep the order of the offer table, so results are deterministic.

**Speed**: words are found by binary search in the sorted words and the sorted reversed words; only a word
that starts or ends no indexed word is scanned for inside words, and typos are looked up with rapidfuzz
among words of similar length. Each index keeps the scores of recent words (:data:`CACHE_ENTRIES`).
Measured in ``bench/search.py`` (``bench/README.md``, "Suche").
"""
from __future__ import annotations

import bisect
import csv
import math
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA

from geo.config import DATA_DIR, HANDLUNGSFELDER, METRIC_CRS
from geo.data.attributes import ZIELGRUPPEN, offer_languages, target_groups
from geo.data.gazetteer import GAZETTEER_PATH, read_gazetteer
from geo.i18n import available_languages, catalogue
from geo.text import search_key, slugify

SEARCH_TERMS_PATH = DATA_DIR / "suchbegriffe.csv"
TERM_LANGUAGES = ("de", "de-einfach", "en", "tr", "ar", "fa", "ru", "uk")
"""The language columns of ``data/suchbegriffe.csv`` (the 8 UI languages)."""
IGNORE_TOPIC = "_ignorieren"
TARGET_KINDS = ("kategorie", "zielgruppe", "sprache", "handlungsfeld", "wort", "genau")

FIELD_WEIGHTS: dict[str, float] = {
    "name": 1.0, "kategorie": 0.9, "zielgruppen": 0.8, "sprachen": 0.7, "traeger": 0.6,
    "beschreibung_einfach": 0.55, "beschreibung": 0.5, "adresse": 0.5, "stadtteil": 0.5, "stadtteil_name": 0.5,
    "hinweis": 0.3,
}
CATALOGUE_WEIGHT = 0.8
"""Names of the offer's Handlungsfeld, category and target groups in every UI language."""
TARGET_WEIGHTS = {"kategorie": 1.0, "zielgruppe": 0.8, "sprache": 0.8, "handlungsfeld": 0.6}
"""Match of a controlled value that an everyday word maps to (``wort`` targets are matched as text)."""

EXACT, PREFIX, SUFFIX, INFIX, TYPO1, TYPO2, SPLIT = 1.0, 0.8, 0.85, 0.7, 0.75, 0.6, 0.8
"""Match qualities of a query word against an offer's word: the same word; the start of a word ("sprach" in
"sprachcafe"); the end of a compound ("beratung" in "insolvenzberatung"); inside a word; one typo; two typos
(long words); two parts of a split compound."""
TABLE_INFLECTED, TABLE_TYPO = 0.95, 0.85
"""A query word that matches an entry of the word list as another form of it (``курсы``/``курс``) or with a typo."""
TABLE_PART = 0.8
"""A long typed word that starts or ends with a word of the list (``Mietschulden`` → ``Schulden``,
``russischsprachige`` → ``Russisch``)."""
TOPIC = 0.9
"""What the word list maps a query word to counts a little less than the typed word itself matching
("Jobcenter" ranks the Jobcenter above what the list relates to it)."""
RELATIVE_CUTOFF = 0.2
"""Offers scoring below this share of the best offer are not results."""
NEAR_M = 1000.0
"""Nearness to a place word: 1 at the place (or inside the named district), 0.5 at this distance."""
PLACE_ONLY_RADIUS_M = 2000.0
"""A query of place words only that no offer's text names: the located offers within this distance."""

SEARCH_INDEX_KEY = "suchindex"
"""Column added by :func:`attach_search_index`: which registered :class:`SearchIndex` the row belongs to."""
SEARCH_INDEX_ROW = "suchzeile"
"""Column added by :func:`attach_search_index`: the row's position in that index."""

_INVISIBLE = re.compile("[\u00ad\u0640\u200b-\u200f\u2060\ufeff]")  # soft hyphen, tatweel, ZWNJ/ZWJ, marks
_WORD = re.compile(r"\w+")
_HYPHENATED = re.compile(r"(\w+)-(?=(\w+))")
_DIGIT = re.compile(r"\d")
_ARABIC_VARIANTS = str.maketrans({"ى": "ي", "ی": "ي", "ک": "ك", "ة": "ه", "ۀ": "ه", "ھ": "ه"})
_ARABIC_ARTICLE = re.compile(r"^(?:ال(?=\w{3})|[وفبك]ال(?=\w{4})|لل(?=\w{3}))")
_PERSIAN_LETTERS = re.compile("[پچژگیک]")
_LINKING = ("s", "n", "en")
"""German linking letters (Fugen-s …) tried off the first part of a split compound (``Wohnungssuche``)."""


# --------------------------------------------------------------------------------------------- words

@lru_cache(maxsize=262_144)
def fold_word(word: str) -> str:
    """One word folded for search: :func:`geo.text.search_key`, the Arabic article ``ال`` (also ``بال``,
    ``وال`` …, not in Persian words) dropped, and Arabic/Persian letter variants unified (``ی``/``ى`` → ``ي``,
    ``ک`` → ``ك``, ``ة`` → ``ه``). Query, data and word list are folded alike."""
    if not _PERSIAN_LETTERS.search(word):
        word = _ARABIC_ARTICLE.sub("", word)
    return search_key(word).translate(_ARABIC_VARIANTS)


def query_words(text: object) -> list[str]:
    """The folded words of a text (split at anything that is not a letter or digit; ZWNJ joins)."""
    return [f for f in (fold_word(w) for w in _WORD.findall(_INVISIBLE.sub("", str(text)))) if f]


def indexed_words(text: object) -> list[str]:
    """:func:`query_words`, then every two words joined by a hyphen, joined (``Deutsch-Kurse`` → ``deutschkurse``)."""
    raw = _INVISIBLE.sub("", str(text))
    words = [f for f in map(fold_word, _WORD.findall(raw)) if f]
    pairs = [a + b for a, b in ((fold_word(x), fold_word(y)) for x, y in _HYPHENATED.findall(raw)) if a and b]
    return words + pairs


def _inflected(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` look like two forms of one word: both at least 5 letters, a common start of at
    least 4 and at most 3 other letters at the end of the longer one (``курсы``/``курсом``,
    ``немецкого``/``немецкий``, ``borçlar``/``borçları``). Words in Latin letters must be the start of one
    another (``Frauen``/``Frauengruppen`` no, ``Almanca``/``Almancayı`` yes), so that ``Schule`` is no form of
    ``Schulden``; short words (``Kita``, Turkish ``kitap``) are listed in their forms instead."""
    if min(len(a), len(b)) < 5 or a[:4] != b[:4]:
        return False
    common = 4
    for x, y in zip(a[4:], b[4:]):
        if x != y:
            break
        common += 1
    if common < max(len(a), len(b)) - 3:
        return False
    return common == min(len(a), len(b)) or not (a + b).isascii()


def _typo_limit(word: str) -> int:
    """Typos allowed in a word: none below 5 letters, 1 up to 8, 2 from 9 letters."""
    return 0 if len(word) < 5 else (1 if len(word) < 9 else 2)


# ------------------------------------------------------------------------------------- word list (CSV)

@dataclass(frozen=True)
class Topic:
    """One row of the word list: what its everyday words mean in the data."""

    key: str
    targets: tuple[tuple[str, str], ...]
    """``(kind, value)``; kinds: :data:`TARGET_KINDS`. ``wort`` values are folded German words (several
    separated by a space: all of them), matched like typed words; ``genau`` a folded word matched as a whole
    word only (``Deutsch``, not ``Deutscher``)."""


@dataclass(frozen=True)
class SearchTerms:
    """``data/suchbegriffe.csv`` read: phrases (tuples of folded words) → topics, and the ignored words."""

    phrases: dict[tuple[str, ...], tuple[Topic, ...]]
    ignored: frozenset[str]
    topics: tuple[Topic, ...]
    words: tuple[str, ...] = field(default=())
    """Every single word of every phrase (for typo and inflection lookup)."""
    by_start: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The words by their first 4 letters (candidates for another form of a word)."""
    by_word: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    """Word → the phrases of 2 or more words that contain it."""


def read_search_terms(path: str | Path = SEARCH_TERMS_PATH) -> SearchTerms:
    """Read and check the word list; raises ``ValueError`` naming the line of a broken entry.

    Columns: ``thema``, ``ziel`` and one per UI language (:data:`TERM_LANGUAGES`), alternatives separated
    by ``|``. ``ziel`` holds ``;``-separated targets ``kind:value`` (``kategorie:Kita``, ``zielgruppe:frauen``,
    ``sprache:Arabisch``, ``handlungsfeld:Bildung``, ``genau:Deutsch`` for a whole word only) or German words
    matched like typed words (``wenig Geld``: both words). The topic
    ``_ignorieren`` lists words that carry no meaning in a query (articles, "für", "where" …).
    """
    valid_categories = {k.removeprefix("kategorie.") for k in catalogue("de") if k.startswith("kategorie.")}
    valid_fields = {hf.name for hf in HANDLUNGSFELDER}
    phrases: dict[tuple[str, ...], list[Topic]] = {}
    ignored: set[str] = set()
    topics: list[Topic] = []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("thema", "ziel", *TERM_LANGUAGES) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{Path(path).name}: Spalten fehlen: {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            key = (row["thema"] or "").strip()
            entries = [e.strip() for lang in TERM_LANGUAGES for e in (row[lang] or "").split("|") if e.strip()]
            if not key or not entries:
                raise ValueError(f"{Path(path).name}, Zeile {line}: thema oder Begriffe fehlen")
            if key == IGNORE_TOPIC:
                ignored.update(w for e in entries for w in query_words(e))
                continue
            targets: list[tuple[str, str]] = []
            for item in (i.strip() for i in (row["ziel"] or "").split(";")):
                if not item:
                    continue
                kind, _, value = item.partition(":") if ":" in item else ("wort", "", item)
                kind, value = kind.strip(), value.strip()
                problem = (f"Zielart „{kind}“ unbekannt" if kind not in TARGET_KINDS else
                           f"Kategorie „{value}“ steht nicht in locales/de.toml [kategorie]"
                           if kind == "kategorie" and slugify(value) not in valid_categories else
                           f"Zielgruppe „{value}“ unbekannt" if kind == "zielgruppe" and value not in ZIELGRUPPEN else
                           f"Handlungsfeld „{value}“ unbekannt" if kind == "handlungsfeld" and value not in valid_fields
                           else "")
                if problem:
                    raise ValueError(f"{Path(path).name}, Zeile {line}: {problem}")
                if kind in ("wort", "genau"):
                    target_words = query_words(value)
                    if not target_words or (kind == "genau" and len(target_words) > 1):
                        raise ValueError(f"{Path(path).name}, Zeile {line}: „{item}“ ist kein Wort")
                    targets.append((kind, " ".join(target_words)))
                else:
                    targets.append((kind, slugify(value) if kind == "kategorie" else value))
            if not targets:
                raise ValueError(f"{Path(path).name}, Zeile {line}: ziel fehlt")
            topic = Topic(key, tuple(dict.fromkeys(targets)))
            topics.append(topic)
            for entry in entries:
                folded = tuple(query_words(entry))
                if folded:
                    phrases.setdefault(folded, []).append(topic)
    words = tuple(sorted({w for phrase in phrases for w in phrase}))
    by_start: dict[str, list[str]] = {}
    for word in words:
        by_start.setdefault(word[:4], []).append(word)
    by_word: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        if len(phrase) > 1:
            for word in dict.fromkeys(phrase):
                by_word.setdefault(word, []).append(phrase)
    return SearchTerms({p: tuple(dict.fromkeys(t)) for p, t in phrases.items()}, frozenset(ignored),
                       tuple(topics), words, {k: tuple(v) for k, v in by_start.items()},
                       {k: tuple(v) for k, v in by_word.items()})


@cache
def search_terms() -> SearchTerms:
    """The shipped word list, read once per process."""
    return read_search_terms()


# --------------------------------------------------------------------------------------------- places

@dataclass(frozen=True)
class Place:
    """A place a query can name: a district or street of the gazetteer, or a district of the data."""

    label: str
    words: tuple[str, ...]
    x: float
    y: float
    """EPSG:25832 metres; NaN for a district of the data that the gazetteer does not know."""
    district: str
    """Folded district name if the place is a district, else empty."""


@cache
def gazetteer_places() -> tuple[Place, ...]:
    """Districts and streets of ``data/gazetteer.csv`` (places of kind ``ort`` are offers or buildings: their
    names are topic words, not places)."""
    from geo.analysis.nearest import to_metric  # same layer; imported here to keep the module import light

    places = []
    for row in read_gazetteer(GAZETTEER_PATH).itertuples(index=False):
        if row.art not in ("stadtteil", "strasse"):
            continue
        label = re.sub(r"\s*\(.*$", "", str(row.name)).strip()
        x, y = to_metric(float(row.lon), float(row.lat))
        words = tuple(query_words(label))
        if words:
            places.append(Place(label, words, x, y, search_key(label) if row.art == "stadtteil" else ""))
    return tuple(places)


# ---------------------------------------------------------------------------------------------- index

@dataclass
class SearchIndex:
    """The offers' words and facts needed to rank them for a query; built by :func:`build_search_index`."""

    n: int
    ids: np.ndarray
    vocab: list[str]
    """Every indexed word, sorted (binary search finds the words starting with a query word)."""
    vocab_ids: dict[str, int]
    reversed_vocab: list[str]
    """Every word spelled backwards, sorted: binary search finds the words ending with a query word."""
    reversed_ids: np.ndarray
    joined: str
    """``"\\n".join(vocab)`` with a leading and trailing newline: one C-speed scan finds a word inside words."""
    starts: np.ndarray
    indptr: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    masks: np.ndarray
    """Per posting the fields the word occurs in (bit i = i-th of :data:`FIELD_WEIGHTS`; the catalogue names
    have no bit): the two parts of a split compound must share a field."""
    typo_words: dict[int, list[str]]
    """Words without digits by length, the candidates for a typo match."""
    categories: np.ndarray
    groups: dict[str, np.ndarray]
    languages: dict[str, np.ndarray]
    fields: np.ndarray
    xy: np.ndarray
    rough: np.ndarray
    """True where the point is only the district's reference point (``lage_genauigkeit = stadtteil``)."""
    districts: np.ndarray
    places: tuple[Place, ...]
    key: int = 0
    cache: OrderedDict[tuple[str, bool], tuple[np.ndarray, np.ndarray]] = field(default_factory=OrderedDict)
    """Recent :func:`word_scores` results (offer positions and scores), at most :data:`CACHE_ENTRIES` words."""
    cache_lock: threading.Lock = field(default_factory=threading.Lock)

    def _postings(self, word_ids: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """Positions in :attr:`docs` of every posting of the given words, and each one's word quality."""
        ids = np.fromiter(word_ids.keys(), dtype=np.int64, count=len(word_ids))
        quality = np.fromiter(word_ids.values(), dtype=float, count=len(word_ids))
        starts, lengths = self.indptr[ids], self.indptr[ids + 1] - self.indptr[ids]
        total = int(lengths.sum())
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        return offsets + np.arange(total), np.repeat(quality, lengths)

    def word_scores(self, word_ids: dict[int, float]) -> np.ndarray:
        """Per offer the best ``quality × field weight`` over the given words (vocab id → quality)."""
        scores = np.zeros(self.n)
        if word_ids:
            positions, quality = self._postings(word_ids)
            np.maximum.at(scores, self.docs[positions], self.weights[positions] * quality)
        return scores

    def word_scores_and_fields(self, word_ids: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`word_scores` and per offer the fields (bit mask) any of the words occurs in."""
        scores, masks = np.zeros(self.n), np.zeros(self.n, dtype=np.int64)
        if word_ids:
            positions, quality = self._postings(word_ids)
            docs = self.docs[positions]
            np.maximum.at(scores, docs, self.weights[positions] * quality)
            np.bitwise_or.at(masks, docs, self.masks[positions])
        return scores, masks


def _catalogue_names() -> dict[str, list[str]]:
    """``handlungsfeld.<key>``, ``kategorie.<slug>``, ``zielgruppe.<key>`` → names in every UI language."""
    names: dict[str, list[str]] = {}
    for lang in available_languages():
        for key, value in catalogue(lang).items():
            if key.startswith(("handlungsfeld.", "kategorie.", "zielgruppe.")):
                names.setdefault(key, []).append(value)
    return names


def _per_distinct(values: np.ndarray, fn) -> np.ndarray:
    """``fn`` of every value, computed once per distinct value (a column repeats few values many times)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [fn(u) for u in uniques]
    return results[codes]


def _gather(arrays: list[np.ndarray], codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.concatenate([arrays[c] for c in codes])`` without a Python loop over ``codes``, and for each
    element the position in ``codes`` it came from."""
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    flat = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    row_lengths = lengths[codes]
    total = int(row_lengths.sum())
    offsets = np.repeat(starts[codes] - (np.cumsum(row_lengths) - row_lengths), row_lengths)
    return flat[offsets + np.arange(total)], np.repeat(np.arange(len(codes), dtype=np.int64), row_lengths)


def build_search_index(offers: pd.DataFrame) -> SearchIndex:
    """Index the offers (any frame with the columns of ``data/angebote.csv``; missing columns are empty).

    Every text is cut into words once per distinct value; the postings are built with numpy (10,000 offers:
    see ``bench/search.py``)."""
    n = len(offers)
    search_terms()  # read the word list now, not on the first query
    names = _catalogue_names()
    hf_key = {hf.name: hf.key for hf in HANDLUNGSFELDER}
    column = {c: offers[c].fillna("").astype(str).to_numpy(dtype=object) if c in offers
              else np.full(n, "", dtype=object) for c in (*FIELD_WEIGHTS, "handlungsfeld", "lage_genauigkeit")}
    group_sets = _per_distinct(column["zielgruppen"], target_groups)
    categories = _per_distinct(column["kategorie"], slugify)
    facts = pd.DataFrame({"hf": column["handlungsfeld"], "kat": categories,
                          "groups": [" ".join(sorted(g)) for g in group_sets]})
    catalogue_text = _per_distinct(
        (facts["hf"] + "|" + facts["kat"] + "|" + facts["groups"]).to_numpy(dtype=object),
        lambda key: " ".join([
            *names.get(f"handlungsfeld.{hf_key.get(key.split('|')[0], '')}", []),
            *names.get(f"kategorie.{key.split('|')[1]}", []),
            *(name for g in key.split("|")[2].split() for name in names.get(f"zielgruppe.{g}", []))]))

    # (word id, offer, weight, field bit) for every word of every field; words found once per distinct text
    per_field: list[tuple[np.ndarray, float, int]] = [(column[c], w, 1 << i)
                                                      for i, (c, w) in enumerate(FIELD_WEIGHTS.items())]
    per_field.append((catalogue_text, CATALOGUE_WEIGHT, 0))
    distinct_words: dict[str, list[str]] = {}
    coded = []
    for values, weight, bit in per_field:
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
        words = [distinct_words.setdefault(u, list(dict.fromkeys(indexed_words(u)))) for u in uniques]
        coded.append((codes, words, weight, bit))
    vocab = sorted({w for words in distinct_words.values() for w in words})
    vocab_ids = {w: i for i, w in enumerate(vocab)}
    wid_parts, doc_parts, weight_parts, bit_parts = [], [], [], []
    for codes, words, weight, bit in coded:
        wids_one, docs_one = _gather([np.fromiter(map(vocab_ids.__getitem__, ws), dtype=np.int64, count=len(ws))
                                      for ws in words], codes)
        wid_parts.append(wids_one)
        doc_parts.append(docs_one)
        weight_parts.append(np.full(len(wids_one), weight))
        bit_parts.append(np.full(len(wids_one), bit, dtype=np.int64))
    wids, docs = np.concatenate(wid_parts), np.concatenate(doc_parts)
    weights, bits = np.concatenate(weight_parts), np.concatenate(bit_parts)
    order = np.lexsort((-weights, docs, wids))  # per (word, offer) the best field first
    wids, docs, weights, bits = wids[order], docs[order], weights[order], bits[order]
    first = np.r_[True, (wids[1:] != wids[:-1]) | (docs[1:] != docs[:-1])] if len(wids) else np.empty(0, bool)
    masks = np.bitwise_or.reduceat(bits, np.flatnonzero(first)) if len(bits) else bits
    wids, docs, weights = wids[first], docs[first], weights[first]
    indptr = np.searchsorted(wids, np.arange(len(vocab) + 1))
    starts = np.cumsum([1] + [len(w) + 1 for w in vocab])[:-1] if vocab else np.empty(0, dtype=np.int64)
    typo_words: dict[int, list[str]] = {}
    for word in vocab:
        if len(word) >= 4 and not _DIGIT.search(word):
            typo_words.setdefault(len(word), []).append(word)
    reversed_order = sorted(range(len(vocab)), key=lambda i: vocab[i][::-1])

    language_lists = _per_distinct(column["sprachen"], lambda v: {search_key(lang) for lang in offer_languages(v)})
    languages = {lang: np.array([lang in s for s in language_lists], dtype=bool)
                 for lang in sorted(set().union(*language_lists))} if n else {}
    groups = {g: np.array([g in s for s in group_sets], dtype=bool) for g in ZIELGRUPPEN}

    xy = np.full((n, 2), np.nan)
    if n and "geometry" in offers and hasattr(offers, "crs") and offers.crs is not None:
        located = (offers.geometry.notna() & ~offers.geometry.is_empty).to_numpy()
        if located.any():
            points = offers.geometry[located].to_crs(METRIC_CRS)
            xy[located] = np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    district_text = np.where(column["stadtteil_name"] != "", column["stadtteil_name"], column["stadtteil"])
    districts = _per_distinct(district_text, search_key)
    known = {p.district for p in gazetteer_places() if p.district}
    data_districts = tuple(Place(str(label), tuple(query_words(label)), math.nan, math.nan, search_key(label))
                           for label in sorted(set(district_text) - {""}) if search_key(label) not in known)

    return SearchIndex(
        n=n, ids=column_or_range(offers, n), vocab=vocab, vocab_ids=vocab_ids,
        reversed_vocab=[vocab[i][::-1] for i in reversed_order],
        reversed_ids=np.asarray(reversed_order, dtype=np.int64), joined="\n" + "\n".join(vocab) + "\n",
        starts=np.asarray(starts, dtype=np.int64), indptr=indptr, docs=docs, weights=weights, masks=masks,
        typo_words=typo_words, categories=categories, groups=groups, languages=languages,
        fields=column["handlungsfeld"], xy=xy, rough=column["lage_genauigkeit"] == "stadtteil",
        districts=districts, places=(*gazetteer_places(), *data_districts))


def column_or_range(offers: pd.DataFrame, n: int) -> np.ndarray:
    """The offers' ``id`` column as an array (their positions if there is none)."""
    return offers["id"].astype(str).to_numpy(dtype=object) if "id" in offers else np.arange(n).astype(str)


# --------------------------------------------------------------------------------- index registry

@dataclass
class _Registered:
    """An attached index: the rows to build it from until the first search needs it, then the index."""

    offers: pd.DataFrame | None
    index: SearchIndex | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: int) -> SearchIndex:
        with self.lock:  # one build even when two sessions search at once
            if self.index is None:
                assert self.offers is not None
                self.index = build_search_index(self.offers)
                self.index.key = key
                self.offers = None  # the frame is the dataset's; the index no longer needs it
            return self.index


_REGISTRY: OrderedDict[int, _Registered] = OrderedDict()
_REGISTRY_LOCK = threading.Lock()
REGISTRY_SIZE = 4
"""Indexes kept per process (one per loaded dataset; the app keeps at most two loads)."""


def attach_search_index(offers: pd.DataFrame) -> int:
    """Mark every row of ``offers`` (in place: :data:`SEARCH_INDEX_KEY`, :data:`SEARCH_INDEX_ROW`) with an
    index of these rows that is built once, on the first text search, so that any selection of the rows
    finds it again. Called once per load (:func:`geo.dataset.load_dataset`): a load whose offers nobody
    searches (the map without text) does not pay for the index. Returns the index's key."""
    with _REGISTRY_LOCK:
        key = secrets.randbits(62) + 1
        _REGISTRY[key] = _Registered(offers)
        while len(_REGISTRY) > REGISTRY_SIZE:
            _REGISTRY.popitem(last=False)
    offers[SEARCH_INDEX_KEY] = np.full(len(offers), key, dtype=np.int64)
    offers[SEARCH_INDEX_ROW] = np.arange(len(offers), dtype=np.int64)
    return key


ID_CHECKS = 64
"""Rows (evenly spread) whose ids are compared with the attached index before it is used."""


def index_for(offers: pd.DataFrame, rows: np.ndarray | None = None) -> tuple[SearchIndex, np.ndarray]:
    """The index of the rows ``rows`` (positions in ``offers``; all if ``None``) and their positions in it:
    the attached one (built now if this is the first search) if the rows carry it and their ids agree, else
    an index built for exactly these rows."""
    rows = np.arange(len(offers), dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    if len(rows) and SEARCH_INDEX_KEY in offers and SEARCH_INDEX_ROW in offers:
        keys = offers[SEARCH_INDEX_KEY].to_numpy()[rows]
        key = int(keys[0])
        with _REGISTRY_LOCK:
            registered = _REGISTRY.get(key)
        if registered is not None and (keys == key).all():
            index = registered.get(key)
            positions = offers[SEARCH_INDEX_ROW].to_numpy(dtype=np.int64)[rows]
            sample = np.unique(np.linspace(0, len(rows) - 1, min(ID_CHECKS, len(rows))).astype(np.int64))
            checked = (offers["id"].iloc[rows[sample]].astype(str).to_numpy(dtype=object) if "id" in offers
                       else rows[sample].astype(str))
            if positions.min() >= 0 and positions.max() < index.n and (index.ids[positions[sample]] == checked).all():
                return index, positions
    subset = offers.iloc[rows]
    return build_search_index(subset), np.arange(len(subset), dtype=np.int64)


# --------------------------------------------------------------------------------------------- query

@dataclass(frozen=True)
class _Concept:
    """One part of a query: its words and the topics of the word list they stand for (with match quality)."""

    words: tuple[str, ...]
    topics: tuple[tuple[Topic, float], ...] = ()
    joined: tuple[str, ...] = ()
    """Compounds of this part's word with its neighbour's that the offers contain ("Computer Kurs" →
    ``computerkurs`` for "Computerkurse"): an offer with the compound matches both parts."""


@dataclass(frozen=True)
class ParsedQuery:
    """A query read: its parts, the place it names (if any) and the words that were ignored."""

    concepts: tuple[_Concept, ...]
    place: Place | None
    place_words: tuple[str, ...]
    ignored: tuple[str, ...]


@lru_cache(maxsize=4096)
def _table_matches(word: str) -> tuple[tuple[str, float], ...]:
    """Words of the word list that ``word`` stands for: itself, another form of it, or – if it is no word of
    the list itself – with a typo (Turkish ``kitap`` is no typo of ``Kitas``)."""
    terms = search_terms()
    found: dict[str, float] = {}
    if word in terms.by_start.get(word[:4], ()):
        found[word] = 1.0
    for entry in terms.by_start.get(word[:4], ()) if len(word) >= 4 else ():
        if entry != word and _inflected(word, entry):
            found.setdefault(entry, TABLE_INFLECTED)
    limit = _typo_limit(word) if word not in found else 0  # a word of the list is no typo of another one
    if limit:
        for entry, _, _ in process.extract(word, terms.words, scorer=OSA.distance, score_cutoff=limit, limit=None):
            if _typo_limit(entry) and entry not in found:
                found[entry] = TABLE_TYPO
    return tuple(sorted(found.items()))


def _phrase_at(tokens: list[str], i: int) -> tuple[int, tuple[tuple[Topic, float], ...]]:
    """The longest entry of the word list at ``tokens[i:]``: (number of words used, topics with quality)."""
    terms = search_terms()
    options = [dict(_table_matches(t)) for t in tokens[i:i + 4]]
    candidates = {phrase for word in options[0] for phrase in terms.by_word.get(word, ())}
    if len(options) > 1:  # two-word phrases may be typed the other way round ("курсы немецкого")
        candidates.update(p for word in options[1] for p in terms.by_word.get(word, ()) if len(p) == 2)
    for length in (4, 3, 2):
        if i + length > len(tokens):
            continue
        best: dict[str, tuple[Topic, float]] = {}
        for phrase in candidates:
            if len(phrase) != length:
                continue
            for order in (phrase, phrase[::-1]) if length == 2 else (phrase,):
                quality = min(options[j].get(w, 0.0) for j, w in enumerate(order))
                if quality > 0:
                    for topic in terms.phrases[phrase]:
                        if quality > best.get(topic.key, (topic, 0.0))[1]:
                            best[topic.key] = (topic, quality)
        if best:
            return length, tuple(best.values())
    if i + 1 < len(tokens) and not {tokens[i], tokens[i + 1]} & terms.ignored:
        # two typed words that the list writes as one ("Kita Platz" → "Kitaplatz"): the same word or a typo,
        # never another form ("Sprachkurs für" is no form of "Sprachkurs") nor a part ("Computer Kurs")
        joined = tokens[i] + tokens[i + 1]
        topics = tuple((t, q) for t, q in _word_topics(joined) if q in (1.0, TABLE_TYPO))
        if topics:
            return 2, topics
    return 1, _word_topics(tokens[i])


@lru_cache(maxsize=4096)
def _word_topics(word: str) -> tuple[tuple[Topic, float], ...]:
    """Topics of the single-word entries that ``word`` matches; for a long word that matches none, the
    entries of 5 or more letters it starts or ends with (German compounds: ``Mietschulden``)."""
    terms = search_terms()
    best: dict[str, tuple[Topic, float]] = {}
    matches = list(_table_matches(word))
    if not matches and len(word) >= 8:
        singles = {p[0] for p in terms.phrases if len(p) == 1}
        matches = [(part, TABLE_PART) for cut in range(3, len(word) - 2)
                   for part in (word[:cut], word[cut:]) if len(part) >= 5 and part in singles]
    for entry, quality in matches:
        for topic in terms.phrases.get((entry,), ()):
            if quality > best.get(topic.key, (topic, 0.0))[1]:
                best[topic.key] = (topic, quality)
    return tuple(best.values())


def _place_at(places: tuple[Place, ...], tokens: list[str], i: int) -> tuple[int, Place | None]:
    """The place named at ``tokens[i:]`` (up to 3 words; typos allowed in long names): (words used, place)."""
    for length in (3, 2, 1):
        if i + length > len(tokens):
            continue
        typed = "".join(tokens[i:i + length])
        best: tuple[int, Place] | None = None
        for place in places:
            name = "".join(place.words)
            if typed == name:
                return length, place
            limit = 1 if len(name) >= 7 else 0
            if length == len(place.words) and limit and OSA.distance(typed, name, score_cutoff=limit) <= limit:
                best = best or (length, place)
            elif len(typed) >= 6 and name.startswith(typed) and length <= len(place.words):
                best = best or (length, place)  # "Königstr" for Königstraße, "Wilmersdorfer" for … Weg
        if best is not None:
            return best
    return 0, None


def parse_query(index: SearchIndex, text: str) -> ParsedQuery:
    """Cut a query into places, word-list phrases, ignored words and other words (see the module doc)."""
    tokens = query_words(text)
    terms = search_terms()
    concepts: list[_Concept] = []
    place: Place | None = None
    place_words: list[str] = []
    ignored: list[str] = []
    i = 0
    while i < len(tokens):
        used, found = _place_at(index.places, tokens, i)
        if found is not None:
            place = place or found
            place_words.extend(tokens[i:i + used])
            i += used
            continue
        used, topics = _phrase_at(tokens, i)
        words = tuple(tokens[i:i + used])
        if not topics and used == 1 and words[0] in terms.ignored:
            ignored.append(words[0])
        else:
            concepts.append(_Concept(words, topics))
        i += used
    if not concepts and not place_words and ignored:  # only small words: search them after all
        concepts = [_Concept((w,)) for w in ignored]
        ignored = []
    for i in range(len(concepts) - 1):  # two typed words that the offers write as one
        first, second = concepts[i], concepts[i + 1]
        joined = first.words[-1] + second.words[0]
        if len(first.words[-1]) >= 3 and len(second.words[0]) >= 3 and any(
                q >= PREFIX for q in _vocab_hits(index, joined, inside=False).values()):
            concepts[i] = replace(first, joined=(*first.joined, joined))
            concepts[i + 1] = replace(second, joined=(*second.joined, joined))
    return ParsedQuery(tuple(concepts), place, tuple(place_words), tuple(ignored))


_ADDRESS_BIT = 1 << list(FIELD_WEIGHTS).index("adresse")
_LANGUAGES_BIT = 1 << list(FIELD_WEIGHTS).index("sprachen")


def _vocab_hits(index: SearchIndex, word: str, inside: bool = True) -> dict[int, float]:
    """Indexed words that ``word`` matches, with quality: the same word, its start (3+ letters), the end of a
    compound (4+ letters; binary searches in the sorted words and the sorted reversed words), and – with
    ``inside`` and only if none of these matched – inside a word (one scan over all words)."""
    hits: dict[int, float] = {}
    exact = index.vocab_ids.get(word)
    if exact is not None:
        hits[exact] = EXACT
    if word.isdigit() or len(word) < 3:
        return hits
    lo = bisect.bisect_left(index.vocab, word)
    hi = bisect.bisect_left(index.vocab, word + "\U0010ffff")
    for v in range(lo, hi):
        hits.setdefault(v, PREFIX)
    if len(word) < 4:
        return hits
    backwards = word[::-1]
    lo = bisect.bisect_left(index.reversed_vocab, backwards)
    hi = bisect.bisect_left(index.reversed_vocab, backwards + "\U0010ffff")
    for v in index.reversed_ids[lo:hi].tolist():
        hits.setdefault(v, SUFFIX)
    if inside and not hits:
        positions = np.fromiter((m.start() for m in re.finditer(re.escape(word), index.joined)), dtype=np.int64)
        for v in np.unique(np.searchsorted(index.starts, positions, side="right") - 1).tolist():
            hits[v] = INFIX
    return hits


def _typo_hits(index: SearchIndex, word: str) -> dict[int, float]:
    """Indexed words within the typo limit of ``word`` (Damerau–Levenshtein, adjacent swaps count once)."""
    limit = _typo_limit(word)
    if not limit or _DIGIT.search(word):
        return {}
    hits: dict[int, float] = {}
    for length in range(len(word) - limit, len(word) + limit + 1):
        candidates = index.typo_words.get(length)
        if not candidates:
            continue
        for match, distance, _ in process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit,
                                                  limit=None):
            hits[index.vocab_ids[match]] = TYPO1 if distance <= 1 else TYPO2
    return hits


def _part_scores(index: SearchIndex, part: str, typos: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Offers containing one part of a split compound as a whole word, a word start or a compound end,
    with the fields it occurs in."""
    hits = _vocab_hits(index, part, inside=False)
    if not hits and typos:
        hits = _typo_hits(index, part)
    return index.word_scores_and_fields(hits) if hits else None


def _part_level(index: SearchIndex, part: str, first: bool) -> int:
    """2 if ``part`` is an indexed word, 1 if it starts (``first``) or ends one (the second part may also start
    a word as another form of it: ``suche`` in ``suchen``), else 0 (binary search only)."""
    if part in index.vocab_ids:
        return 2
    i = bisect.bisect_left(index.vocab, part)
    starts = i < len(index.vocab) and index.vocab[i].startswith(part)
    if first:
        return 1 if starts else 0
    if starts and len(index.vocab[i]) - len(part) <= 3:
        return 1
    j = bisect.bisect_left(index.reversed_vocab, part[::-1])
    return 1 if j < len(index.reversed_vocab) and index.reversed_vocab[j].startswith(part[::-1]) else 0


def _split_scores(index: SearchIndex, word: str) -> np.ndarray:
    """A long word read as two known parts in one field of the offer (``schuldnerberatung`` → ``schuldner``
    + ``beratung`` in "Schuldner- und Insolvenzberatung"); linking letters are tried off the first part
    (``wohnungs|suche`` → ``wohnung``). Parts in different fields ("Diakonie" as Träger, "Sprachkurs" as
    category) or only in the catalogue names in all languages do not count.

    Only the best cuts are scored: where both parts are whole words of the offers if there is such a cut,
    else where one is; a part with a typo only if no cut fits otherwise."""
    ignored = search_terms().ignored
    cuts: list[tuple[int, str, str]] = []
    for cut in range(4, len(word) - 3):
        left, right = word[:cut], word[cut:]
        if left in ignored or right in ignored:
            continue
        right_level = _part_level(index, right, first=False)
        if not right_level:
            continue
        lefts = [left, *(left[:-len(s)] for s in _LINKING if left.endswith(s) and len(left) - len(s) >= 4)]
        left_level, left_part = max(((_part_level(index, c, first=True), c) for c in lefts), key=lambda x: x[0])
        if left_level:
            cuts.append((left_level + right_level, left_part, right))
    pairs = []
    if cuts:
        top = max(c[0] for c in cuts)
        pairs = [(_part_scores(index, left, typos=False), _part_scores(index, right, typos=False))
                 for level, left, right in cuts if level == top]
    else:  # one part with a typo ("schuldner" + "beratnug")
        for cut in range(6, len(word) - 5):
            left, right = word[:cut], word[cut:]
            if _part_level(index, left, first=True) == 2:
                pairs.append((_part_scores(index, left, typos=False), _part_scores(index, right, typos=True)))
            elif _part_level(index, right, first=False) == 2:
                pairs.append((_part_scores(index, left, typos=True), _part_scores(index, right, typos=False)))
    best = np.zeros(index.n)
    for left_scores, right_scores in pairs:
        if left_scores is not None and right_scores is not None:
            together = (left_scores[1] & right_scores[1]) != 0
            np.maximum(best, np.where(together, np.minimum(left_scores[0], right_scores[0]) * SPLIT, 0.0), out=best)
    return best


CACHE_ENTRIES = 2048
"""Words whose :func:`word_scores` an index keeps (as offer positions and scores: a word found in every one
of 10,000 offers takes 120 kB; typical words far less)."""


def word_scores(index: SearchIndex, word: str, strict: bool = False) -> np.ndarray:
    """Per offer the best match of one folded query word (quality × field weight; 0 = no match), from the
    index's cache when the word was searched before (see :func:`_word_scores`)."""
    key = (word, strict)
    with index.cache_lock:
        cached = index.cache.get(key)
        if cached is not None:
            index.cache.move_to_end(key)
    if cached is None:
        scores = _word_scores(index, word, strict)
        positions = np.flatnonzero(scores).astype(np.int32)
        cached = (positions, scores[positions].astype(np.float32))
        with index.cache_lock:
            index.cache[key] = cached
            while len(index.cache) > CACHE_ENTRIES:
                index.cache.popitem(last=False)
    scores = np.zeros(index.n)
    scores[cached[0]] = cached[1]
    return scores


def _word_scores(index: SearchIndex, word: str, strict: bool = False) -> np.ndarray:
    """Per offer the best match of one folded query word (quality × field weight; 0 = no match).

    ``strict`` (for the German words the word list maps to, which are spelled right): no typos, no match
    inside a word and the start of a word only as another form of a word of 5 or more letters (at most 3
    more letters: ``Schulden`` → ``Schuldenfalle`` no; ``Fest`` is no start of ``feste Einbindung``), and
    not in the languages column alone (the list's ``sprache:`` targets are for that)."""
    hits = _vocab_hits(index, word, inside=not strict)
    if strict:
        hits = {v: q for v, q in hits.items() if q in (EXACT, SUFFIX) or
                (q == PREFIX and len(word) >= 5 and len(index.vocab[v]) - len(word) <= 3)}
    found = any(q >= SUFFIX for q in hits.values())
    if not found and not strict:
        for v, q in _typo_hits(index, word).items():
            hits.setdefault(v, q)
    if strict:  # a word of the list names a topic: "Deutsch" in the languages column is no German course
        scores, fields = index.word_scores_and_fields(hits)
        scores[fields == _LANGUAGES_BIT] = 0.0
    else:
        scores = index.word_scores(hits)
    if len(word) >= 8 and not found:  # "Nachhilfe" is in the data: never "nach" + "Hilfe"
        np.maximum(scores, _split_scores(index, word), out=scores)
    return scores


def _target_scores(index: SearchIndex, kind: str, value: str) -> np.ndarray:
    if kind == "wort":
        return np.minimum.reduce([word_scores(index, w, strict=True) for w in value.split(" ")])
    if kind == "genau":
        exact = index.vocab_ids.get(value)
        if exact is None:
            return np.zeros(index.n)
        scores, fields = index.word_scores_and_fields({exact: EXACT})
        return np.where(fields == _LANGUAGES_BIT, 0.0, scores)
    if kind == "kategorie":
        hit = index.categories == value
    elif kind == "zielgruppe":
        hit = index.groups.get(value, np.zeros(index.n, dtype=bool))
    elif kind == "sprache":
        hit = index.languages.get(search_key(value), np.zeros(index.n, dtype=bool))
    else:
        hit = index.fields == value
    return hit * TARGET_WEIGHTS[kind]


def concept_scores(index: SearchIndex, concept: _Concept) -> np.ndarray:
    """Per offer the best match of one query part: its words as typed (all of them), or what the word list
    maps them to."""
    typed = [word_scores(index, w) for w in concept.words]
    scores = np.minimum.reduce(typed) if typed else np.zeros(index.n)
    for joined in concept.joined:
        np.maximum(scores, word_scores(index, joined), out=scores)
    for topic, quality in concept.topics:
        for kind, value in topic.targets:
            np.maximum(scores, _target_scores(index, kind, value) * (quality * TOPIC), out=scores)
    return scores


def _idf(df: int, n: int) -> float:
    """BM25 rarity of a part that ``df`` of ``n`` offers match."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _nearness(index: SearchIndex, place: Place) -> np.ndarray:
    """Per offer 0–1: 1 inside the named district or with the street in its address, else
    ``1 / (1 + (d / NEAR_M)²)`` by the distance ``d`` from the place's point, 0 for offers without a location.
    For a street, an offer whose point is only its district's reference point gets at most 0.5."""
    near = np.zeros(index.n)
    if not math.isnan(place.x):
        d = np.hypot(index.xy[:, 0] - place.x, index.xy[:, 1] - place.y)
        near = np.where(np.isnan(d), 0.0, 1.0 / (1.0 + (np.nan_to_num(d) / NEAR_M) ** 2))
        if not place.district:
            near = np.where(index.rough, np.minimum(near, 0.5), near)
    if place.district:
        near = np.where(index.districts == place.district, 1.0, near)
    else:
        at_street = np.ones(index.n, dtype=bool)
        for word in place.words:
            exact = index.vocab_ids.get(word)
            fields = index.word_scores_and_fields({exact: EXACT})[1] if exact is not None else np.zeros(index.n, int)
            at_street &= (fields & _ADDRESS_BIT) != 0
        near = np.where(at_street, 1.0, near)
    return near


@dataclass(frozen=True)
class SearchResult:
    """Rows (positions in the searched frame) best first, their scores, and how the query was read."""

    rows: np.ndarray
    scores: np.ndarray
    query: ParsedQuery
    unmatched: tuple[str, ...]
    """Query parts that no offer matches (left out of the ranking)."""


def search(index: SearchIndex, text: str, rows: np.ndarray | None = None) -> SearchResult:
    """Rank the offers ``rows`` (positions in ``index``; all if ``None``) for the query ``text``.

    Returns positions into ``rows`` (not into the index), best first.
    """
    rows = np.arange(index.n) if rows is None else np.asarray(rows, dtype=np.int64)
    parsed = parse_query(index, text)
    total = np.zeros(index.n)
    matched = np.zeros(index.n)
    parts = 0
    unmatched = []
    for concept in parsed.concepts:
        scores = concept_scores(index, concept)
        df = int((scores > 0).sum())
        if df == 0:
            unmatched.append(" ".join(concept.words))
            continue
        parts += 1
        total += _idf(df, index.n) * scores
        matched += scores > 0
    near = _nearness(index, parsed.place) if parsed.place is not None else None
    if parts == 0 and parsed.place is not None:
        # place words only: offers that name the place, else the located offers close to it
        concept = _Concept(parsed.place_words)
        text_scores = concept_scores(index, concept)
        if parsed.place.district:
            np.maximum(text_scores, (index.districts == parsed.place.district) * FIELD_WEIGHTS["stadtteil"],
                       out=text_scores)
        if not text_scores[rows].any() and near is not None and not math.isnan(parsed.place.x):
            d = np.hypot(index.xy[:, 0] - parsed.place.x, index.xy[:, 1] - parsed.place.y)
            text_scores = np.where(np.nan_to_num(d, nan=np.inf) <= PLACE_ONLY_RADIUS_M, 1.0, 0.0)
        total, matched, parts = text_scores, (text_scores > 0).astype(float), 1
    if parts == 0:
        return SearchResult(np.empty(0, dtype=np.int64), np.empty(0), parsed, tuple(unmatched))
    text_score = (total * (1 + matched) / (1 + parts))[rows]
    best = text_score.max() if len(rows) else 0.0
    if best <= 0:
        return SearchResult(np.empty(0, dtype=np.int64), np.empty(0), parsed, tuple(unmatched))
    keep = np.flatnonzero(text_score >= RELATIVE_CUTOFF * best)
    final = text_score[keep] * (0.5 + 0.5 * near[rows][keep]) if near is not None else text_score[keep]
    order = np.lexsort((keep, -np.round(final, 9)))
    return SearchResult(keep[order], final[order], parsed, tuple(unmatched))


def rank_rows(offers: pd.DataFrame, text: str, rows: np.ndarray | None = None) -> SearchResult:
    """:func:`search` over the rows ``rows`` of ``offers`` (positions; all if ``None``), with the attached index
    when the rows carry one (:func:`attach_search_index`), else one built for them. The result's ``rows``
    are positions into ``rows``."""
    index, positions = index_for(offers, rows)
    return search(index, text, positions)
