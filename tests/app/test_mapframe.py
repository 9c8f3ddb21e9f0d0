"""The map frame (``app.widgets.mapframe``): one finished document per map, built once per filter and focus, with
links to the app's own assets only, and the hook that reports taps back."""
import re
from pathlib import Path

import folium
import pytest
from conftest import map_frames
from streamlit.testing.v1 import AppTest

from app.widgets.mapframe import map_document

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("fresh_app_cache")


def test_map_document_is_the_whole_map_with_a_ready_hook_after_the_map():
    """The last script hands the Leaflet map to the iframe's owner (``window.frameElement.qkReady``); it must run
    after the map exists, and outside a frame (``frameElement`` null) it does nothing."""
    fmap = folium.Map(location=[52.29, 8.92], zoom_start=12, tiles=None)
    doc = map_document(fmap, "Karte <&>")
    assert doc.html.startswith("<!DOCTYPE html>") and doc.html.rstrip().endswith("</html>")
    assert doc.map_id == fmap.get_name() and doc.map_id.startswith("map_")
    created = doc.html.index(f"var {doc.map_id} = L.map(")
    hook = doc.html.index(f"window.frameElement.qkReady({doc.map_id})")
    assert created < hook
    assert "if (window.frameElement && window.frameElement.qkReady)" in doc.html
    assert re.fullmatch(r"[0-9a-f]{40}", doc.digest)
    # axe: a frame's document needs a title (escaped like every text)
    assert "<head>\n<title>Karte &lt;&amp;&gt;</title>" in doc.html


def test_same_map_same_digest_changed_map_new_digest():
    """The browser keeps its frame (and what she panned to) while the digest stays; a changed map replaces it."""
    def doc(lat):
        fmap = folium.Map(location=[lat, 8.92], zoom_start=12, tiles=None)
        fmap._id = "fixed"  # folium names elements by a random id; the app renders each cached map once
        return map_document(fmap, "Karte <&>")
    assert doc(52.29).digest == doc(52.29).digest
    assert doc(52.29).digest != doc(52.30).digest


def test_map_page_sends_one_frame_with_own_assets_in_load_order():
    at = AppTest.from_file(str(ROOT / "app/pages/karte.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    (frame,) = map_frames(at)
    scripts = re.findall(r'<script src="([^"]+)"', frame["html"])
    assert scripts == ["app/static/vendor/leaflet/leaflet.js", "app/static/qk/qk-map.js",
                       "app/static/vendor/supercluster/supercluster.min.js", "app/static/qk/qk-cluster.js"]
    assert frame["height"] == 520 and frame["report_clicks"] is True
    assert frame["title"] == "Karte der Angebote und Stadtteile"


def test_second_visit_does_not_render_the_map_again(monkeypatch):
    """The document is cached per filter and focus: a visit with an unchanged map never renders it."""
    import app.cache

    calls = []
    real = app.cache.map_document
    monkeypatch.setattr(app.cache, "map_document", lambda fmap, title: calls.append(1) or real(fmap, title))
    digests = set()
    for _ in range(2):
        at = AppTest.from_file(str(ROOT / "app/pages/karte.py"), default_timeout=60).run()
        assert not at.exception, at.exception
        digests |= {frame["digest"] for frame in map_frames(at)}
    assert len(calls) == 1 and len(digests) == 1


def test_gap_page_map_reports_nothing():
    at = AppTest.from_file(str(ROOT / "app/pages/luecken.py"), default_timeout=90).run()
    assert not at.exception, at.exception
    (frame,) = map_frames(at)
    assert frame["report_clicks"] is False and frame["height"] == 560
