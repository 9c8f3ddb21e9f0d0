"""The Streamlit app and each page run without exception (AppTest, no browser)."""
import json
import re
from pathlib import Path

import pytest
import streamlit as st
from conftest import map_frames
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["streamlit_app.py", "app/pages/karte.py", "app/pages/angebote.py", "app/pages/luecken.py", "app/pages/stadtteile.py",
         "app/pages/massnahmen.py", "app/pages/drucken.py",
         "app/pages/datenquellen.py"]


pytestmark = pytest.mark.usefixtures("fresh_app_cache")


def run(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize(("params", "order"), [({}, "liste.sortiert_name"), ({"q": "Deutsch"}, "liste.sortiert_relevanz"),
                                               ({"q": "Deutsch", "lang": "en"}, "liste.sortiert_relevanz")])
def test_list_page_says_what_its_list_is_sorted_by(params, order):
    """Issue 25: with search words the list is in the search's order (best match first), else by name; it says
    which, right under the count."""
    from geo.i18n import t

    lang = params.get("lang", "de")
    at = run("app/pages/angebote.py", **params)
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert t(order, lang) in captions, captions
    other = "liste.sortiert_name" if order == "liste.sortiert_relevanz" else "liste.sortiert_relevanz"
    assert t(other, lang) not in captions


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page):
    at = run(page)
    assert not at.exception, at.exception
    assert at.title, "every page has a heading"


def test_map_page_shows_count_schematic_note_and_a_local_only_map():
    at = run("app/pages/karte.py")
    assert any("Stadtteilgrenzen schematisch" in i.value for i in at.info)
    from geo.analysis.join import has_location
    from geo.config import load_settings
    from geo.dataset import load_dataset
    offers = load_dataset(load_settings()).offers
    current = offers[offers["status"] != "beendet"] if "status" in offers else offers
    on_map = int(has_location(current).sum())
    # the count names both numbers: it once said "51 von 51 angezeigt" while the map had 18 markers
    expected = (f"**{len(current)} von {len(offers)} Angeboten** gewählt, davon **{on_map} auf der Karte**; "
                f"ohne bekannten Ort (nur in Tabelle und Liste): {len(current) - on_map}.")
    assert any(m.value.startswith(expected) for m in at.markdown), [m.value for m in at.markdown]
    maps = map_frames(at)
    assert len(maps) == 1
    links = re.findall(r'(?:src|href)="([^"]+)"', maps[0]["html"])
    assert len(links) == 6 and all(link.startswith("app/static/") for link in links), links
    assert "QK.offerClusters" in maps[0]["html"] and maps[0]["report_clicks"] is True
    assert maps[0]["title"] == "Karte der Angebote und Stadtteile"


def offers_table_rows(at: AppTest) -> int:
    """Data rows of the map page's offers table (an HTML table, see the next test)."""
    tables = [h.proto.body for h in at.get("html") if 'class="qk-table-box"' in h.proto.body]
    assert len(tables) == 1
    return tables[0].count("<tr>") - 1  # the heading row


def test_map_filter_by_handlungsfeld_reduces_count():
    at = run("app/pages/karte.py")
    total = offers_table_rows(at)
    at.sidebar.multiselect[0].set_value(["Wohnen"]).run()
    assert not at.exception
    assert 0 < offers_table_rows(at) < total


def test_map_page_table_is_plain_html_with_every_shown_offer():
    """The offers under the map are a plain HTML table (screen and paper), not st.dataframe: the grid's code
    (about 35 files, 1.7 MB) delayed the map by most of a second. A scroll box the keyboard can reach, named
    like the heading; every cell escaped."""
    at = run("app/pages/karte.py")
    assert not at.exception, at.exception
    assert not at.dataframe
    heading = next(h.value for h in at.header if h.value.startswith("Angezeigte Angebote"))
    box = next(h.proto.body for h in at.get("html") if 'class="qk-table-box"' in h.proto.body)
    assert f'role="region" tabindex="0" aria-label="{heading}"' in box
    assert f"<caption>{heading}</caption>" in box and "qk-print-only" not in box
    assert offers_table_rows(at) == int(re.search(r"\((\d+)\)", heading).group(1))


def test_english_ui_via_query_parameter():
    at = run("app/pages/karte.py", lang="en")
    assert not at.exception
    assert at.title[0].value != "Angebote in Mindens Stadtteilen"


