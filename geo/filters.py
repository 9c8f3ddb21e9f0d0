"""Selecting offers by Handlungsfeld, Stadtteil and free text."""
from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd

SEARCH_COLUMNS = ("name", "traeger", "kategorie", "zielgruppen", "sprachen", "adresse", "beschreibung", "beschreibung_einfach")


def filter_offers(
    offers: gpd.GeoDataFrame,
    handlungsfelder: Iterable[str] | None = None,
    stadtteil_ids: Iterable[str] | None = None,
    text: str = "",
) -> gpd.GeoDataFrame:
    """Offers matching all given criteria; ``None`` or empty text means no restriction.

    ``stadtteil_ids`` refers to the spatially joined ``stadtteil_id``. Text
    search is case-insensitive, every word must occur in one of
    :data:`SEARCH_COLUMNS`.
    """
    mask = offers.index == offers.index
    if handlungsfelder is not None:
        mask &= offers["handlungsfeld"].isin(list(handlungsfelder))
    if stadtteil_ids is not None:
        mask &= offers["stadtteil_id"].isin(list(stadtteil_ids))
    words = text.casefold().split()
    if words:
        haystack = offers.reindex(columns=list(SEARCH_COLUMNS)).fillna("").astype(str).agg(" ".join, axis=1).str.casefold()
        for word in words:
            mask &= haystack.str.contains(word, regex=False)
    return offers[mask]
