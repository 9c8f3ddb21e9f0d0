"""The map frame: a folium map as one finished HTML document, shown in an iframe by a small Streamlit component.

:func:`map_document` renders the map once (the cache in :mod:`app.cache` keeps the result for every visitor);
:func:`map_frame` hands it to the component in ``static/qk/qk-frame.js``, which writes it into an iframe's
``srcdoc`` and reports taps on the map back. streamlit-folium's component did the same job with a detour that
cost most of a second before the first marker: its frame loaded its own page and a 225 KB React bundle, waited for
the arguments by message, then fetched Leaflet and the plugins one after another (``bench/README.md``).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from html import escape

import folium
import streamlit as st

from geo.config import STATIC_DIR

COMPONENT_NAME = "qk_map_frame"
FRAME_CLASS = "qk-map-frame"
"""CSS class of the iframe that holds the map (tests and bench find the map by it)."""


@dataclass(frozen=True)
class MapDocument:
    """One map as a standalone HTML document; read-only, shared by all sessions."""

    html: str
    """The whole document. Asset links are relative to the app root (the component sets ``<base>``)."""
    title: str
    """The map's name: the document's ``<title>`` and the iframe's ``title`` (read by screen readers)."""
    map_id: str
    """The Leaflet map's variable name in the document."""
    digest: str
    """SHA-1 of ``html``: the browser replaces its frame only when this changes."""


def map_document(fmap: folium.Map, title: str) -> MapDocument:
    """``fmap`` rendered as a standalone document titled ``title`` whose last script hands the Leaflet map to the
    frame's owner (for tap-to-locate). Renders ``fmap`` in place: pass a map that is not used again."""
    html = fmap.get_root().render().replace("<head>", f"<head>\n<title>{escape(title)}</title>", 1)
    map_id = fmap.get_name()
    # window.frameElement is the iframe in the page (same origin: srcdoc); outside a frame nothing happens.
    # window.map: the one name under which scripts (and the browser tests) find the map in any document.
    ready = (f"<script>window.map = {map_id}; if (window.frameElement && window.frameElement.qkReady) "
             f"window.frameElement.qkReady({map_id});</script>")
    html = html.rstrip()
    html = html[: -len("</html>")] + ready + "\n</html>" if html.endswith("</html>") else html + ready
    return MapDocument(html=html, title=title, map_id=map_id, digest=hashlib.sha1(html.encode("utf-8")).hexdigest())


@cache
def _component():
    """The component, registered once per process (its code is read from ``static/qk/qk-frame.js``)."""
    js = (STATIC_DIR / "qk" / "qk-frame.js").read_text(encoding="utf-8")
    # isolate_styles=False: no shadow root, so the page's print and RTL rules reach the frame element
    return st.components.v2.component(COMPONENT_NAME, js=js, isolate_styles=False)


def map_frame(doc: MapDocument, key: str, height: int, report_clicks: bool = False) -> dict | None:
    """Show ``doc`` full width, ``height`` pixels high, in an iframe titled ``doc.title``.

    Returns ``{"lat": …, "lng": …}`` (WGS84 degrees) in the run that a tap on the map started when
    ``report_clicks``; otherwise ``None``. Panning and zooming never rerun the script.
    """
    result = _component()(key=key, data={"html": doc.html, "digest": doc.digest, "title": doc.title,
                                         "height": height, "report_clicks": report_clicks},
                          height=height, on_click_change=_ignore)
    clicked = getattr(result, "click", None)
    return dict(clicked) if clicked else None


def _ignore() -> None:
    """The component reports a tap as the trigger ``click``; registering a callback makes Streamlit keep it."""
