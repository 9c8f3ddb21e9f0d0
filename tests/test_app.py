"""The Streamlit app and each page run without exception (AppTest, no browser)."""
import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["streamlit_app.py", "app_pages/karte.py", "app_pages/angebote.py", "app_pages/stadtteile.py", "app_pages/datenquellen.py"]


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()


def run(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page):
    at = run(page)
    assert not at.exception, at.exception
    assert at.title, "every page has a heading"


def test_map_page_shows_count_schematic_note_and_a_local_only_map():
    at = run("app_pages/karte.py")
    assert any("Stadtteilgrenzen schematisch" in i.value for i in at.info)
    assert any("Angeboten** werden angezeigt" in m.value for m in at.markdown)
    maps = [c for c in at.get("component_instance")]
    assert len(maps) == 1
    args = json.loads(maps[0].proto.json_args)
    links = args["js_links"] + args["css_links"]
    assert links and not [link for link in links if link.startswith("http") or link.startswith("//")]
    assert "QK.marker" in args["script"]


def test_map_filter_by_handlungsfeld_reduces_count():
    at = run("app_pages/karte.py")
    total = len(at.dataframe[0].value)
    at.sidebar.multiselect[0].set_value(["Wohnen"]).run()
    assert not at.exception
    assert 0 < len(at.dataframe[0].value) < total


def test_english_ui_via_query_parameter():
    at = run("app_pages/karte.py", lang="en")
    assert not at.exception
    assert at.title[0].value != "Angebote in Mindens Stadtteilen"


def test_broken_offer_file_shows_message_not_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("QK_ANGEBOTE", str(tmp_path / "fehlt.csv"))
    at = run("app_pages/karte.py")
    assert not at.exception
    assert at.error[0].value == "Die Daten können nicht geladen werden. fehlt.csv: Datei kann nicht gelesen werden (No such file or directory)."
