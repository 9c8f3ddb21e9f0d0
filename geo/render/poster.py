"""The analog Quartierskarte: a district poster (A3/A4) and a personal handout (A4) as PDF, in every UI language.

HTML + CSS rendered by WeasyPrint (Pango shapes Arabic and Persian correctly
and lays out right-to-left text); the map is a matplotlib SVG drawn in
EPSG:25832 (no tile server: the PDF is made offline); the QR code is an SVG
from segno. Every data text – offer fields, place and district names, sources, the search text – is
HTML-escaped and marked as German and left-to-right (``<bdi lang="de" dir="ltr">``, also inside a translated
sentence), so that inside an Arabic or Persian page it keeps its own direction and its punctuation.

The handout follows the resident's choice: her filter (:class:`~geo.analysis.filters.OfferFilter`) selects the
offers, is named on the page and is carried by the QR code's link.
"""
from __future__ import annotations

import html
import io
import ipaddress
import math
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import geopandas as gpd
import pandas as pd

from geo.analysis.filters import UNKNOWN_COLUMN, OfferFilter, apply_filter
from geo.analysis.join import has_location
from geo.analysis.location import Location
from geo.analysis.nearest import IN_DISTRICT_COLUMN, district_at, nearest_offers, offer_points
from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER, METRIC_CRS
from geo.data.attributes import cell_text
from geo.data.districts import is_schematic
from geo.dataset import Dataset
from geo.i18n import available_languages, html_lang, t, text_direction
from geo.render.data_text import t_html
from geo.render.offer_view import distance_text, walking_assumption
from geo.render.urlstate import ViewState, state_to_params
from geo.text import german_sort_key, slugify

FORMATS = {"A4": (210, 297), "A3": (297, 420)}
"""Page sizes in millimetres (portrait)."""
FONT_STACK = '"DejaVu Sans", "Noto Sans", "Noto Sans Arabic", sans-serif'
"""DejaVu Sans (Debian fonts-dejavu-core) covers Latin, Cyrillic, Arabic and Persian; Noto where installed."""
BODY_PT = {"A3": 12.5, "A4": 8.5}
"""Body text size: an A3 poster is read from about a metre (≥ 12 pt), the A4 handout in the hand."""
PER_FIELD = 3
"""Offers per Handlungsfeld on a handout."""


class PosterError(ValueError):
    """A request that cannot be printed (unknown district or language); the message lists the valid values."""


def check_language(lang: str) -> str:
    if lang not in available_languages():
        raise PosterError(f"Unbekannte Sprache „{lang}“. Möglich: {', '.join(available_languages())}.")
    return lang


def find_district(districts: gpd.GeoDataFrame, name_or_id: str) -> str:
    """The district id for a name or id, tolerant of case and umlaut spelling (``baerenkaempen`` = ``Bärenkämpen``)."""
    wanted = slugify(name_or_id)
    for district_id, name in zip(districts["id"], districts["name"]):
        if wanted in (district_id, slugify(name)):
            return district_id
    valid = ", ".join(sorted(districts["name"], key=german_sort_key))
    raise PosterError(f"Unbekannter Stadtteil „{name_or_id}“. Möglich: {valid}.")


def live_url(base_url: str, lang: str, **params: str) -> str:
    """Link into the app with query parameters; ``lang`` only when not German."""
    from urllib.parse import urlencode

    query = dict(params)
    if lang != "de":
        query["lang"] = lang
    return base_url.rstrip("/") + "/?" + urlencode(query, safe=",")


LOCAL_SUFFIXES = (".localhost", ".local", ".lan", ".home", ".internal", ".intranet", ".home.arpa")
"""Host names that only resolve on one machine or in a local network (RFC 6761, RFC 6762, RFC 8375, common use)."""


