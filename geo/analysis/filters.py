"""Selecting offers by Handlungsfeld, Stadtteil, status and free text."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.search import query_words, rank_rows
from geo.data.attributes import JA, NEIN, UNBEKANNT, is_accessible, is_free, offer_languages, open_states, target_groups
from geo.text import german_sort_key


def filter_offers(
    offers: gpd.GeoDataFrame,
    handlungsfelder: Iterable[str] | None = None,
    stadtteil_ids: Iterable[str] | None = None,
    text: str = "",
    include_ended: bool = True,
) -> gpd.GeoDataFrame:
    """Offers matching all given criteria; ``None`` or text without words means no restriction.

    ``stadtteil_ids`` refers to the spatially joined ``stadtteil_id``.
    ``include_ended=False`` leaves out offers whose ``status`` is ``beendet``.
    With text, the result is the offer search of :mod:`geo.analysis.search`, **best match first**: ranked,
    typo-tolerant, German compounds split and joined, everyday words of ``data/suchbegriffe.csv`` in the 8
    UI languages, the Handlungsfeld/category/target-group names in every UI language ("education" finds
    Bildung offers), place words order by nearness. A word that matches nothing does not empty the result.
    Without text the order of ``offers`` is kept.
    """
    mask = pd.Series(True, index=offers.index)
    if handlungsfelder is not None:
        mask &= offers["handlungsfeld"].isin(list(handlungsfelder))
    if stadtteil_ids is not None:
        mask &= offers["stadtteil_id"].isin(list(stadtteil_ids))
    if not include_ended and "status" in offers:
        mask &= offers["status"] != "beendet"
    if query_words(text) and len(offers):
        rows = np.flatnonzero(mask.to_numpy())
        return offers.iloc[rows[rank_rows(offers, text, rows).rows]] if len(rows) else offers.iloc[rows]
    return offers[mask]


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
    """The offers matching ``flt`` with :data:`UNKNOWN_COLUMN` added: best search match first when
    ``flt.text`` has words (see :func:`filter_offers`), else in the order of ``offers``.

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
    if keep.all():  # no row dropped: no second copy of every column
        return base.assign(**{UNKNOWN_COLUMN: marks})
    return base[keep].assign(**{UNKNOWN_COLUMN: marks[keep]})


def language_options(offers: pd.DataFrame) -> list[str]:
    """Every language named in the ``sprachen`` column, in German alphabetical order."""
    found = {lang for value in offers["sprachen"] for lang in offer_languages(value)}
    return sorted(found, key=german_sort_key)
