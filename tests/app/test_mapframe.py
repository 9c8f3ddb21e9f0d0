"""The map frame's cached arguments (``app.widgets.mapframe``) are what ``st_folium`` itself sends for the same map,
and a second visit to the map page does not render the map again."""
import json
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def both_frames():
    """One page with the same map twice: through st_folium and through map_frame."""
    import copy

    from streamlit_folium import st_folium

    from app.cache import dataset
    from app.widgets.mapframe import frame_args, map_frame
    from geo.render.mapbuild import MapFocus, MapOptions, add_focus, build_map

    data = dataset()
    fmap = add_focus(build_map(data.districts, data.offers, data.indicators, MapOptions(locate=True)),
                     MapFocus(location=(52.289, 8.917), location_label="Hier", offer_id=str(data.offers["id"].iloc[0])))
    st_folium(copy.deepcopy(fmap), key="a", height=500, use_container_width=True, returned_objects=["last_clicked"])
    map_frame(frame_args(copy.deepcopy(fmap)), key="b", height=500, returned_objects=["last_clicked"])


def test_map_frame_sends_what_st_folium_sends():
    st.cache_resource.clear()
    at = AppTest.from_function(both_frames, default_timeout=60).run()
    assert not at.exception, at.exception
    first, second = (json.loads(c.proto.json_args) for c in at.get("component_instance"))
    assert first.pop("key") != second.pop("key")
    assert first == second
    assert "QK.focus(" in second["script"] and second["default"] == {"last_clicked": None}


def test_second_visit_does_not_render_the_map_again(monkeypatch):
    """The arguments are cached per filter and focus: a visit with an unchanged map never calls frame_args."""
    import app.cache

    st.cache_resource.clear()
    st.cache_data.clear()
    calls = []
    real = app.cache.frame_args
    monkeypatch.setattr(app.cache, "frame_args", lambda fmap: calls.append(1) or real(fmap))
    for _ in range(2):
        at = AppTest.from_file(str(ROOT / "app/pages/karte.py"), default_timeout=60).run()
        assert not at.exception, at.exception
        assert len(at.get("component_instance")) == 1
    assert len(calls) == 1
    st.cache_resource.clear()
