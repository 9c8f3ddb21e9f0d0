"""What frames every page: language picker, ``<html lang dir>``, data notices, alerts, styles and the footer."""
from __future__ import annotations

import base64
import html
import json
from datetime import datetime
from functools import cache
from pathlib import Path

import pandas as pd
import streamlit as st

from app.cache import dataset
from app.state import LANG_STATE, lang, tr
from geo.config import STATIC_DIR
from geo.data.attributes import TIMEZONE
from geo.data.legal import LEGAL_PAGES
from geo.data.problems import DataFileError
from geo.dataset import Dataset, LoadedFile
from geo.formatting import format_number
from geo.i18n import DEFAULT_LANG, available_languages, html_lang, text_direction
from geo.render.assets import map_asset_paths
from geo.render.offer_view import offer_card_html


def language_picker() -> None:
    languages = available_languages()
    codes = list(languages)
    choice = st.sidebar.selectbox(tr("app.sprache"), codes, index=codes.index(lang()), format_func=languages.get)
    if choice != lang():
        st.session_state[LANG_STATE] = choice
        if choice == DEFAULT_LANG:
            st.query_params.pop("lang", None)
        else:
            st.query_params["lang"] = choice
        st.rerun()


PRINT_STYLE_JS = """;(() => { let s = document.getElementById("qk-print-css");
  if (!s) { s = document.createElement("style"); s.id = "qk-print-css"; document.head.appendChild(s); }
  s.textContent = CSS; })();"""
"""Puts ``static/qk/qk-print.css`` (``CSS``) into ``<head>`` once, updating it on later runs."""


def keep_language() -> None:
    """Put the session's language back into the URL (so links stay shareable) and into ``<html lang dir>``.

    Streamlit's page template says ``lang="en"`` whatever the content; screen
    readers pick the voice from it (WCAG 3.1.1). Arabic and Persian flip the
    whole page to right-to-left.
    """
    code = lang()
    if code != DEFAULT_LANG and st.query_params.get("lang") != code:
        st.query_params["lang"] = code
    script = (f"document.documentElement.lang = {json.dumps(html_lang(code))};"
              f"document.documentElement.dir = {json.dumps(text_direction(code))};")
    script += (STATIC_DIR / "qk" / "qk-app.js").read_text(encoding="utf-8")
    # paper (print_table): in <head>, where a rerun replacing the page's elements cannot take it away mid-print
    script += PRINT_STYLE_JS.replace("CSS", json.dumps((STATIC_DIR / "qk" / "qk-print.css").read_text(encoding="utf-8")))
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)
    st.html(f"<style>{(STATIC_DIR / 'qk' / 'qk-app.css').read_text(encoding='utf-8')}</style>")
    if text_direction(code) == "rtl":
        st.html(f"<style>{(STATIC_DIR / 'qk' / 'qk-rtl.css').read_text(encoding='utf-8')}</style>")


COMPONENT_CHUNKS = ("BidiComponent",)
"""Streamlit frontend chunk (file name before the content hash) loaded lazily for the map frame's component."""


@cache
def map_preload_files() -> tuple[tuple[str, str], ...]:
    """``(kind, URL relative to the app root)`` of the files a map frame needs that the browser may keep:
    Streamlit's lazily loaded chunk for the component (``module``: an ES module, preloaded as one or the browser
    fetches it twice), and the map's own scripts and stylesheets. Looked up once per process (the installed
    packages and ``static/`` do not change while it runs)."""
    # Streamlit's own code for a component is a chunk it fetches only when the first component appears
    chunks = Path(st.__file__).parent / "static" / "static" / "js"
    files = [("module", f"static/js/{c.name}") for prefix in COMPONENT_CHUNKS for c in sorted(chunks.glob(f"{prefix}.*.js"))[:1]]
    files += [("style" if path.endswith(".css") else "script", f"app/static/{path}") for path in map_asset_paths()]
    return tuple(files)


def preload_map_assets() -> None:
    """Ask the browser for the map frame's files while the page script still runs.

    Without this the chain is serial: the map's delta arrives, the component's bundle loads, the frame's HTML
    arrives, and only then does it request Leaflet and the plugins one after another. Preloaded (same host, so
    nothing changes for privacy), they are in the browser's cache by the time the frame asks for them.
    """
    # st.html strips <link> elements; a script adds them to <head>, once per page load
    st.html(f"""<script>{json.dumps(map_preload_files())}.forEach(([kind, href]) => {{
        if (document.querySelector(`link[href="${{href}}"]`)) return;
        const link = document.createElement("link");
        if (kind === "module") {{ link.rel = "modulepreload"; }} else {{ link.rel = "preload"; link.as = kind; }}
        link.href = href;
        document.head.appendChild(link);
    }});</script>""", unsafe_allow_javascript=True)