def test_broken_offer_file_shows_message_not_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("QK_ANGEBOTE", str(tmp_path / "fehlt.csv"))
    at = run("app/pages/karte.py")
    assert not at.exception
    assert at.error[0].value == "Die Daten können nicht geladen werden. fehlt.csv: Datei kann nicht gelesen werden (No such file or directory)."


# --- issue 12: what the pages say about the loaded data -------------------------------------------------------

def official_style_district_file(tmp_path: Path) -> Path:
    """The shipped districts as an operator's Shapefile would come: EPSG:25832, name column STT_NAME, no marker."""
    import geopandas as gpd

    frame = gpd.read_file(ROOT / "data" / "stadtteile.geojson")
    frame = frame[["name", "geometry"]].rename(columns={"name": "STT_NAME"}).to_crs("EPSG:25832")
    path = tmp_path / "stadtbezirke.shp"
    frame.to_file(path)
    return path


def footer_text(at: AppTest) -> str:
    return at.caption[-1].value


def test_footer_and_sources_describe_the_loaded_district_file(tmp_path, monkeypatch):
    shipped = run("app/pages/datenquellen.py")
    assert "Stadtteilgrenzen schematisch" in footer_text(shipped)
    assert any("Voronoi" in m.value or "schematisch" in m.value for m in shipped.markdown)

    st.cache_resource.clear()
    monkeypatch.setenv("QK_STADTTEILE", str(official_style_district_file(tmp_path)))
    monkeypatch.setenv("QK_STADTTEILE_NAMENSSPALTE", "STT_NAME")
    monkeypatch.setenv("QK_STADTTEILE_IDSPALTE", "")
    at = run("app/pages/datenquellen.py")
    assert not at.exception, at.exception
    assert "schematisch" not in footer_text(at)
    assert "Stadtteilgrenzen: Datei „stadtbezirke.shp“ des Betreibers" in footer_text(at)
    sources = "\n".join(m.value for m in at.markdown)
    assert "## data/stadtteile.geojson" not in sources  # the shipped file's documentation is not shown
    assert "## data/angebote.csv" in sources
    assert any("stadtbezirke.shp" in m.value and "vom Betreiber" in m.value for m in at.markdown)


def test_empty_offer_file_is_an_error_on_the_map_page(tmp_path, monkeypatch):
    empty = tmp_path / "angebote.csv"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("QK_ANGEBOTE", str(empty))
    at = run("app/pages/karte.py")
    assert not at.exception
    assert at.error and at.error[0].value.startswith("Datenfehler: angebote.csv:")


def test_table_under_the_map_stops_at_200_rows_and_says_so(tmp_path, monkeypatch):
    """250 offers: the table under the map has the first 200, the caption names both numbers and where the rest
    is; the map itself has all 250."""
    from conftest import HEADER, offer_line
    lines = [offer_line(f"o{i}", f"Angebot {i}", 52.28 + i * 0.0001, 8.90 + i * 0.0001) for i in range(250)]
    path = tmp_path / "angebote.csv"
    path.write_text("\n".join([HEADER, *lines]), encoding="utf-8")
    monkeypatch.setenv("QK_ANGEBOTE", str(path))
    monkeypatch.setenv("QK_DATENBANK", "aus")
    at = run("app/pages/karte.py")
    assert not at.exception, at.exception
    assert offers_table_rows(at) == 200
    assert "Die Tabelle zeigt die ersten 200 von 250 Angeboten" in " ".join(c.value for c in at.caption)
    assert '"o249"' in map_frames(at)[0]["html"]  # an offer beyond the table is on the map


def test_sources_page_counts_rejected_rows_and_messages_separately(tmp_path, monkeypatch):
    from conftest import HEADER, offer_line
    # one row with two errors (Handlungsfeld and latitude), one good row
    bad = offer_line("x", "X", 52.29, 8.91, handlungsfeld="Sport").replace("52.290000", "Norden")
    good = offer_line("y", "Y", 52.29, 8.91)
    path = tmp_path / "angebote.csv"
    path.write_text("\n".join([HEADER, bad, good]), encoding="utf-8")
    monkeypatch.setenv("QK_ANGEBOTE", str(path))
    at = run("app/pages/datenquellen.py")
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert any("nicht übernommene Zeilen: 1 (Fehlermeldungen: 2;" in t for t in texts), texts


