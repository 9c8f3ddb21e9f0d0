"""The map frame: streamlit-folium's component, fed with arguments that are built once per map and shared.

``st_folium`` turns the folium map into the frame's arguments (HTML, header, Leaflet script, asset links) on every
script run: with 10,000 offers that is a second of server time per visit, and with the shipped data it still
delays the map's delta behind the rest of the page. :func:`frame_args` does the same steps once (the cache in
:mod:`app.cache` keeps the result), and :func:`map_frame` hands them to the same component – the browser gets
exactly what ``st_folium`` would send (``tests/app/test_mapframe.py`` compares the two).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import folium
import streamlit as st
import streamlit_folium


@dataclass(frozen=True)
class FrameArgs:
    """What the component needs from one map (see ``streamlit_folium.st_folium``); read-only, shared."""

    script: str
    header: str
    html: str
    map_id: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    bounds: list
    zoom: object
    script_hash: str
    """``streamlit_folium.generate_js_hash`` of the script (without the widget key)."""


def frame_args(fmap: folium.Map) -> FrameArgs:
    """The component's arguments for ``fmap``, as ``st_folium`` computes them (it renames ``fmap``'s elements in
    place: pass a map that is not used again)."""
    fmap.get_root().render()
    fmap.render()
    html = streamlit_folium._get_html(fmap)
    header = streamlit_folium._get_header(fmap)
    script = streamlit_folium._get_map_string(fmap)
    css: list[str] = []
    js: list[str] = []
    for element in _walk(fmap):
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    return FrameArgs(script=script, header=header, html=html, map_id=streamlit_folium.get_full_id(fmap),
                     css_links=tuple(dict.fromkeys(css)), js_links=tuple(dict.fromkeys(js)),
                     bounds=fmap.get_bounds(), zoom=fmap.options.get("zoom"),
                     script_hash=streamlit_folium.generate_js_hash(script, None, False))


def _walk(element):
    if isinstance(element, folium.elements.JSCSSMixin):
        yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def map_frame(args: FrameArgs, key: str, height: int, returned_objects: list[str],
              on_change: Callable[[], None] | None = None) -> dict:
    """Show the map of ``args`` full width, as ``st_folium(..., key=key, use_container_width=True)`` would.

    ``returned_objects``: the only keys the frame reports back (``[]``: panning and zooming never rerun)."""
    (south, west), (north, east) = args.bounds if args.bounds else ((None, None), (None, None))
    defaults = {"last_clicked": None, "last_object_clicked": None, "last_object_clicked_count": None,
                "last_object_clicked_tooltip": None, "last_object_clicked_popup": None, "all_drawings": None,
                "last_active_drawing": None,
                "bounds": {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}},
                "zoom": args.zoom, "last_circle_radius": None, "last_circle_polygon": None, "selected_layers": None,
                "selected_tags": None, "last_geocoder_result": None}
    # st_folium's widget key: a hash of the script with the variable suffixes removed, plus the key
    widget_key = streamlit_folium.generate_js_hash(args.script_hash, key, False)

    def changed() -> None:
        st.session_state[key] = st.session_state.get(widget_key, {})
        if on_change is not None:
            on_change()

    return streamlit_folium._component_func(
        script=args.script, header=args.header, html=args.html, id=args.map_id, key=widget_key, height=height,
        width=None, returned_objects=returned_objects,
        default={k: v for k, v in defaults.items() if k in returned_objects}, zoom=None, center=None,
        feature_group=None, return_on_hover=False, layer_control=None, pixelated=False,
        css_links=list(args.css_links), js_links=list(args.js_links), on_change=changed, wrap_longitude=False)