def dataset_or_stop() -> Dataset:
    """The dataset, or a clear German message naming the broken file (no traceback)."""
    try:
        data = dataset()
    except DataFileError as exc:
        st.error(tr("app.datenfehler", meldung=str(exc.problem)))
        st.stop()
    if data.store_problem is not None:  # details (file, cause, how to restore) in the log and the Redaktion
        if data.snapshot_time is not None:
            st.warning(tr("app.datenbank_letzter_stand", zeit=f"{data.snapshot_time.astimezone(TIMEZONE):%d.%m.%Y %H:%M}"),
                       icon=":material/database:")
        else:
            st.error(tr("app.datenbank_nicht_lesbar"), icon=":material/database:")
    return data


FAILOVER_SHOWN = "qk_umgezogen_gemeldet"


def failover_notice() -> None:
    """Once per session: say so when this session began on another app process that has gone away.

    nginx sets the cookie ``qk_sitzung`` to the process (``127.0.0.1:<port>``) when a session's WebSocket opens
    (``deploy/nginx/quartierskarte-maps.conf``). When that process dies, Streamlit's page reconnects by itself and
    nginx sends it here – with the old cookie still in the request. Everything saved is in the store; what the
    visitor had typed but not saved, and downloads in preparation, were in the old process.
    """
    if st.session_state.get(FAILOVER_SHOWN):
        return
    st.session_state[FAILOVER_SHOWN] = True
    served_by = str(st.context.cookies.get("qk_sitzung", "")).split(",")[-1].strip()
    if served_by and served_by.rsplit(":", 1)[-1] != str(st.get_option("server.port")):
        st.info(tr("app.anderer_prozess"), icon=":material/sync:")


def plain_alert(text: str, kind: str = "warning") -> None:
    """A warning or error whose text contains data (offer names, values from a file, what a visitor typed):
    escaped HTML, never Markdown — Streamlit's alerts would render links and autolink any URL in it."""
    role = "alert" if kind == "error" else "status"
    st.html(f'<div class="qk-alert qk-alert-{kind}" role="{role}">{html.escape(text)}</div>')


def schematic_notice(data: Dataset) -> None:
    if data.schematic:
        st.info(tr("app.hinweis_schematisch"), icon=":material/info:")


def data_problem_notice(data: Dataset) -> None:
    """A short line for users, full details on the Datenquellen page.

    A file-level error (empty, binary, header missing) is an error, not a
    footnote: the map would otherwise just look empty.
    """
    for problem in data.problems:
        if problem.schwere == "fehler" and problem.zeile is None:
            st.error(tr("app.dateifehler", meldung=str(problem)))
    n_rejected = sum(len(r) for r in data.rejected.values())
    if n_rejected:
        st.warning(tr("app.abgelehnte_zeilen", n=n_rejected))


def pdf_unavailable() -> str | None:
    """Why PDFs cannot be made here (WeasyPrint or Pango missing), or ``None``."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        return str(exc).splitlines()[0]
    return None


def list_styles() -> None:
    """The stylesheet of offer cards and lists (``static/qk/qk-liste.css``) for a page that shows them."""
    st.html(f"<style>{(STATIC_DIR / 'qk' / 'qk-liste.css').read_text(encoding='utf-8')}</style>")


def print_cell(value: object, ui_lang: str) -> str:
    """One table cell as printed text: empty for a missing value, whole numbers without decimals, others with one
    decimal in the language's format (as the screen table shows them)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return format_number(number, 0 if number.is_integer() else 1, ui_lang)
    return str(value)


def print_table_html(table: pd.DataFrame, caption: str = "", on_screen: bool = False) -> str:
    """``table`` as an escaped HTML ``<table>``, every row and column. Cells are data (offer names, values from a
    file): all escaped.

    Default: for paper only, hidden on screen (``static/qk/qk-print.css``): ``st.dataframe`` is a canvas grid that
    prints only the rows and columns scrolled into view; in print it is hidden and this table is shown instead.
    ``on_screen``: the same table shown on screen too, in a scroll box the keyboard can scroll (a region named by
    ``caption``), and printed in full – in place of a ``st.dataframe`` where that grid's code would cost too much
    (on the map page it loads about 35 files and delayed the map by most of a second)."""
    ui_lang = lang()
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in table.columns)
    body = "".join("<tr>" + "".join(_print_td(print_cell(v, ui_lang)) for v in row) + "</tr>"
                   for row in table.itertuples(index=False, name=None))
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    markup = f'<table class="qk-print-table">{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    if on_screen:
        return (f'<div class="qk-table-box" role="region" tabindex="0" aria-label="{html.escape(caption)}">'
                f"{markup}</div>")
    return f'<div class="qk-print-only">{markup}</div>'