def public_url_problem(url: str | None) -> str | None:
    """Why ``url`` cannot go into a QR code on paper, in German, or ``None`` when it is a public address.

    Not public: no address, not http(s), a literal IP address that is not globally routable (loopback,
    private, link-local, unspecified, shared, …), ``localhost`` and names ending in ``.local`` and the like,
    and host names without a dot (a machine name in the local network). A poster hangs for months; a QR code
    to ``127.0.0.1`` leads every phone nowhere."""
    from urllib.parse import urlsplit

    if not url or not url.strip():
        return "keine öffentliche Adresse eingestellt"
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return f"„{url}“ ist keine gültige Adresse"
    if parts.scheme not in ("http", "https") or not host:
        return f"„{url}“ ist keine http(s)-Adresse"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(LOCAL_SUFFIXES) or "." not in host:
            return f"„{host}“ ist nur auf diesem Rechner oder im eigenen Netz erreichbar"
        return None
    if not address.is_global:
        return f"„{host}“ ist eine lokale oder private IP-Adresse, aus dem Internet nicht erreichbar"
    return None


def qr_svg(url: str) -> str:
    """The QR code for ``url`` as a data URI (SVG), error correction M (readable when slightly damaged)."""
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


# --- content ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NumberedOffer:
    """An offer on a poster: ``number`` is its marker on the map (``None`` when it has no place)."""

    number: int | None
    row: pd.Series


def district_offers(data: Dataset, district_id: str) -> list[NumberedOffer]:
    """The district's current offers: located ones (point in the district polygon) numbered 1… in German order,
    then those without a place that name the district in their ``stadtteil`` column (no number)."""
    offers = data.offers[data.offers["status"] != "beendet"]
    name = data.districts.loc[data.districts["id"] == district_id, "name"].iloc[0]
    located = offers[has_location(offers) & (offers["stadtteil_id"] == district_id)]
    unlocated = offers[~has_location(offers) & (offers["stadtteil"].fillna("") == name)]
    by_name = lambda frame: frame.iloc[sorted(range(len(frame)), key=lambda i: german_sort_key(frame["name"].iloc[i]))]  # noqa: E731
    numbered = [NumberedOffer(i, row) for i, (_, row) in enumerate(by_name(located).iterrows(), start=1)]
    return numbered + [NumberedOffer(None, row) for _, row in by_name(unlocated).iterrows()]


def nearby_offers(data: Dataset, district_id: str, k: int = 5) -> pd.DataFrame:
    """For a district without offers: the ``k`` nearest located offers elsewhere, from a point inside it."""
    offers = data.offers[(data.offers["status"] != "beendet") & has_location(data.offers)]
    point = data.districts[data.districts["id"] == district_id].to_crs(METRIC_CRS).representative_point().to_crs(
        "EPSG:4326").iloc[0]
    return nearest_offers(offers, point.x, point.y, k=k)


# --- map --------------------------------------------------------------------------------------------------

GROUP_COLUMNS = 5
"""Markers per row when several offers share one point."""


@dataclass(frozen=True)
class Marker:
    """One numbered marker on the map: drawn at ``label_xy``; when that is not ``point`` (several offers at one
    place) a leader line joins it to ``point``. Coordinates in :data:`geo.config.METRIC_CRS` metres."""

    label: str
    colour: str
    approximate: bool
    point: tuple[float, float]
    label_xy: tuple[float, float]


