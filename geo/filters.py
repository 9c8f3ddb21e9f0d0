"""Selecting offers by Handlungsfeld, Stadtteil, status and free text."""
from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import pandas as pd

from .config import HANDLUNGSFELDER
from .i18n import available_languages, catalogue
from .text import search_key, search_keys, slugify

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
