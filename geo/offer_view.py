"""One offer as escaped HTML for the list page: plain text everywhere, one checked link.

Offer text comes from people. Markdown rendering would turn any URL in any
field into a link (and a backslash-escaped URL into a broken one), so the
card is HTML in which every value is escaped and only the ``website`` field
becomes a link — after :func:`safe_http_url` has checked it. The phone number
becomes a ``tel:`` link built from its digits only.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from .config import HANDLUNGSFELD_BY_NAME
from .i18n import t

_UNSAFE_URL_CHARS = re.compile(r"[\s\"'<>\\`\x00-\x1f\x7f]")
_PHONE_ALLOWED = re.compile(r"^[0-9 +()/\-–.]{5,40}$")


def safe_http_url(value: object) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host and no characters that could break out of an attribute.

    Anything else (``javascript:``, relative paths, ``=HYPERLINK(…)``, URLs with
    spaces or quotes) gives ``None``: the text is then shown, not linked.
    """
    text = str(value or "").strip()
    if not text or _UNSAFE_URL_CHARS.search(text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return text


def tel_href(value: object) -> str | None:
    """A ``tel:`` link for a German phone number written by people (``0571 837910``, ``0571/9726264``), else ``None``.

    Only the first number is used when a field holds several (``0571 829 08 16 (St. Marien); …``).
    """
    first = re.split(r"[;,(]| oder | / (?=\D)", str(value or ""))[0].strip()
    if not _PHONE_ALLOWED.match(first):
        return None
    digits = re.sub(r"[^0-9+]", "", first)
    if digits.startswith("+"):
        return f"tel:{digits}" if 8 <= len(digits) <= 16 else None
    if digits.startswith("0") and 6 <= len(digits) <= 15:
        return f"tel:+49{digits[1:]}"
    return None


def _text(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _data(value: object, lang: str) -> str:
    """Offer text (always German in the shipped data), marked as such inside a page in another language (WCAG 3.1.2)."""
    escaped = _text(value)
    return escaped if lang == "de" else f'<span lang="de">{escaped}</span>'


def _field(label: str, value_html: str) -> str:
    return f"<dt>{_text(label)}</dt><dd>{value_html}</dd>"


def offer_card_html(offer: Mapping[str, object], lang: str = "de", heading_level: int = 3) -> str:
    """The offer as an HTML fragment (``<article>``); every value escaped, links only where checked.

    ``offer`` is a row of the loaded offers (see :mod:`geo.offers`) with
    ``stadtteil_name`` from the spatial join.
    """
    def get(key: str) -> str:
        value = offer.get(key, "")
        return "" if value is None or (isinstance(value, float) and value != value) else str(value)

    hf = HANDLUNGSFELD_BY_NAME.get(get("handlungsfeld"))
    parts = ['<article class="qk-angebot">']
    parts.append(f"<h{heading_level}>{_data(get('name'), lang)}</h{heading_level}>")
    field_name = t(f"handlungsfeld.{hf.key}", lang) if hf else get("handlungsfeld")
    category = f" · {_data(get('kategorie'), lang)}" if get("kategorie") else ""
    parts.append(f'<p class="qk-sub"><strong>{_text(field_name)}</strong>{category}</p>')

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
        fields.append(_field(t("popup.stadtteil", lang), _text(district)))
    for label_key, key in (("popup.zeiten", "oeffnungszeiten"), ("liste.zielgruppen", "zielgruppen"),
                           ("liste.sprachen", "sprachen"), ("liste.kosten", "kosten"),
                           ("liste.barrierefrei", "barrierefrei")):
        if get(key):
            fields.append(_field(t(label_key, lang), _data(get(key), lang)))
    phone = get("telefon")
    if phone:
        href = tel_href(phone)
        value = f'<a href="{_text(href)}">{_text(phone)}</a>' if href else _text(phone)
        fields.append(_field(t("popup.telefon", lang), value))
    website = get("website")
    if website:
        url = safe_http_url(website)
        value = (f'<a href="{_text(url)}" rel="noopener noreferrer nofollow" target="_blank">{_text(website)}</a>'
                 if url else _text(website))
        fields.append(_field(t("popup.website", lang), value))
    if fields:
        parts.append('<dl class="qk-felder">' + "".join(fields) + "</dl>")

    if get("beschreibung_einfach"):
        parts.append(f'<p><strong>{_text(t("popup.info", lang))}:</strong> {_data(get("beschreibung_einfach"), lang)}</p>')
    if get("beschreibung"):
        parts.append(f"<p>{_data(get('beschreibung'), lang)}</p>")
    if get("hinweis"):
        parts.append(f'<p class="qk-hinweis">{_text(t("liste.hinweis", lang))}: {_data(get("hinweis"), lang)}</p>')
    stand = get("stand_quelle") or get("zuletzt_geprueft") or "–"
    parts.append(f'<p class="qk-quelle"><small>{_text(t("liste.stand_quelle", lang, stand=stand, quelle=get("quelle") or "–"))}</small></p>')
    parts.append("</article>")
    return "".join(parts)
