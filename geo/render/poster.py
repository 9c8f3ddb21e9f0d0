"""The analog Quartierskarte: a district poster (A3/A4) and a personal handout (A4) as PDF, in every UI language.

HTML + CSS rendered by WeasyPrint (Pango shapes Arabic and Persian correctly
and lays out right-to-left text); the map is a matplotlib SVG drawn in
EPSG:25832 (no tile server: the PDF is made offline); the QR code is an SVG
from segno. Every offer text is HTML-escaped and marked as German
(``<bdi lang="de">``), so that inside an Arabic page it keeps its own direction.
"""
from __future__ import annotations

import html
import io
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import pandas as pd

from geo.analysis.join import has_location
from geo.analysis.location import Location
from geo.analysis.nearest import nearest_offers, offer_points
from geo.config import HANDLUNGSFELD_BY_NAME, HANDLUNGSFELDER, METRIC_CRS
from geo.data.districts import geometry_note
from geo.dataset import Dataset
from geo.i18n import available_languages, html_lang, t, text_direction
from geo.render.offer_view import distance_text, walking_assumption
from geo.text import german_sort_key, slugify

FORMATS = {"A4": (210, 297), "A3": (297, 420)}
"""Page sizes in millimetres (portrait)."""
FONT_STACK = '"DejaVu Sans", "Noto Sans", "Noto Sans Arabic", sans-serif'
"""DejaVu Sans (Debian fonts-dejavu-core) covers Latin, Cyrillic, Arabic and Persian; Noto where installed."""
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

def district_map_svg(data: Dataset, district_id: str, numbered: list[NumberedOffer], lang: str,
                     extra_points: pd.DataFrame | None = None) -> str:
    """The district, its neighbours' outlines and names, and the numbered offers (colour + letter per
    Handlungsfeld; dashed ring = approximate place; offers at one point share one marker "1, 2, 3") as SVG."""
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
                ax.annotate(str(name), (point.x, point.y), ha="center", va="center", fontsize=8, color="#555555")
        located = [n for n in numbered if n.number is not None]
        groups: dict[tuple[float, float], list[NumberedOffer]] = {}
        if located:
            frame = gpd.GeoDataFrame([n.row for n in located], geometry=[n.row.geometry for n in located],
                                     crs="EPSG:4326").to_crs(METRIC_CRS)
            for n, geom in zip(located, frame.geometry):
                groups.setdefault((round(geom.x, 1), round(geom.y, 1)), []).append(n)
        for (x, y), members in groups.items():
            fields = {m.row["handlungsfeld"] for m in members}
            colour = HANDLUNGSFELD_BY_NAME[fields.pop()].color if len(fields) == 1 else "#3d3d3d"
            approx = any(m.row["lage_genauigkeit"] != "adresse" for m in members)
            label = ", ".join(str(m.number) for m in members)
            ax.annotate(label, (x, y), ha="center", va="center", fontsize=9, color="white", fontweight="bold",
                        bbox={"boxstyle": "circle,pad=0.35" if len(members) == 1 else "round,pad=0.35", "fc": colour,
                              "ec": "black", "lw": 1.2, "ls": "--" if approx else "-"}, zorder=5)
        if extra_points is not None and len(extra_points):
            extra = extra_points.to_crs(METRIC_CRS)
            ax.scatter(extra.geometry.x, extra.geometry.y, s=50, c="#3d3d3d", marker="s", zorder=4)
            xs = [*extra.geometry.x, xmin, xmax]
            ys = [*extra.geometry.y, ymin, ymax]
            xmin, xmax, ymin, ymax = min(xs), max(xs), min(ys), max(ys)
        ax.set_xlim(xmin - pad, xmax + pad)
        ax.set_ylim(ymin - pad, ymax + pad)
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
    """Offer text: German, in its own direction inside any page."""
    return f'<bdi lang="de">{_e(value)}</bdi>'