def marker_layout(groups: dict[tuple[float, float], list[NumberedOffer]],
                  extent: tuple[float, float, float, float]) -> list[Marker]:
    """Where the numbers go. A single offer: its marker on its point. Several offers at one point (e.g. all
    placed at the district's centre because only the district is known): one marker each, numbered and
    coloured by its Handlungsfeld, in rows of :data:`GROUP_COLUMNS` above the point (below when the map has
    no room above), kept inside ``extent`` (xmin, ymin, xmax, ymax)."""
    xmin, ymin, xmax, ymax = extent
    step = 0.075 * max(xmax - xmin, ymax - ymin)  # centre distance of neighbouring markers
    markers: list[Marker] = []

    def one(member: NumberedOffer, point: tuple[float, float], at: tuple[float, float]) -> Marker:
        hf = HANDLUNGSFELD_BY_NAME.get(str(member.row["handlungsfeld"]))
        return Marker(str(member.number), hf.color if hf else "#3d3d3d", member.row["lage_genauigkeit"] != "adresse",
                      point, at)

    for point, members in groups.items():  # single offers first: they stay on their point
        if len(members) == 1:
            markers.append(one(members[0], point, point))
    taken = [m.label_xy for m in markers] + [p for p, members in groups.items() if len(members) > 1]

    def block(x: float, y: float, n: int, direction: tuple[int, int], distance: float) -> list[tuple[float, float]]:
        """``n`` marker positions in rows of up to GROUP_COLUMNS, ``distance`` steps from (x, y) in ``direction``,
        kept inside the extent."""
        columns = min(GROUP_COLUMNS, n)
        rows = math.ceil(n / columns)
        width, height = (columns - 1) * step, (rows - 1) * step
        cx = x + direction[0] * (distance * step + width / 2)
        cy = y + direction[1] * (distance * step + height / 2)
        left = min(max(cx - width / 2, xmin + step / 2), xmax - step / 2 - width)
        top = min(max(cy + height / 2, ymin + step / 2 + height), ymax - step / 2)
        return [(left + (i % columns) * step, top - (i // columns) * step) for i in range(n)]

    for (x, y), members in groups.items():
        if len(members) == 1:
            continue
        candidates = [block(x, y, len(members), direction, distance) for distance in (1.6, 2.6, 3.6, 4.6)
                      for direction in ((0, 1), (0, -1), (1, 0), (-1, 0))]
        clash = [sum(math.dist(a, b) < 0.95 * step for a in spots for b in taken) for spots in candidates]
        spots = candidates[clash.index(min(clash))]  # the first free place, else the least crowded
        markers += [one(member, (x, y), at) for member, at in zip(members, spots)]
        taken += spots
    return markers


def district_map_svg(data: Dataset, district_id: str, numbered: list[NumberedOffer], lang: str,
                     extra_points: pd.DataFrame | None = None) -> str:
    """The district, its neighbours' outlines and names, and the numbered offers (colour + letter per
    Handlungsfeld; dashed ring = approximate place; offers at one point as a numbered group beside the point,
    each joined to it by a leader line, see :func:`marker_layout`) as SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = data.districts.to_crs(METRIC_CRS)
    shape = metric[metric["id"] == district_id]
    xmin, ymin, xmax, ymax = shape.total_bounds
    pad = 0.12 * max(xmax - xmin, ymax - ymin)
    fig, ax = plt.subplots(figsize=(7, 6))
    try:
        metric.plot(ax=ax, color="#f4f4f4", edgecolor="#8c8c8c", linewidth=0.6)
        shape.plot(ax=ax, color="#e1ecf7", edgecolor="#111111", linewidth=1.6)
        for name, point, d_id in zip(metric["name"], metric.representative_point(), metric["id"]):
            if d_id != district_id and xmin - pad < point.x < xmax + pad and ymin - pad < point.y < ymax + pad:
                ax.annotate(str(name), (point.x, point.y), ha="center", va="center", fontsize=10,
                            color="#555555", style="italic")
        located = [n for n in numbered if n.number is not None]
        groups: dict[tuple[float, float], list[NumberedOffer]] = {}
        if located:
            frame = gpd.GeoDataFrame([n.row for n in located], geometry=[n.row.geometry for n in located],
                                     crs="EPSG:4326").to_crs(METRIC_CRS)
            for n, geom in zip(located, frame.geometry):
                groups.setdefault((round(geom.x, 1), round(geom.y, 1)), []).append(n)
        if extra_points is not None and len(extra_points):
            extra = extra_points.to_crs(METRIC_CRS)
            ax.scatter(extra.geometry.x, extra.geometry.y, s=50, c="#3d3d3d", marker="s", zorder=4)
            xs = [*extra.geometry.x, xmin, xmax]
            ys = [*extra.geometry.y, ymin, ymax]
            xmin, xmax, ymin, ymax = min(xs), max(xs), min(ys), max(ys)
        extent = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
        markers = marker_layout(groups, extent)
        for marker in markers:
            style = {"boxstyle": "circle,pad=0.35", "fc": marker.colour, "ec": "black", "lw": 1.2,
                     "ls": "--" if marker.approximate else "-"}
            if marker.label_xy == marker.point:
                ax.annotate(marker.label, marker.point, ha="center", va="center", fontsize=11, color="white",
                            fontweight="bold", bbox=style, zorder=5)
            else:  # one of several offers at this point: beside it, joined to it by a leader line
                ax.annotate(marker.label, marker.point, xytext=marker.label_xy, ha="center", va="center", fontsize=11,
                            color="white", fontweight="bold", bbox=style, zorder=6,
                            arrowprops={"arrowstyle": "-", "color": "#222222", "lw": 1.0, "shrinkA": 0, "shrinkB": 0})
        for point in {m.point for m in markers if m.label_xy != m.point}:
            ax.plot(*point, marker="o", markersize=7, color="#222222", zorder=7)
        ax.set_xlim(extent[0], extent[2])
        ax.set_ylim(extent[1], extent[3])
        ax.set_aspect("equal")
        ax.set_axis_off()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight")
        svg = buffer.getvalue()
        return svg[svg.index("<svg"):]
    finally:
        plt.close(fig)


# --- HTML -------------------------------------------------------------------------------------------------

def _e(value: object) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and value != value) else str(value))


def _de(value: object) -> str:
    """Data text (offer fields, names from the data): German, in its own direction inside any page."""
    return f'<bdi lang="de" dir="ltr">{_e(value)}</bdi>'


def _ltr(value: object) -> str:
    """A web address, date or number: left to right inside any page, no language of its own."""
    return f'<bdi dir="ltr">{_e(value)}</bdi>'


def _typed(value: str) -> str:
    """Text the resident typed, in any language: isolated in the direction of its first strong letter (what
    ``dir="auto"`` does in a browser; WeasyPrint has no ``auto``)."""
    direction = "ltr"
    for char in value:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            direction = "ltr" if kind == "L" else "rtl"
            break
    return f'<bdi dir="{direction}">{_e(value)}</bdi>'


def _geometry_note_html(districts: gpd.GeoDataFrame, lang: str) -> str:
    """:func:`geo.data.districts.geometry_note` with the sources (data text) marked."""
    if is_schematic(districts):
        return _e(t("karte.hinweis_schematisch", lang))
    sources = "; ".join(dict.fromkeys(str(q).strip() for q in districts["quelle"] if str(q).strip()))
    return t_html("karte.grenzen_quelle", lang, quelle=_de(sources) if sources else _e(t("band.unbekannt", lang)))


def _css(page_size: str, lang: str) -> str:
    return f"""
    @page {{ size: {page_size} portrait; margin: 12mm 12mm 14mm 12mm;
             @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; }} }}
    html {{ font-family: {FONT_STACK}; font-size: {BODY_PT[page_size]}pt; color: #111; }}
    h1 {{ font-size: 2.2em; margin: 0 0 .2em; }}
    .sub {{ color: #333; margin: 0 0 .6em; }}
    .map svg {{ width: 100%; height: auto; max-height: {'128mm' if page_size == 'A3' else '88mm'}; }}
    .legend {{ display: flex; flex-wrap: wrap; gap: .3em 1.2em; margin: .3em 0 .8em; }}
    .sw {{ display: inline-block; min-width: 1.4em; text-align: center; color: #fff; font-weight: bold;
           border-radius: 50%; padding: 0 .2em; margin-inline-end: .3em; }}
    table {{ width: 100%; border-collapse: collapse; }}
    th, td {{ text-align: start; vertical-align: top; padding: .25em .4em; border-bottom: .5pt solid #bbb;
              overflow-wrap: anywhere; hyphens: manual; }}
    th {{ background: #eee; white-space: nowrap; }}
    /* data text is German: a left-to-right run also inside an Arabic or Persian page
       (WeasyPrint 70 knows unicode-bidi: embed, not isolate; embed keeps a German sentence's punctuation) */
    bdi {{ direction: ltr; unicode-bidi: embed; }}
    bdi[dir="rtl"] {{ direction: rtl; }}
    td.stand {{ width: 14%; }}
    td.was {{ width: 38%; }}
    td.nr {{ width: 2.2em; font-weight: bold; text-align: center; }}
    tr {{ break-inside: avoid; }}
    .hint {{ border-inline-start: 3pt solid #8a4b00; background: #fff4e5; padding: .3em .6em; margin: .5em 0; }}
    .foot {{ display: flex; gap: 1em; align-items: flex-start; margin-top: 1em; color: #333;
             font-size: {'.96em' if page_size == 'A3' else '.9em'};
             break-inside: avoid; }}
    .foot img {{ width: {'35mm' if page_size == 'A3' else '30mm'}; height: {'35mm' if page_size == 'A3' else '30mm'}; }}
    h2 {{ font-size: 1.3em; margin: 1em 0 .3em; break-after: avoid; }}
    .head {{ display: flex; gap: 1em; align-items: flex-start; }}
    .head .titles {{ flex: 1 1 0; min-width: 0; }}
    .head .qr {{ display: flex; gap: .6em; align-items: flex-start; color: #333; overflow-wrap: anywhere;
                 font-size: {'.96em' if page_size == 'A3' else '.9em'};
                 flex: 0 0 {'95mm' if page_size == 'A3' else '62mm'}; }}
    .head .qr img {{ width: {'35mm' if page_size == 'A3' else '26mm'}; height: {'35mm' if page_size == 'A3' else '26mm'};
                     flex: none; }}
    """


def _document(lang: str, page_size: str, body: str, title: str) -> str:
    return (f'<!DOCTYPE html><html lang="{_e(html_lang(lang))}" dir="{text_direction(lang)}"><head>'
            f'<meta charset="utf-8"><title>{_e(title)}</title><style>{_css(page_size, lang)}</style></head>'
            f"<body>{body}</body></html>")


def _legend(lang: str) -> str:
    items = [f'<span><span class="sw" style="background:{hf.color}">{hf.symbol}</span>'
             f'{_e(t(f"handlungsfeld.{hf.key}", lang))}</span>' for hf in HANDLUNGSFELDER]
    items.append(f"<span>{_e(t('poster.legende_ungefaehr', lang))}</span>")
    items.append(f"<span>{_e(t('plakat.legende_gruppe', lang))}</span>")
    return f'<div class="legend">{"".join(items)}</div>'


def data_dates_html(rows: list[pd.Series], lang: str, today: date) -> str:
    """The data's own dates for a page of offers, as escaped HTML: the range of the dates the sources state
    (``stand_quelle``; how many state none), how many the provider has confirmed and when last, and the print
    date named as such. Never the print date as "Stand der Daten": paper printed today from 2020 data would
    look current."""
    stated = [cell_text(r.get("stand_quelle")).strip() for r in rows]
    dated = sorted(d for d in stated if d and d.lower() != "undatiert")  # JJJJ, JJJJ-MM, JJJJ-MM-TT sort as text
    undated = len(stated) - len(dated)
    checked = sorted(d for d in (cell_text(r.get("zuletzt_geprueft")).strip() for r in rows) if d)
    parts = []
    if dated and dated[0] != dated[-1]:
        parts.append(t_html("plakat.stand_spanne", lang, von=_ltr(dated[0]), bis=_ltr(dated[-1])))
    elif dated:
        parts.append(t_html("plakat.stand_tag", lang, datum=_ltr(dated[0])))
    if undated:
        parts.append(_e(t("plakat.stand_ohne_datum", lang, n=undated)))
    if checked:
        parts.append(t_html("plakat.bestaetigt", lang, n=str(len(checked)), gesamt=str(len(rows)),
                            datum=_ltr(checked[-1])))
    elif rows:
        parts.append(_e(t("plakat.bestaetigt_keins", lang)))
    parts.append(t_html("plakat.gedruckt", lang, datum=_ltr(today.isoformat())))
    return " ".join(parts)


def _footer(lang: str, url: str | None, dates_html: str, districts: gpd.GeoDataFrame, with_qr: bool = True) -> str:
    """Dates, sources, the district geometry's source and – with ``with_qr`` and only for a public address
    (:func:`public_url_problem`) – the QR code with the address written out. A local address is never printed:
    no QR code then."""
    text = "<br>".join([dates_html, _e(t("poster.quellen", lang)), _geometry_note_html(districts, lang)])
    if not with_qr or url is None or public_url_problem(url):
        return f'<div class="foot"><div>{text}</div></div>'
    return (f'<div class="foot"><img src="{qr_svg(url)}" alt="{_e(t("poster.qr_alt", lang))}">'
            f'<div><strong>{_e(t("poster.qr_text", lang))}</strong><br>{_ltr(url)}<br>{text}</div></div>')


def _header(title_html: str, subtitle: str, lang: str, url: str | None) -> str:
    """The poster's head: title and subtitle, beside them – only for a public address – the QR code with the
    address written out. At the top, so a poster running onto a second page keeps it on the first."""
    head = f'<div class="titles"><h1>{title_html}</h1><p class="sub">{_e(subtitle)}</p></div>'
    if url is not None and not public_url_problem(url):
        head += (f'<div class="qr"><img src="{qr_svg(url)}" alt="{_e(t("poster.qr_alt", lang))}">'
                 f'<div><strong>{_e(t("poster.qr_text", lang))}</strong><br>{_ltr(url)}</div></div>')
    return f'<div class="head">{head}</div>'


def _stand_html(row: pd.Series, lang: str) -> str:
    """The offer's date as the data gives it: the source's date and the last check, each named; else "unknown"."""
    stated = cell_text(row.get("stand_quelle")).strip()
    checked = cell_text(row.get("zuletzt_geprueft")).strip()
    parts = [t_html(key, lang, datum=value_html) for key, value, value_html in (
        ("handzettel.stand_quelle", stated,
         _e(t("stand.undatiert", lang)) if stated.lower() == "undatiert" else _ltr(stated)),
        ("handzettel.geprueft", checked, _ltr(checked))) if value]
    return "<br>".join(parts) or _e(t("handzettel.stand_unbekannt", lang))


def _offer_row(number: int | None, row: pd.Series, lang: str, extra_html: str = "") -> str:
    """One offer: number, symbol, name with address, opening hours ("unknown" when the data has none), phone,
    precision, ``extra_html`` (e.g. the distance) and the criteria it has no information for; description;
    the offer's date (:func:`_stand_html`)."""
    hf = HANDLUNGSFELD_BY_NAME.get(str(row.get("handlungsfeld", "")))
    badge = (f'<span class="sw" style="background:{hf.color}">{hf.symbol}</span>' if hf else "")
    description = cell_text(row.get("beschreibung_einfach")) or cell_text(row.get("beschreibung"))
    if len(description) > 280:
        description = description[:277].rsplit(" ", 1)[0] + " …"
    details = [f"<strong>{_de(row.get('name'))}</strong>"]
    for key, label in (("adresse", "popup.adresse"), ("oeffnungszeiten", "popup.zeiten"), ("telefon", "popup.telefon")):
        value = cell_text(row.get(key)).strip()
        if value:
            details.append(f"{_e(t(label, lang))}: {_de(value)}")
        elif key == "oeffnungszeiten":
            details.append(f"{_e(t(label, lang))}: {_e(t('handzettel.zeiten_unbekannt', lang))}")
    if row.get("lage_genauigkeit") in ("stadtteil", "strasse"):
        details.append(_e(t(f"popup.genau_{row['lage_genauigkeit']}", lang)))
    if extra_html:
        details.append(extra_html)
    unknown = [t(f"angabe.{key}", lang) for key in cell_text(row.get(UNKNOWN_COLUMN)).split(";") if key]
    if unknown:
        details.append(f'<em>{_e(" · ".join(unknown))}</em>')
    nr = "–" if number is None else str(number)
    return (f'<tr><td class="nr">{nr}</td><td>{badge}</td><td>{"<br>".join(details)}</td>'
            f'<td class="was">{_de(description) if description else ""}</td><td class="stand">{_stand_html(row, lang)}</td></tr>')


def _table(rows: list[str], lang: str) -> str:
    head = "".join(f"<th>{_e(t(k, lang))}</th>"
                   for k in ("poster.nr", "poster.feld", "poster.angebot", "poster.was", "handzettel.stand"))
    # columns: number, symbol, details, description, the offer's date
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _distance_html(row: pd.Series, lang: str) -> str:
    """The one distance rule of the nearest list and the handout (:func:`geo.render.offer_view.distance_text`)."""
    return _e(distance_text(row["distanz_m"], row["gehminuten"], row["lage_genauigkeit"], lang,
                            bool(row.get(IN_DISTRICT_COLUMN, False))))


def filter_summary_html(flt: OfferFilter, lang: str, districts: gpd.GeoDataFrame | None = None,
                        now: datetime | None = None) -> str:
    """What the filter chooses, in words, as escaped HTML with data text marked: "Bildung · Kinder · kostenlos ·
    geöffnet am 01.12.2026 um 14:30 Uhr · Suche: Deutsch", or "alle Angebote". Not named: the Handlungsfelder
    when all are chosen, and ended offers (never on paper)."""
    parts: list[str] = []
    fields = flt.handlungsfelder or ()
    if fields and set(fields) != {hf.name for hf in HANDLUNGSFELDER}:
        parts += [_e(t(f"handlungsfeld.{hf.key}", lang)) for hf in HANDLUNGSFELDER if hf.name in fields]
    parts += [_e(t(f"zielgruppe.{key}", lang)) for key in flt.zielgruppen]
    if flt.sprachen:
        parts.append(t_html("handzettel.sprachen", lang, sprachen=", ".join(_de(s) for s in flt.sprachen)))
    if flt.stadtteil_ids:
        names = dict(zip(districts["id"], districts["name"])) if districts is not None else {}
        parts.append(t_html("handzettel.stadtteil", lang,
                            stadtteil=", ".join(_de(names.get(i, i)) for i in flt.stadtteil_ids)))
    for flag in ("kostenlos", "barrierefrei"):
        if getattr(flt, flag):
            parts.append(_e(t(f"handzettel.{flag}", lang)))
    if flt.jetzt_offen and now is not None:
        parts.append(t_html("handzettel.offen", lang, datum=_ltr(f"{now:%d.%m.%Y}"), zeit=_ltr(f"{now:%H:%M}")))
    if flt.nur_belegt and flt.active_criteria():
        parts.append(_e(t("handzettel.nur_belegt", lang)))
    if flt.text.strip():
        parts.append(t_html("handzettel.suche", lang, text=_typed(flt.text.strip())))
    return " · ".join(parts) if parts else _e(t("handzettel.alle", lang))


def poster_html(data: Dataset, district_id: str, page_format: str = "A4", lang: str = "de",
                base_url: str | None = None, today: date | None = None) -> str:
    """The district poster as HTML (see :func:`poster_pdf`)."""
    check_language(lang)
    if page_format not in FORMATS:
        raise PosterError(f"Unbekanntes Format „{page_format}“. Möglich: {', '.join(FORMATS)}.")
    today = today or date.today()
    name = data.districts.loc[data.districts["id"] == district_id, "name"].iloc[0]
    numbered = district_offers(data, district_id)
    url = live_url(base_url, lang, st=district_id) if base_url else None
    parts = [_header(t_html("poster.titel", lang, stadtteil=_de(name)), t("poster.untertitel", lang), lang, url)]
    nearby = None
    if not numbered:
        nearby = nearby_offers(data, district_id)
        parts.append(f'<p class="hint">{t_html("poster.keine_angebote", lang, stadtteil=_de(name))}</p>')
    parts.append(f'<div class="map">{district_map_svg(data, district_id, numbered, lang, nearby)}</div>')
    parts.append(_legend(lang))
    if numbered:
        parts.append(f"<h2>{_e(t('poster.liste', lang, n=len(numbered)))}</h2>")
        parts.append(_table([_offer_row(n.number, n.row, lang) for n in numbered], lang))
        if any(n.number is None for n in numbered):
            parts.append(f"<p>{_e(t('poster.ohne_ort', lang))}</p>")
    else:
        assert nearby is not None  # set above when the district has no offers
        parts.append(f"<h2>{_e(t('poster.in_der_naehe', lang))}</h2>")
        parts.append(_table([_offer_row(None, row, lang, t_html("poster.in_stadtteil", lang,
                                                                 stadtteil=_de(row.get("stadtteil_name") or "–"))
                                        + " · " + _distance_html(row, lang))
                             for _, row in nearby.iterrows()], lang))
    shown = [n.row for n in numbered] or ([row for _, row in nearby.iterrows()] if nearby is not None else [])
    parts.append(_footer(lang, url, data_dates_html(shown, lang, today), data.districts, with_qr=False))
    return _document(lang, page_format, "".join(parts), t("poster.titel", lang, stadtteil=name))


def handout_html(data: Dataset, location: Location, lang: str = "de", base_url: str | None = None,
                 today: date | None = None, flt: OfferFilter | None = None, now: datetime | None = None) -> str:
    """The personal handout as HTML (see :func:`handout_pdf`)."""
    check_language(lang)
    today = today or date.today()
    location = location.rounded()  # measured from the point its link keeps, like the app's nearest list
    flt = (flt or OfferFilter()).replace(beendete=False)  # ended offers never go on paper
    if flt.jetzt_offen and now is None:
        raise ValueError("jetzt_offen braucht die Uhrzeit (now)")
    chosen = apply_filter(data.offers, flt, now)
    offers = chosen[has_location(chosen)]  # without a place an offer has no distance
    where = _de(location.label) if location.label else _ltr(f"{location.lat:.3f}, {location.lon:.3f}")
    choice = filter_summary_html(flt, lang, data.districts, now)
    parts = [f"<h1>{_e(t('poster.handout_titel', lang))}</h1>",
             f'<p class="sub">{t_html("poster.handout_ort", lang, ort=where)}</p>',
             f'<p class="auswahl">{t_html("handzettel.auswahl", lang, auswahl=choice)}</p>',
             f"<p>{_e(walking_assumption(lang))}</p>"]
    nearest = nearest_offers(offers, location.lon, location.lat, k=None, points=offer_points(offers),
                             home_district=district_at(data.districts, location.lon, location.lat))
    for hf in HANDLUNGSFELDER:
        if flt.handlungsfelder is not None and hf.name not in flt.handlungsfelder:
            continue
        part = nearest[nearest["handlungsfeld"] == hf.name].head(PER_FIELD)
        parts.append(f'<h2><span class="sw" style="background:{hf.color}">{hf.symbol}</span>'
                     f'{_e(t(f"handlungsfeld.{hf.key}", lang))}</h2>')
        if part.empty:
            parts.append(f"<p>{_e(t('naehe.keine', lang))}</p>")
            continue
        parts.append(_table([_offer_row(i, row, lang, _distance_html(row, lang))
                             for i, (_, row) in enumerate(part.iterrows(), start=1)], lang))
    url = live_url(base_url, lang, **state_to_params(ViewState(flt, location))) if base_url else None
    printed = [row for hf in HANDLUNGSFELDER for _, row in nearest[nearest["handlungsfeld"] == hf.name].head(PER_FIELD)
               .iterrows() if flt.handlungsfelder is None or hf.name in flt.handlungsfelder]
    parts.append(_footer(lang, url, data_dates_html(printed, lang, today), data.districts))
    return _document(lang, "A4", "".join(parts), t("poster.handout_titel", lang))


def render_pdf(document: str) -> bytes:
    """HTML → PDF with WeasyPrint (needs Debian's Pango: libpango-1.0-0, libpangoft2-1.0-0)."""
    from weasyprint import HTML

    return HTML(string=document).write_pdf()


def poster_pdf(data: Dataset, district: str, page_format: str = "A4", lang: str = "de",
               base_url: str | None = None, today: date | None = None) -> bytes:
    """A district poster: the district and its neighbours' outlines, numbered offers coloured by Handlungsfeld,
    legend, numbered list (name, address, hours, phone, short description, the offer's date), the data's own
    dates (:func:`data_dates_html`), credits and – for a public ``base_url`` only (:func:`public_url_problem`) – a
    QR code to the live map filtered to the district. A district without offers gets a poster that says so and
    lists the nearest offers elsewhere. ``district`` is a name or id."""
    return render_pdf(poster_html(data, find_district(data.districts, district), page_format, lang, base_url, today))


def handout_pdf(data: Dataset, location: Location, lang: str = "de", base_url: str | None = None,
                today: date | None = None, flt: OfferFilter | None = None, now: datetime | None = None) -> bytes:
    """A4 handout for one location: the nearest offers matching ``flt`` (default: every current offer) per chosen
    Handlungsfeld, with distance, opening hours (or "unknown"), the offer's date and what it has no information
    for; the choice in words, and – for a public ``base_url`` only – a QR code back to that view (location and
    filter). ``now`` (Europe/Berlin) is needed when the filter asks for offers open now."""
    return render_pdf(handout_html(data, location, lang, base_url, today, flt, now))