def _print_td(text: str) -> str:
    # long text (sources, URLs) may break anywhere; short values (numbers, names) only at spaces, so that a column
    # of figures is not squeezed to a few letters beside a column of links
    return f'<td class="qk-lang">{html.escape(text)}</td>' if len(text) > 40 else f"<td>{html.escape(text)}</td>"


def print_table(table: pd.DataFrame, caption: str = "") -> None:
    """Put the print version of a ``st.dataframe`` right after it: see :func:`print_table_html`."""
    st.html(print_table_html(table, caption))


def print_cards(offers: pd.DataFrame, ui_lang: str, now: datetime) -> None:
    """Offer cards (``offer_card_html``, every value escaped) that only go on paper, hidden on screen: the rows of
    a paginated list that are not on the page shown (``app/pages/angebote.py``)."""
    if len(offers):
        cards = "".join(offer_card_html(offer, ui_lang, heading_level=2, now=now) for _, offer in offers.iterrows())
        st.html(f'<div class="qk-print-only qk-print-cards">{cards}</div>')


def print_chart(png: bytes, alt: str) -> None:
    """A chart's static image that only goes on paper, in place of the interactive chart (hidden in print by
    ``static/qk/qk-print.css``); ``alt`` is escaped."""
    st.html(f'<div class="qk-print-only qk-print-chart">{png_img_html(png, alt)}</div>')


def html_table(table: pd.DataFrame, caption: str) -> None:
    """``table`` as a plain HTML table on screen and on paper (:func:`print_table_html` with ``on_screen``)."""
    st.html(print_table_html(table, caption, on_screen=True))


def png_img_html(png: bytes, alt: str) -> str:
    """A PNG as an ``<img>`` with alt text (``st.image`` writes none); ``alt`` is escaped."""
    return (f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" alt="{html.escape(alt)}" '
            'style="max-width: 100%; height: auto;">')


def loaded_file_origin(loaded: LoadedFile) -> str:
    """Where a loaded file comes from, for the Datenquellen page: shipped, published in the Redaktion (by whom,
    when, with which source) or the operator's own file."""
    if loaded.publication:
        publication = loaded.publication
        return tr("quellen.herkunft_veroeffentlicht", datum=local_date(publication["am"]), von=publication["von"],
                  datei=publication["dateiname"], quelle=publication["quelle"])
    if loaded.shipped:
        return tr(f"quellen.herkunft_{loaded.role}")
    return tr("quellen.herkunft_betreiber", datei=loaded.path.name)


def local_date(stamp: str) -> str:
    """An ISO timestamp (UTC) as the local date, ``dd.mm.yyyy`` (German offices' format in every language)."""
    from datetime import datetime

    try:
        return f"{datetime.fromisoformat(stamp).astimezone(TIMEZONE):%d.%m.%Y}"
    except ValueError:
        return stamp


def data_credits(data: Dataset) -> list[str]:
    """One credit per input actually loaded: the shipped sources, a publication of the Redaktion with the source
    given there, or the operator's own file by name (the footer and the exports' metadata)."""
    parts = []
    for loaded in data.files:
        if loaded.publication:
            parts.append(tr("fusszeile.veroeffentlicht", rolle=tr(f"fusszeile.rolle_{loaded.role}"),
                            quelle=loaded.publication["quelle"]))
        elif loaded.shipped:
            key = "stadtteile_schematisch" if loaded.role == "stadtteile" and data.schematic else loaded.role
            parts.append(tr(f"fusszeile.{key}"))
        else:
            parts.append(tr("fusszeile.eigene_datei", rolle=tr(f"fusszeile.rolle_{loaded.role}"), datei=loaded.path.name))
    return parts


def footer() -> None:
    """Credits for the data actually loaded (:func:`data_credits`), then the legal links."""
    parts = data_credits(dataset())
    st.divider()
    st.caption(" · ".join([tr("app.titel"), *parts, tr("fusszeile.schluss")]))
    suffix = "" if lang() == DEFAULT_LANG else f"?lang={lang()}"
    links = "".join(f'<a href="{name}{suffix}" target="_self">{html.escape(tr(f"rechtliches.{name}"))}</a>'
                    for name in LEGAL_PAGES)
    st.html(f'<nav class="qk-fusslinks" aria-label="{html.escape(tr("rechtliches.navigation"))}">{links}</nav>')