def _css(page_size: str, lang: str) -> str:
    return f"""
    @page {{ size: {page_size} portrait; margin: 12mm 12mm 14mm 12mm;
             @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; }} }}
    html {{ font-family: {FONT_STACK}; font-size: {'9.5pt' if page_size == 'A3' else '8.5pt'}; color: #111; }}
    h1 {{ font-size: 2.2em; margin: 0 0 .2em; }}
    .sub {{ color: #333; margin: 0 0 .6em; }}
    .map svg {{ width: 100%; height: auto; max-height: {'230mm' if page_size == 'A3' else '140mm'}; }}
    .legend {{ display: flex; flex-wrap: wrap; gap: .3em 1.2em; margin: .3em 0 .8em; font-size: .95em; }}
    .sw {{ display: inline-block; min-width: 1.4em; text-align: center; color: #fff; font-weight: bold;
           border-radius: 50%; padding: 0 .2em; margin-inline-end: .3em; }}
    table {{ width: 100%; border-collapse: collapse; }}
    th, td {{ text-align: start; vertical-align: top; padding: .25em .4em; border-bottom: .5pt solid #bbb;
              overflow-wrap: anywhere; hyphens: manual; }}
    th {{ background: #eee; white-space: nowrap; }}
    /* offer text is German: a left-to-right run also inside an Arabic or Persian page
       (WeasyPrint 70 knows unicode-bidi: embed, not isolate) */
    bdi {{ direction: ltr; unicode-bidi: embed; }}
    td.nr {{ width: 2.2em; font-weight: bold; text-align: center; }}
    tr {{ break-inside: avoid; }}
    .hint {{ border-inline-start: 3pt solid #8a4b00; background: #fff4e5; padding: .3em .6em; margin: .5em 0; }}
    .foot {{ display: flex; gap: 1em; align-items: flex-start; margin-top: 1em; font-size: .85em; color: #333;
             break-inside: avoid; }}
    .foot img {{ width: 30mm; height: 30mm; }}
    h2 {{ font-size: 1.3em; margin: 1em 0 .3em; break-after: avoid; }}
    """


def _document(lang: str, page_size: str, body: str, title: str) -> str:
    return (f'<!DOCTYPE html><html lang="{_e(html_lang(lang))}" dir="{text_direction(lang)}"><head>'
            f'<meta charset="utf-8"><title>{_e(title)}</title><style>{_css(page_size, lang)}</style></head>'
            f"<body>{body}</body></html>")


def _legend(lang: str) -> str:
    items = [f'<span><span class="sw" style="background:{hf.color}">{hf.symbol}</span>'
             f'{_e(t(f"handlungsfeld.{hf.key}", lang))}</span>' for hf in HANDLUNGSFELDER]
    items.append(f"<span>{_e(t('poster.legende_ungefaehr', lang))}</span>")
    return f'<div class="legend">{"".join(items)}</div>'


def _footer(lang: str, url: str, today: date, districts: gpd.GeoDataFrame) -> str:
    lines = [t("poster.stand", lang, datum=today.isoformat()), t("poster.quellen", lang), geometry_note(districts, lang)]
    text = "<br>".join(_e(line) for line in lines)
    return (f'<div class="foot"><img src="{qr_svg(url)}" alt="{_e(t("poster.qr_alt", lang))}">'
            f'<div><strong>{_e(t("poster.qr_text", lang))}</strong><br><span dir="ltr">{_e(url)}</span><br>{text}</div></div>')


def _offer_row(number: int | None, row: pd.Series, lang: str, extra: str = "") -> str:
    hf = HANDLUNGSFELD_BY_NAME.get(str(row.get("handlungsfeld", "")))
    badge = (f'<span class="sw" style="background:{hf.color}">{hf.symbol}</span>' if hf else "")
    description = row.get("beschreibung_einfach") or row.get("beschreibung") or ""
    if len(str(description)) > 280:
        description = str(description)[:277].rsplit(" ", 1)[0] + " …"
    details = [f"<strong>{_de(row.get('name'))}</strong>"]
    for key, label in (("adresse", "popup.adresse"), ("oeffnungszeiten", "popup.zeiten"), ("telefon", "popup.telefon")):
        value = row.get(key)
        if value is not None and str(value).strip() and str(value) == str(value):
            details.append(f"{_e(t(label, lang))}: {_de(value)}")
    if row.get("lage_genauigkeit") in ("stadtteil", "strasse"):
        details.append(_e(t(f"popup.genau_{row['lage_genauigkeit']}", lang)))
    if extra:
        details.append(_e(extra))
    nr = "–" if number is None else str(number)
    return (f'<tr><td class="nr">{nr}</td><td>{badge}</td><td>{"<br>".join(details)}</td>'
            f"<td>{_de(description)}</td></tr>")


