"""One offer as escaped HTML for the list page: plain text everywhere, one checked link.

Offer text comes from people. Markdown rendering would turn any URL in any
field into a link (and a backslash-escaped URL into a broken one), so the
card is HTML in which every value is escaped and only the ``website`` field
becomes a link — after :func:`geo.text.safe_http_url` has checked it. The phone number
becomes a ``tel:`` link built from its digits only.

Values of fixed vocabularies (Handlungsfeld, category, target groups, languages,
cost, barrier-free, location precision) are shown in the page's language; free
text stays as entered and is marked German (:mod:`geo.render.data_text`).
"""
from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from geo.analysis.nearest import DETOUR_FACTOR, IN_DISTRICT_COLUMN, WALK_SPEED_KMH, round_distance_m
from geo.config import HANDLUNGSFELD_BY_NAME
from geo.data.attributes import JA, NEIN, open_state
from geo.data.measures import horizon_key
from geo.data.offers import UNDATED, data_age
from geo.formatting import format_number
from geo.i18n import t, tn
from geo.render.data_text import data_html, ltr_attr, ltr_html, t_html, value_html
from geo.text import safe_http_url, tel_href

STALE_AFTER_MONTHS = 12
"""An offer not checked for longer than this gets a visible "may be outdated" hint."""