def test_district_page_has_city_and_without_place_rows_with_numbers():
    at = run("app/pages/stadtteile.py")
    assert not at.exception
    table = at.dataframe[1].value  # [0] is the comparison of the chosen districts
    names = list(table.iloc[:, 0])
    assert names[-2:] == ["Stadt Minden gesamt", "Angebote ohne bekannten Ort"]
    assert names.index("Königstor") < names.index("Kutenhausen")
    assert str(table["Einwohner"].dtype) == "Int64"
    city = table.set_index(table.columns[0]).loc["Stadt Minden gesamt"]
    assert city["Einwohner"] == 83100 and city["Stichtag Einwohner"] == "2023-12-31"  # newest of the two city rows
    herkunft = at.dataframe[2].value
    assert "Kennzahl" in herkunft.columns and "indikator" not in herkunft.columns
    assert "kinderarmut" not in set(herkunft["Kennzahl"])


def test_map_is_built_once_for_the_same_filters(monkeypatch):
    import app.cache

    calls = []
    real = app.cache.build_map
    monkeypatch.setattr(app.cache, "build_map", lambda *a, **k: calls.append(1) or real(*a, **k))
    run("app/pages/karte.py")
    run("app/pages/karte.py")
    assert len(calls) == 1, "a second visit with unchanged filters must not rebuild the map"


def test_offer_file_above_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    import geo.dataset

    monkeypatch.setattr(geo.dataset, "MAX_OFFERS_FILE_BYTES", 1000)
    big = tmp_path / "riesig.csv"
    big.write_bytes(b"x" * 3 * 1024 * 1024)
    monkeypatch.setenv("QK_ANGEBOTE", str(big))
    at = run("app/pages/karte.py")
    assert not at.exception
    assert at.error[0].value.startswith("Die Daten können nicht geladen werden. riesig.csv: Datei ist 3 MiB groß")


def test_second_visit_gets_the_same_map_code_as_the_first():
    """The cached map is copied per render: folium renames elements in place, and a second render of the
    same object carried both names (the map stayed blank in the browser for every visitor after the first)."""
    first, second = (map_frames(run("app/pages/karte.py"))[0] for _ in range(2))
    assert first["html"] == second["html"] and first["digest"] == second["digest"]


def test_operator_city_outline_is_used_for_the_offer_check(tmp_path, monkeypatch):
    """QK_GEMEINDE replaces the shipped outline: with a tiny square around the Innenstadt point, every offer
    elsewhere is rejected as outside the city."""
    import geopandas as gpd
    from shapely.geometry import box

    square = tmp_path / "gemeinde.geojson"
    gpd.GeoDataFrame({"name": ["Test"]}, geometry=[box(8.9125, 52.2910, 8.9135, 52.2918)], crs="EPSG:4326").to_file(square)
    monkeypatch.setenv("QK_GEMEINDE", str(square))
    from geo.config import load_settings
    from geo.dataset import load_dataset
    data = load_dataset(load_settings())
    located = data.offers[data.offers.geometry.notna()]
    assert len(located) and (located["stadtteil_id"] == "innenstadt").all()
    assert len(data.rejected["angebote.csv"]) > 0


# --- the resident's view (issue 13) ---------------------------------------------------------------------

def html_blocks(at: AppTest) -> list[str]:
    return [e.proto.body for e in at.get("html")]


def test_location_in_the_link_lists_the_nearest_offers_in_order():
    at = run("app/pages/karte.py", ort="52.289,8.916")
    assert not at.exception, at.exception
    items = [h for h in html_blocks(at) if 'class="qk-naehe' in h]
    assert len(items) == 10
    metres = [int(m) for h in items for m in re.findall(r"(\d+) m Luftlinie", h)[:1]]
    assert metres == sorted(metres) and metres[0] < 300, metres
    # the map gets the location ring and the fitted view
    html = map_frames(at)[0]["html"]
    assert "QK.focus(" in html and "52.289" in html


def test_filters_come_from_the_link_and_go_back_into_it():
    at = run("app/pages/karte.py", hf="bildung", zg="kinder", kostenlos="1", st="innenstadt")
    assert not at.exception, at.exception
    fields = at.sidebar.multiselect[0]
    assert fields.value == ["Bildung"]
    assert at.sidebar.multiselect[1].value == ["kinder"]
    assert [c.value for c in at.sidebar.checkbox if c.label == "Nur kostenlose"] == [True]
    assert dict(at.query_params) == {"hf": "bildung", "zg": "kinder", "kostenlos": "1", "st": "innenstadt"}
    # a change in the sidebar goes into the link
    at.sidebar.multiselect[0].set_value(["Bildung", "Wohnen"]).run()
    assert at.query_params["hf"] == "bildung,wohnen"