def _table(rows: list[str], lang: str) -> str:
    head = "".join(f"<th>{_e(t(k, lang))}</th>" for k in ("poster.nr", "poster.feld", "poster.angebot", "poster.was"))
    # column widths: number, symbol, details, description
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def poster_html(data: Dataset, district_id: str, page_format: str = "A4", lang: str = "de",
                base_url: str = "http://localhost:8501", today: date | None = None) -> str:
    """The district poster as HTML (see :func:`poster_pdf`)."""
    check_language(lang)
    if page_format not in FORMATS:
        raise PosterError(f"Unbekanntes Format „{page_format}“. Möglich: {', '.join(FORMATS)}.")
    today = today or date.today()
    name = data.districts.loc[data.districts["id"] == district_id, "name"].iloc[0]
    numbered = district_offers(data, district_id)
    parts = [f"<h1>{_e(t('poster.titel', lang, stadtteil=name))}</h1>",
             f'<p class="sub">{_e(t("poster.untertitel", lang))}</p>']
    nearby = None
    if not numbered:
        nearby = nearby_offers(data, district_id)
        parts.append(f'<p class="hint">{_e(t("poster.keine_angebote", lang, stadtteil=name))}</p>')
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
        parts.append(_table([_offer_row(None, row, lang, t("poster.in_stadtteil", lang, stadtteil=row.get("stadtteil_name") or "–")
                                        + " · " + distance_text(row["distanz_m"], row["gehminuten"], row["lage_genauigkeit"], lang))
                             for _, row in nearby.iterrows()], lang))
    parts.append(_footer(lang, live_url(base_url, lang, st=district_id), today, data.districts))
    return _document(lang, page_format, "".join(parts), t("poster.titel", lang, stadtteil=name))


def handout_html(data: Dataset, location: Location, lang: str = "de", base_url: str = "http://localhost:8501",
                 today: date | None = None) -> str:
    """The personal handout as HTML (see :func:`handout_pdf`)."""
    check_language(lang)
    today = today or date.today()
    offers = data.offers[(data.offers["status"] != "beendet") & has_location(data.offers)]
    points = offer_points(offers)
    where = location.label or f"{location.rounded().lat:.3f}, {location.rounded().lon:.3f}"
    parts = [f"<h1>{_e(t('poster.handout_titel', lang))}</h1>",
             f'<p class="sub">{_e(t("poster.handout_ort", lang, ort=where))}</p>',
             f"<p>{_e(walking_assumption(lang))}</p>"]
    nearest = nearest_offers(offers, location.lon, location.lat, k=None, points=points)
    for hf in HANDLUNGSFELDER:
        part = nearest[nearest["handlungsfeld"] == hf.name].head(PER_FIELD)
        parts.append(f'<h2><span class="sw" style="background:{hf.color}">{hf.symbol}</span>'
                     f'{_e(t(f"handlungsfeld.{hf.key}", lang))}</h2>')
        if part.empty:
            parts.append(f"<p>{_e(t('naehe.keine', lang))}</p>")
            continue
        parts.append(_table([_offer_row(i, row, lang, distance_text(row["distanz_m"], row["gehminuten"],
                                                                       row["lage_genauigkeit"], lang))
                             for i, (_, row) in enumerate(part.iterrows(), start=1)], lang))
    url = live_url(base_url, lang, ort=location.url_value())
    parts.append(_footer(lang, url, today, data.districts))
    return _document(lang, "A4", "".join(parts), t("poster.handout_titel", lang))


def render_pdf(document: str) -> bytes:
    """HTML → PDF with WeasyPrint (needs Debian's Pango: libpango-1.0-0, libpangoft2-1.0-0)."""
    from weasyprint import HTML

    return HTML(string=document).write_pdf()


def poster_pdf(data: Dataset, district: str, page_format: str = "A4", lang: str = "de",
               base_url: str = "http://localhost:8501", today: date | None = None) -> bytes:
    """A district poster: the district and its neighbours' outlines, numbered offers coloured by Handlungsfeld,
    legend, numbered list (name, address, hours, phone, short description), data date, credits and a QR code
    to the live map filtered to the district. A district without offers gets a poster that says so and
    lists the nearest offers elsewhere. ``district`` is a name or id."""
    return render_pdf(poster_html(data, find_district(data.districts, district), page_format, lang, base_url, today))


def handout_pdf(data: Dataset, location: Location, lang: str = "de", base_url: str = "http://localhost:8501",
                today: date | None = None) -> bytes:
    """A4 handout for one location: the nearest offers per Handlungsfeld with walking time and hours, a QR
    code back to that view."""
    return render_pdf(handout_html(data, location, lang, base_url, today))
