"""Selecting offers by Handlungsfeld, Stadtteil, status and free text."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

import geopandas as gpd
import pandas as pd

from geo.config import HANDLUNGSFELDER
from geo.data.attributes import JA, NEIN, UNBEKANNT, is_accessible, is_free, offer_languages, open_states, target_groups
from geo.i18n import available_languages, catalogue
from geo.text import german_sort_key, search_key, search_keys, slugify

SEARCH_TEXT = "suchtext"
"""Column with the folded :func:`search_haystack`, computed once when the data is loaded (see geo.dataset)."""
SEARCH_COLUMNS = ("name", "traeger", "kategorie", "zielgruppen", "sprachen", "adresse", "stadtteil", "stadtteil_name",
                  "beschreibung", "beschreibung_einfach", "hinweis")


def filter_offers(
    offers: gpd.GeoDataFrame,
    handlungsfelder: Iterable[str] | None = None,
    stadtteil_ids: Iterable[str] | None = None,
    text: str = "",
    include_ended: bool = True,
) -> gpd.GeoDataFrame:
    """Offers matching all given criteria; ``None`` or empty text means no restriction.

    ``stadtteil_ids`` refers to the spatially joined ``stadtteil_id``.
    ``include_ended=False`` leaves out offers whose ``status`` is ``beendet``.
    Text search is tolerant (see :func:`geo.text.search_key`): every word of
    ``text`` must occur in one of :data:`SEARCH_COLUMNS` or in the name of the
    offer's Handlungsfeld or category in any UI language ("education" finds
    Bildung offers).
    """
    mask = pd.Series(True, index=offers.index)
    if handlungsfelder is not None:
        mask &= offers["handlungsfeld"].isin(list(handlungsfelder))
    if stadtteil_ids is not None:
        mask &= offers["stadtteil_id"].isin(list(stadtteil_ids))
    if not include_ended and "status" in offers:
        mask &= offers["status"] != "beendet"
    words = [key for key in map(search_key, text.split()) if key]
    if words and len(offers):
        selected = offers[mask]
        haystack = selected[SEARCH_TEXT] if SEARCH_TEXT in selected else search_haystack(selected)
        keep = pd.Series(True, index=haystack.index)
        for word in words:
            keep &= haystack.str.contains(word, regex=False)
        mask &= keep.reindex(offers.index, fill_value=False)
    return offers[mask]


def search_haystack(offers: pd.DataFrame) -> pd.Series:
    """One folded search text per offer (same index): :data:`SEARCH_COLUMNS` plus the Handlungsfeld and
    category names in every UI language, each folded with :func:`geo.text.search_keys`.

    The folded parts are joined with a space. A folded query word never contains a space, so a word
    matches inside one column or one name only, never across the end of one column and the start of
    the next. Vectorised: one pandas string pass per column; translated names are folded once per
    distinct value, not per offer.
    """
    parts = [search_keys(offers[c].fillna("")) for c in SEARCH_COLUMNS if c in offers]
    field_names = {name: _folded(names) for name, names in _field_names().items()}
    parts.append(offers["handlungsfeld"].map(field_names).fillna(""))
    if "kategorie" in offers:
        categories = _category_names()
        kategorie = offers["kategorie"].fillna("").astype(str)
        folded = {k: _folded(categories.get(slugify(k), [])) for k in kategorie.unique()}
        parts.append(kategorie.map(folded))
    return parts[0].str.cat(parts[1:], sep=" ")


def _folded(names: list[str]) -> str:
    """Each name folded by :func:`geo.text.search_key`, space-separated (one name per UI language)."""
    return " ".join(key for key in map(search_key, names) if key)


def _field_names() -> dict[str, list[str]]:
    """Handlungsfeld (German data value) → its names in every UI language (``handlungsfeld.<key>``)."""
    return {hf.name: [catalogue(lang).get(f"handlungsfeld.{hf.key}", "") for lang in available_languages()]
            for hf in HANDLUNGSFELDER}


def _category_names() -> dict[str, list[str]]:
    """Category slug → its names in every UI language (``kategorie.<slug>`` in the catalogues)."""
    names: dict[str, list[str]] = {}
    for lang in available_languages():
        for key, value in catalogue(lang).items():
            if key.startswith("kategorie."):
                names.setdefault(key.removeprefix("kategorie."), []).append(value)
    return names


UNKNOWN_COLUMN = "angabe_fehlt"
"""Column added by :func:`apply_filter`: the active criteria (``;``-separated keys of
:data:`CRITERIA`) for which the offer has no information, e.g. ``"zeiten"``."""
CRITERIA = ("zielgruppe", "sprache", "kostenlos", "barrierefrei", "zeiten")


@dataclass(frozen=True)
class OfferFilter:
    """Everything a resident can filter by; the default selects every offer that has not ended.

    ``handlungsfelder`` holds German data values (``None`` = all), ``zielgruppen``
    keys of :data:`geo.data.attributes.ZIELGRUPPEN`, ``sprachen`` values as written in
    the data. An offer matches a list criterion when it matches any listed value.
    For the attribute criteria an offer without information stays in (and is
    marked in :data:`UNKNOWN_COLUMN`) unless ``nur_belegt`` is set.
    """

    handlungsfelder: tuple[str, ...] | None = None
    stadtteil_ids: tuple[str, ...] | None = None
    zielgruppen: tuple[str, ...] = ()
    sprachen: tuple[str, ...] = ()
    kostenlos: bool = False
    barrierefrei: bool = False
    jetzt_offen: bool = False
    nur_belegt: bool = False
    text: str = ""
    beendete: bool = False

    def active_criteria(self) -> tuple[str, ...]:
        """Keys of :data:`CRITERIA` this filter restricts."""
        active = {"zielgruppe": bool(self.zielgruppen), "sprache": bool(self.sprachen), "kostenlos": self.kostenlos,
                  "barrierefrei": self.barrierefrei, "zeiten": self.jetzt_offen}
        return tuple(c for c in CRITERIA if active[c])

    def replace(self, **changes: object) -> OfferFilter:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return OfferFilter(**values)


def criterion_states(offers: pd.DataFrame, flt: OfferFilter, now: datetime | None = None) -> pd.DataFrame:
    """Per offer (same index) and active criterion: ``ja`` / ``nein`` / ``unbekannt``.

    ``now`` (timezone-aware, or naive Europe/Berlin) is needed for ``jetzt_offen``.
    """
    states = pd.DataFrame(index=offers.index)
    if flt.zielgruppen:
        wanted = set(flt.zielgruppen)
        states["zielgruppe"] = [
            UNBEKANNT if not str(raw or "").strip() else (JA if groups & wanted or "alle" in groups else NEIN)
            for raw, groups in zip(offers["zielgruppen"], offers["zielgruppen"].map(target_groups))]
    if flt.sprachen:
        wanted_languages = set(flt.sprachen)
        states["sprache"] = [UNBEKANNT if not langs else (JA if wanted_languages.intersection(langs) else NEIN)
                             for langs in offers["sprachen"].map(offer_languages)]
    if flt.kostenlos:
        states["kostenlos"] = offers["kosten"].map(is_free)
    if flt.barrierefrei:
        states["barrierefrei"] = offers["barrierefrei"].map(is_accessible)
    if flt.jetzt_offen:
        if now is None:
            raise ValueError("jetzt_offen braucht die Uhrzeit (now)")
        states["zeiten"] = open_states(offers["oeffnungszeiten"], now)
    return states


def apply_filter(offers: gpd.GeoDataFrame, flt: OfferFilter, now: datetime | None = None) -> gpd.GeoDataFrame:
    """The offers matching ``flt``, in the order of ``offers``, with :data:`UNKNOWN_COLUMN` added.

    An offer is left out when it fails a criterion (``nein``), or, with
    ``nur_belegt``, when it has no information for one (``unbekannt``).
    """
    base = filter_offers(offers, flt.handlungsfelder, flt.stadtteil_ids, flt.text, include_ended=flt.beendete)
    states = criterion_states(base, flt, now)
    keep = ~(states == NEIN).any(axis=1)
    unknown = states == UNBEKANNT
    if flt.nur_belegt:
        keep &= ~unknown.any(axis=1)
    marks = pd.Series([";".join(c for c, u in zip(states.columns, row) if u) for row in unknown.to_numpy()],
                      index=base.index, dtype=object) if len(states.columns) else pd.Series("", index=base.index)
    return base[keep].assign(**{UNKNOWN_COLUMN: marks[keep]})


def language_options(offers: pd.DataFrame) -> list[str]:
    """Every language named in the ``sprachen`` column, in German alphabetical order."""
    found = {lang for value in offers["sprachen"] for lang in offer_languages(value)}
    return sorted(found, key=german_sort_key)