def test_a_link_location_outside_minden_is_refused_with_a_message():
    at = run("app/pages/karte.py", ort="52.020,8.530")  # Bielefeld
    assert not at.exception, at.exception
    assert any("außerhalb von Minden" in w.value for w in at.warning)
    assert not [h for h in html_blocks(at) if 'class="qk-naehe' in h]
    assert "ort" not in at.query_params


def test_an_opened_offer_in_the_link_shows_its_detail_with_the_outdated_hint():
    at = run("app/pages/karte.py", angebot="quartiersbuero-rechte-weserseite")
    assert not at.exception, at.exception
    cards = [h for h in html_blocks(at) if 'class="qk-angebot"' in h]
    assert len(cards) == 1 and "Quartiersbüro Rechte Weserseite" in cards[0]
    assert "vor mehr als 12 Monaten" in cards[0]  # zuletzt_geprueft 2017-11


@pytest.mark.parametrize("lang", ["ar", "fa", "tr", "ru", "uk", "de-einfach"])
def test_every_ui_language_runs_the_map_page(lang):
    at = run("app/pages/karte.py", lang=lang, ort="52.289,8.916")
    assert not at.exception, at.exception
    from geo.i18n import t
    assert at.title[0].value == t("karte.titel", lang)


# --- Versorgungslücken (issue 14) -------------------------------------------------------------------------

def coverage_rows(at: AppTest) -> dict[str, dict]:
    table = at.dataframe[0].value
    return {row["Stadtteil"]: row for _, row in table.iterrows()}


def test_gap_page_table_follows_the_filters_and_the_walking_distance():
    from geo.config import load_settings
    from geo.dataset import load_dataset

    offers = load_dataset(load_settings()).offers
    current = offers[offers["status"] != "beendet"]
    in_centre = current[current["stadtteil_id"] == "innenstadt"]

    at = run("app/pages/luecken.py")
    assert not at.exception, at.exception
    rows = coverage_rows(at)
    assert rows["Innenstadt"]["Angebote im Stadtteil"] == str(len(in_centre))
    unassigned = rows["nicht zugeordnet (ohne Ort oder außerhalb aller Stadtteile)"]
    assert unassigned["Angebote im Stadtteil"] == str(int((current["stadtteil_id"] == "").sum()))
    assert rows["Bärenkämpen"]["Angebote je 1.000 Minderjährige"] == "n/a"  # no source gives minors per district
    share_800 = float(rows["Bärenkämpen"]["Fläche mit Angebot in 800 m Gehweg (%)"].replace(",", "."))

    # second setting: Bildung only, 300 m walk
    at.sidebar.multiselect[0].set_value(["Bildung"]).run()
    at.slider(key="l_gehweg").set_value(300).run()
    assert not at.exception, at.exception
    rows = coverage_rows(at)
    assert rows["Innenstadt"]["Angebote im Stadtteil"] == str(int((in_centre["handlungsfeld"] == "Bildung").sum()))
    share_300 = float(rows["Bärenkämpen"]["Fläche mit Angebot in 300 m Gehweg (%)"].replace(",", "."))
    assert share_300 < share_800
    assert at.query_params["hf"] == "bildung"
    ranking = [h for h in html_blocks(at) if "qk-rangfolge" in h]
    assert ranking and "Lückenwert" in ranking[0]


# --- planners (issue 15) ----------------------------------------------------------------------------------

def test_comparison_page_with_baerenkaempen_and_rodenbeck_has_both_columns():
    at = run("app/pages/stadtteile.py", auswahl="baerenkaempen,rodenbeck")
    assert not at.exception, at.exception
    assert at.multiselect[0].value == ["baerenkaempen", "rodenbeck"]
    table = at.dataframe[0].value
    assert list(table.columns) == ["Kennzahl", "Bärenkämpen", "Rodenbeck", "Stadt Minden gesamt", "Quelle"]
    kinder = table.set_index("Kennzahl").loc["Minderjährige in SGB-II-/AsylbLG-Haushalten"]
    assert kinder["Rodenbeck"].startswith("über 45")
    # change the selection in the widget: it goes into the link
    at.multiselect[0].set_value(["baerenkaempen", "rodenbeck", "koenigstor"]).run()
    assert "Königstor" in at.dataframe[0].value.columns
    assert at.query_params["auswahl"] == "baerenkaempen,rodenbeck,koenigstor"


