"""The resident's view as URL query parameters, so that a link restores it: filters, location, opened offer.

Query keys (all optional; absent = no restriction):

========== =====================================================================
``hf``     Handlungsfeld keys, comma-separated (``bildung,wohnen``); absent = all
``zg``     target-group keys (:data:`geo.data.attributes.ZIELGRUPPEN`), comma-separated
``sp``     languages as written in the data, comma-separated
``st``     Stadtteil id
``q``      search text
``kostenlos``, ``barrierefrei``, ``offen``, ``belegt``, ``beendete``  ``1`` when set
``ort``    ``lat,lon`` rounded to three decimals (:mod:`geo.analysis.location`)
``angebot`` the id of the opened offer
========== =====================================================================

Unknown values in a link (a removed offer, a misspelt key) are ignored, never an error.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from geo.analysis.filters import OfferFilter
from geo.analysis.location import Location, location_from_url
from geo.config import HANDLUNGSFELDER
from geo.data.attributes import ZIELGRUPPEN

_HF_BY_KEY = {hf.key: hf.name for hf in HANDLUNGSFELDER}
_KEY_BY_HF = {name: key for key, name in _HF_BY_KEY.items()}
_FLAGS = {"kostenlos": "kostenlos", "barrierefrei": "barrierefrei", "offen": "jetzt_offen", "belegt": "nur_belegt",
          "beendete": "beendete"}
STATE_KEYS = ("hf", "zg", "sp", "st", "q", *_FLAGS, "ort", "angebot")
"""Every query key this module reads and writes (others, such as ``lang``, are left alone)."""


@dataclass(frozen=True)
class ViewState:
    """What a shared link restores."""

    filter: OfferFilter = OfferFilter()
    location: Location | None = None
    offer_id: str | None = None


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def state_to_params(state: ViewState) -> dict[str, str]:
    """The query parameters for ``state`` (only keys that restrict something; stable order)."""
    flt = state.filter
    params: dict[str, str] = {}
    if flt.handlungsfelder is not None and set(flt.handlungsfelder) != set(_HF_BY_KEY.values()):
        params["hf"] = ",".join(_KEY_BY_HF[name] for name in _HF_BY_KEY.values() if name in flt.handlungsfelder)
    if flt.zielgruppen:
        params["zg"] = ",".join(k for k in ZIELGRUPPEN if k in flt.zielgruppen)
    if flt.sprachen:
        params["sp"] = ",".join(flt.sprachen)
    if flt.stadtteil_ids:
        params["st"] = flt.stadtteil_ids[0]
    if flt.text.strip():
        params["q"] = flt.text.strip()
    for key, attr in _FLAGS.items():
        if getattr(flt, attr):
            params[key] = "1"
    if state.location is not None:
        params["ort"] = state.location.url_value()
    if state.offer_id:
        params["angebot"] = state.offer_id
    return params


def unknown_values(params: Mapping[str, str]) -> dict[str, list[str]]:
    """Per list key (``hf``, ``zg``) the values :func:`params_to_state` would drop as unknown, e.g.
    ``{"hf": ["sport"]}`` – a link ignores them; a command names them. Empty when all are known."""
    known = {"hf": list(_HF_BY_KEY), "zg": list(ZIELGRUPPEN)}
    unknown = {key: [v for v in _split(params.get(key)) if v not in values] for key, values in known.items()}
    return {key: values for key, values in unknown.items() if values}


def known_values(key: str) -> list[str]:
    """The values a list key (``hf``, ``zg``) knows, in their order."""
    return list(_HF_BY_KEY) if key == "hf" else list(ZIELGRUPPEN)


def params_to_state(params: Mapping[str, str], district_ids: set[str] | None = None,
                    offer_ids: set[str] | None = None) -> ViewState:
    """The view in a link; values that are not known (when the known sets are given) are dropped."""
    fields = [_HF_BY_KEY[k] for k in _split(params.get("hf")) if k in _HF_BY_KEY]
    district = (params.get("st") or "").strip()
    if district_ids is not None and district not in district_ids:
        district = ""
    offer = (params.get("angebot") or "").strip() or None
    if offer is not None and offer_ids is not None and offer not in offer_ids:
        offer = None
    flt = OfferFilter(
        handlungsfelder=tuple(fields) if fields else None,
        stadtteil_ids=(district,) if district else None,
        zielgruppen=tuple(k for k in ZIELGRUPPEN if k in _split(params.get("zg"))),
        sprachen=tuple(_split(params.get("sp"))),
        text=(params.get("q") or "").strip()[:200],
        **{attr: params.get(key) == "1" for key, attr in _FLAGS.items()},
    )
    return ViewState(flt, location_from_url(params.get("ort")), offer)