def _text(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _data(value: object, lang: str) -> str:
    """Offer text (always German in the shipped data), marked as such inside a page in another language (WCAG 3.1.2)."""
    return data_html(value, lang)


def _field(label: str, value_html: str) -> str:
    return f"<dt>{_text(label)}</dt><dd>{value_html}</dd>"


def offer_card_html(offer: Mapping[str, object], lang: str = "de", heading_level: int = 3,
                    now: datetime | None = None) -> str:
    """The offer as an HTML fragment (``<article>``); every value escaped, links only where checked.

    ``offer`` is a row of the loaded offers (see :mod:`geo.data.offers`) with
    ``stadtteil_name`` from the spatial join. With ``now`` (Europe/Berlin) the
    card says whether the offer is open now and warns when its information may be outdated: last confirmed
    with the provider more than :data:`STALE_AFTER_MONTHS` months ago or, never confirmed, the source's own
    date (``stand_quelle``) is that old, undated or missing (:func:`geo.data.offers.data_age`).
    """
    def get(key: str) -> str:
        value = offer.get(key, "")
        return "" if value is None or (isinstance(value, float) and value != value) else str(value)

    parts = ['<article class="qk-angebot">']
    parts.append(f"<h{heading_level}>{_data(get('name'), lang)}</h{heading_level}>")
    category = f" · {value_html('kategorie', get('kategorie'), lang)}" if get("kategorie") else ""
    parts.append(f'<p class="qk-sub"><strong>{value_html("handlungsfeld", get("handlungsfeld"), lang)}</strong>'
                 f'{category}</p>')

    status = get("status")
    if status in ("beendet", "umgezogen"):
        parts.append(f'<p class="qk-status"><strong>{_text(t(f"status.{status}", lang))}</strong></p>')
    precision = get("lage_genauigkeit")
    if precision and precision != "adresse":
        parts.append(f'<p class="qk-lage">{_text(t(f"popup.genau_{precision}", lang))}</p>')

    fields: list[str] = []
    for label_key, key in (("popup.traeger", "traeger"), ("popup.adresse", "adresse")):
        if get(key):
            fields.append(_field(t(label_key, lang), _data(get(key), lang)))
    district = get("stadtteil_name") or get("stadtteil")
    if district:
        fields.append(_field(t("popup.stadtteil", lang), _data(district, lang)))
    if now is None and get("oeffnungszeiten"):
        fields.append(_field(t("popup.zeiten", lang), ltr_html(get("oeffnungszeiten"), lang)))
    for label_key, key in (("liste.zielgruppen", "zielgruppen"), ("liste.sprachen", "sprachen"),
                           ("liste.kosten", "kosten"), ("liste.barrierefrei", "barrierefrei")):
        if get(key):
            fields.append(_field(t(label_key, lang), value_html(key, get(key), lang)))
    phone = get("telefon")
    if phone:
        href = tel_href(phone)
        value = f'<a href="{_text(href)}"{ltr_attr(lang)}>{_text(phone)}</a>' if href else ltr_html(phone, lang)
        fields.append(_field(t("popup.telefon", lang), value))
    website = get("website")
    if website:
        url = safe_http_url(website)
        value = (f'<a href="{_text(url)}" rel="noopener noreferrer nofollow" target="_blank"{ltr_attr(lang)}>'
                 f'{_text(website)}</a>' if url else ltr_html(website, lang))
        fields.append(_field(t("popup.website", lang), value))
    if now is not None:
        state = open_state(get("oeffnungszeiten"), now)
        key = {JA: "detail.jetzt_offen", NEIN: "detail.jetzt_zu"}.get(state, "detail.zeiten_unbekannt")
        fields.insert(0, _field(t("popup.zeiten", lang), _text(t(key, lang)) + (
            f" ({ltr_html(get('oeffnungszeiten'), lang)})" if get("oeffnungszeiten") else "")))
        checked = get("zuletzt_geprueft")
        fields.append(_field(t("detail.zuletzt_geprueft", lang),
                             ltr_html(checked, lang) if checked else _text(t("detail.unbekannt", lang))))
    if fields:
        parts.append('<dl class="qk-felder">' + "".join(fields) + "</dl>")
    if now is not None:
        age = data_age(get("zuletzt_geprueft"), get("stand_quelle"), now)
        if age.outdated(STALE_AFTER_MONTHS):
            warning = {"geprueft": t_html("detail.veraltet", lang, datum=ltr_html(age.datum, lang)),
                       "quelle": t_html("stand.alt", lang, datum=ltr_html(age.datum, lang)),
                       UNDATED: _text(t("stand.ohne_datum", lang))}.get(age.basis, _text(t("detail.nie_geprueft", lang)))
            parts.append(f'<p class="qk-veraltet" role="note">{warning}</p>')

    if get("beschreibung_einfach"):
        parts.append(f'<p><strong>{_text(t("popup.info", lang))}:</strong> {_data(get("beschreibung_einfach"), lang)}</p>')
    if get("beschreibung"):
        parts.append(f"<p>{_data(get('beschreibung'), lang)}</p>")
    if get("hinweis"):
        parts.append(f'<p class="qk-hinweis">{_text(t("liste.hinweis", lang))}: {_data(get("hinweis"), lang)}</p>')
    stand = get("stand_quelle")
    stand_html = _text(t("stand.undatiert", lang)) if stand == UNDATED else ltr_html(stand, lang) if stand else "–"
    source = get("quelle")
    parts.append(f'<p class="qk-quelle"><small>{t_html("liste.stand_quelle", lang, stand=stand_html, quelle=_data(source, lang) if source else "–")}</small></p>')
    parts.append("</article>")
    return "".join(parts)


def distance_text(distance_m: float, minutes: int, precision: str, lang: str = "de", in_district: bool = False) -> str:
    """``"350 m Luftlinie · etwa 7 Min. zu Fuß"``; ``ca.`` and a note when only the district is known, and
    "in your district" instead of metres when that is the resident's district (``in_district``, the column
    :data:`geo.analysis.nearest.IN_DISTRICT_COLUMN`): the one rule of the nearest list and the handout."""
    if in_district:
        return t("naehe.im_stadtteil", lang)
    rounded = round_distance_m(distance_m)
    approx = "_ca" if precision == "stadtteil" else ""
    if rounded < 1000:  # the words agree with the minutes ("1 Minute", "دقيقتين")
        return tn(f"naehe.entfernung{approx}", minutes, lang, m=rounded)
    km = f"{rounded / 1000:.1f}".replace(".", t("zahl.dezimal", lang))
    return tn(f"naehe.entfernung_km{approx}", minutes, lang, km=km)


def walking_assumption(lang: str = "de") -> str:
    """The walking-time assumption in words, with the constants of :mod:`geo.analysis.nearest`."""
    return t("naehe.annahme", lang, tempo=format_number(WALK_SPEED_KMH, 1, lang),
             umweg=format_number(DETOUR_FACTOR, 1, lang))


def nearest_item_html(offer: Mapping[str, Any], lang: str = "de", selected: bool = False) -> str:
    """One entry of the nearest-offers list: name, Handlungsfeld, distance and walking time, open-state marks.

    ``offer`` is a row of :func:`geo.analysis.nearest.nearest_offers` (with ``distanz_m``, ``gehminuten``) after
    :func:`geo.analysis.filters.apply_filter` (``angabe_fehlt``). Every value escaped.
    """
    hf = HANDLUNGSFELD_BY_NAME.get(str(offer.get("handlungsfeld", "")))
    symbol = (f'<span class="qk-hf-symbol" style="background:{hf.color}" aria-hidden="true">{hf.symbol}</span>'
              if hf else "")
    distance = distance_text(float(offer["distanz_m"]), int(offer["gehminuten"]), str(offer.get("lage_genauigkeit", "")), lang,
                             bool(offer.get(IN_DISTRICT_COLUMN, False)))
    unknown = [t(f"angabe.{key}", lang) for key in str(offer.get("angabe_fehlt", "") or "").split(";") if key]
    place = offer.get("stadtteil_name") or offer.get("stadtteil") or ""
    parts = [f'<div class="qk-naehe{" qk-naehe-gewaehlt" if selected else ""}">',
             f'<p class="qk-naehe-name">{symbol}<strong>{_data(offer.get("name", ""), lang)}</strong></p>',
             f'<p class="qk-naehe-sub">{value_html("handlungsfeld", offer.get("handlungsfeld", ""), lang)}'
             f'{" · " + _data(place, lang) if place else ""}</p>',
             f'<p class="qk-naehe-weg">{_text(distance)}</p>']
    if unknown:
        parts.append(f'<p class="qk-naehe-unbekannt">{_text(" · ".join(unknown))}</p>')
    parts.append("</div>")
    return "".join(parts)


def measure_card_html(measure: Mapping[str, object], field_name: str, offer_names: list[str], lang: str = "de") -> str:
    """One measure (a row of :func:`geo.data.measures.merge_measures`, with the Redaktion's state) as escaped
    HTML: id and title (verbatim from the concept), Handlungsfeld, Bereich, Fristigkeit, status, responsible
    body, last progress note with its date, the linked offers, the workshop list's wording and both sources."""
    def get(key: str) -> str:
        value = measure.get(key, "")
        return "" if value is None or value != value else str(value)

    horizon = get("fristigkeit")
    progress = _data(get("fortschritt"), lang) if get("fortschritt") else ""
    if get("fortschritt_am"):
        stamp = f'<time datetime="{_text(get("fortschritt_am"))}" dir="ltr">{_text(get("fortschritt_am"))}</time>'
        progress = f"{stamp}: {progress}" if progress else stamp
    fields = [_field(t("massnahmen.handlungsfeld", lang), _text(field_name)),
              _field(t("massnahmen.bereich", lang), _data(get("bereich"), lang)),
              _field(t("massnahmen.fristigkeit", lang),
                     _text(t(horizon_key(horizon), lang))),
              _field(t("massnahmen.status", lang), _text(t(f"massnahmen.status_{get('status')}", lang))),
              _field(t("massnahmen.zustaendig", lang),
                     _data(get("zustaendig"), lang) if get("zustaendig") else _text(t("massnahmen.nicht_festgelegt", lang))),
              _field(t("massnahmen.fortschritt", lang), progress or _text(t("massnahmen.kein_fortschritt", lang))),
              _field(t("massnahmen.angebote", lang),
                     _data("; ".join(offer_names), lang) if offer_names else _text(t("massnahmen.keine_angebote", lang)))]
    parts = ['<article class="qk-angebot qk-massnahme">',
             f'<h2><span class="qk-massnahme-id">{_text(get("id"))}</span> {_data(get("titel"), lang)}</h2>',
             '<dl class="qk-felder">', *fields, "</dl>"]
    if get("titel_ws_liste"):
        parts.append(f'<p class="qk-hinweis">{_text(t("massnahmen.wortlaut_ws", lang, id=get("weitere_id")))} '
                     f'„{_data(get("titel_ws_liste"), lang)}“</p>')
    if get("notes"):
        parts.append(f'<p class="qk-hinweis">{_data(get("notes"), lang)}</p>')
    sources = [(get("id"), get("quelle")), (get("weitere_id"), get("quelle_ws_liste"))]
    items = "".join(f"<li>{_text(i)}: {_data(q, lang)}</li>" for i, q in sources if i and q)
    parts.append(f'<div class="qk-quelle"><small>{_text(t("massnahmen.quellen", lang))}:</small>'
                 f'<ul class="qk-quellen">{items}</ul></div>')
    parts.append("</article>")
    return "".join(parts)