def test_a_link_with_an_unknown_district_says_which_and_the_walk_is_in_the_link():
    at = run("app/pages/stadtteile.py", auswahl="rodenbeck,quatsch,Bärenkaempen", gehweg="1200")
    assert not at.exception, at.exception
    # "Bärenkaempen" is Bärenkämpen in another spelling; "quatsch" is named, not silently dropped
    assert at.multiselect[0].value == ["rodenbeck", "baerenkaempen"]
    alerts = [h for h in html_blocks(at) if "qk-alert" in h]
    assert alerts and "quatsch" in alerts[0] and "Rodenbeck, Bärenkämpen" in alerts[0]
    assert at.slider[0].value == 1200
    assert "1.200 m" in at.dataframe[0].value["Kennzahl"].iloc[-1]
    at.slider[0].set_value(500).run()
    assert at.query_params["gehweg"] == "500"


def test_comparison_page_defaults_to_the_focus_districts():
    at = run("app/pages/stadtteile.py")
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value.columns)[1:6] == ["Bärenkämpen", "Rodenbeck", "Rechtes Weserufer", "Innenstadt",
                                                       "Königstor"]


def test_measures_page_filters_by_field_and_horizon():
    import pandas as pd

    measures = pd.read_csv(ROOT / "data" / "massnahmen.csv", dtype=str, keep_default_na=False)
    at = run("app/pages/massnahmen.py")
    assert not at.exception, at.exception
    cards = lambda: [h for h in html_blocks(at) if h.startswith('<article class="qk-angebot qk-massnahme"')]  # noqa: E731
    assert len(cards()) == 27  # 51 rows, 24 measures named in both documents: each measure once
    at.multiselect[0].set_value(["Bildung"]).run()
    at.multiselect[1].set_value(["mittelfristig"]).run()
    # the concept gives no Fristigkeit: a merged measure has its workshop row's
    workshop = measures[(measures["handlungsfeld"] == "Bildung") & (measures["fristigkeit"] == "mittelfristig")]
    expected = measures[measures["id"].isin(workshop["gleiche_massnahme"])]
    assert len(cards()) == len(expected) > 0
    assert all(title in "".join(cards()) for title in expected["titel"].str.replace("&", "&amp;"))


# --- Redaktion (issue 17) ---------------------------------------------------------------------------------

@pytest.fixture
def editor_env(tmp_path, monkeypatch):
    from geo.store.accounts import add_user

    users = tmp_path / "benutzer.toml"
    add_user(users, "anna", "ein-langes-passwort", "pruefung")
    monkeypatch.setenv("QK_DATENBANK", f"sqlite:///{tmp_path / 'qk.sqlite'}")
    monkeypatch.setenv("QK_BENUTZER", str(users))
    return tmp_path


def test_editor_page_in_file_mode_has_no_edit_functions(monkeypatch):
    monkeypatch.setenv("QK_DATENBANK", "aus")
    at = run("app/pages/redaktion.py")
    assert not at.exception, at.exception
    assert any("QK_DATENBANK" in i.value for i in at.info)
    assert not at.text_input and not at.button and not at.tabs


def test_editor_page_without_login_shows_only_the_login(editor_env):
    at = run("app/pages/redaktion.py")
    assert not at.exception, at.exception
    assert [b.label for b in at.button] == ["Anmelden"]
    assert not at.tabs and not at.selectbox and not at.get("file_uploader")
    at.text_input[0].set_value("anna")
    at.text_input[1].set_value("falsches-passwort")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Name oder Passwort stimmt nicht."] and not at.tabs


def test_logged_in_editor_marks_an_offer_as_still_current(editor_env):
    from datetime import date

    from geo.store.offer_store import Store

    at = run("app/pages/redaktion.py")
    at.text_input[0].set_value("anna")
    at.text_input[1].set_value("ein-langes-passwort")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert len(at.tabs) == 8
    store = Store.open(f"sqlite:///{editor_env / 'qk.sqlite'}")
    oldest = store.stale(date.today()).iloc[0]
    at.button(key=f"ok-{oldest['id']}").click().run()
    assert store.get(oldest["id"])["zuletzt_geprueft"] == date.today().isoformat()
    last = store.history(oldest["id"]).iloc[-1]
    assert (last["feld"], last["von"], last["neu"]) == ("zuletzt_geprueft", "anna", date.today().isoformat())


def test_resident_suggestion_lands_in_the_queue_not_on_the_map(editor_env):
    from geo.store.offer_store import Store

    at = run("app/pages/karte.py")
    assert not at.exception, at.exception
    text = '<img src=x onerror=alert(1)> Sprachcafé fehlt'
    form_areas = [a for a in at.text_area if a.label.startswith("Ihre Nachricht")]
    form_areas[0].set_value(text)
    [b for b in at.button if b.label == "Senden"][0].click().run()
    assert any("Danke" in s.value for s in at.success)
    queue = Store.open(f"sqlite:///{editor_env / 'qk.sqlite'}").suggestions()
    assert list(queue["text"]) == [text]
    assert text not in json.dumps([h.proto.body for h in at.get("html")])


def test_measure_status_set_by_the_redaktion_shows_on_the_measures_page(editor_env):
    from geo.store.offer_store import Store

    store = Store.open(f"sqlite:///{editor_env / 'qk.sqlite'}")
    store.set_measure_state("ikon-6.3-1", "begonnen", "anna", "offen")
    at = run("app/pages/massnahmen.py")
    assert not at.exception, at.exception
    card = [h for h in html_blocks(at) if "ikon-6.3-1<" in h][0]
    assert "<dd>begonnen</dd>" in card
    last = store.history("massnahme:ikon-6.3-1").iloc[-1]
    assert (last["alt"], last["neu"], last["von"]) == ("offen", "begonnen", "anna")


def test_suggestions_are_rate_limited_per_session(editor_env):
    from geo.store.offer_store import Store

    at = run("app/pages/karte.py")
    for i in range(7):
        area = [a for a in at.text_area if a.label.startswith("Ihre Nachricht")]
        if not area:
            break
        area[0].set_value(f"Hinweis {i}")
        [b for b in at.button if b.label == "Senden"][0].click().run()
    assert len(Store.open(f"sqlite:///{editor_env / 'qk.sqlite'}").suggestions()) == 5
    assert any("mehrere Hinweise" in m.value for m in [*at.info, *at.warning])


def test_nearest_offer_hint_shows_a_hostile_name_as_text(tmp_path, monkeypatch):
    """'No offer within 2 km — the nearest is …' names an offer: escaped HTML, not Markdown (a Markdown alert
    would turn the link and the bare URL into links)."""
    from conftest import HEADER, offer_line

    name = "[klick](javascript:alert(1)) http://evil.example <b>fett</b>"
    path = tmp_path / "angebote.csv"
    path.write_text(HEADER + "\n" + offer_line("x", name.replace(",", " "), 52.2896, 8.9160, "Arbeitsmarktintegration")
                    + "\n", encoding="utf-8")
    monkeypatch.setenv("QK_ANGEBOTE", str(path))
    at = run("app/pages/karte.py", ort="52.350,8.930")  # far north of the only offer
    assert not at.exception, at.exception
    hint = [h for h in html_blocks(at) if 'class="qk-alert' in h]
    assert len(hint) == 1 and "Kein passendes Angebot im Umkreis von 2 km" in hint[0]
    assert "&lt;b&gt;fett&lt;/b&gt;" in hint[0] and "<a" not in hint[0] and "<b>" not in hint[0]
    assert not [w for w in at.warning if "evil" in w.value]


def test_every_file_the_map_page_preloads_exists_on_this_host():
    """The preload list names files by pattern (content hashes change with every Streamlit
    release): each must exist, or the browser would fetch a 404 instead of saving a round trip."""
    import streamlit as st

    from app.widgets.page import map_preload_files
    from geo.config import STATIC_DIR

    roots = {"static/": Path(st.__file__).parent / "static" / "static", "app/static/": STATIC_DIR}
    files = map_preload_files()
    # Streamlit's chunk for the component (an ES module), then the map's 4 scripts and 2 stylesheets
    assert [kind for kind, _ in files] == ["module"] + ["script"] * 4 + ["style"] * 2
    assert files[0][1].startswith("static/js/BidiComponent.")
    for _, url in files:
        prefix = next(p for p in roots if url.startswith(p))
        assert (roots[prefix] / url.removeprefix(prefix)).is_file(), url


def test_map_preload_list_is_looked_up_once_per_process(monkeypatch):
    """Every page run puts the list into the page: the folders are searched once, not on every run."""
    from app.widgets.page import map_preload_files

    first = map_preload_files()
    monkeypatch.setattr(Path, "glob", lambda *a, **k: pytest.fail("static folders searched again"))
    assert map_preload_files() == first
