"""Tiny hand-made geometries shared by the tests.

Two 1 km × 1 km squares side by side in EPSG:25832 near Minden's centre:
``west`` spans x 490000–491000, ``east`` x 491000–492000, both y 5794000–5795000.
"""
from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEADER = ("id,name,traeger,handlungsfeld,kategorie,zielgruppen,sprachen,kosten,adresse,stadtteil,lat,lon,"
          "lage_genauigkeit,oeffnungszeiten,barrierefrei,website,telefon,beschreibung,beschreibung_einfach,"
          "zuletzt_geprueft,quelle,status,stand_quelle,hinweis")


def metric_point_as_latlon(x: float, y: float) -> tuple[float, float]:
    """(lat, lon) in EPSG:4326 of a point given in EPSG:25832 metres."""
    p = gpd.GeoSeries([Point(x, y)], crs="EPSG:25832").to_crs("EPSG:4326").iloc[0]
    return p.y, p.x


@pytest.fixture
def two_squares() -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"id": ["west", "east"], "name": ["West", "Ost"], "geometrie": ["schematisch", "schematisch"],
         "quelle": ["Test", "Test"]},
        geometry=[box(490000, 5794000, 491000, 5795000), box(491000, 5794000, 492000, 5795000)],
        crs="EPSG:25832",
    )
    return frame.to_crs("EPSG:4326")


def offer_line(id_: str, name: str, lat: float, lon: float, handlungsfeld: str = "Bildung",
               lage: str = "adresse", stadtteil: str = "", **extra: str) -> str:
    """One CSV data line in the full column order (values must not contain commas)."""
    values = dict(id=id_, name=name, traeger="", handlungsfeld=handlungsfeld, kategorie="", zielgruppen="",
                  sprachen="", kosten="", adresse="", stadtteil=stadtteil, lat=f"{lat:.6f}", lon=f"{lon:.6f}",
                  lage_genauigkeit=lage, oeffnungszeiten="", barrierefrei="", website="", telefon="",
                  beschreibung="", beschreibung_einfach="", zuletzt_geprueft="2020", quelle="Test",
                  status="", stand_quelle="", hinweis="")
    values.update(extra)
    return ",".join(values[c] for c in HEADER.split(","))


def loaded_offers(rows: list[dict[str, str]]):
    """Offers from CSV rows (missing columns empty) through the real loader, which must accept every row."""
    import csv
    import io

    from geo.data.offers import parse_offers

    buffer = io.StringIO()
    columns = HEADER.split(",")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    loaded = parse_offers(buffer.getvalue(), "test.csv")
    assert not loaded.errors, loaded.errors
    return loaded.offers


EDITOR_PASSWORD = "ein-langes-passwort"
"""The password of the editors the AppTests create (:func:`geo.store.accounts.add_user`)."""


def restart_app() -> None:
    """What a restart of the app forgets: every cached object of the process (store, dataset, maps)."""
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def fresh_app_cache():
    """AppTests start and end with an empty cache (``pytestmark = pytest.mark.usefixtures("fresh_app_cache")``)."""
    restart_app()
    yield
    restart_app()


def map_frames(at) -> list[dict]:
    """What an AppTest's page sent to each map frame (``app.widgets.mapframe``): ``html`` (the whole map
    document), ``digest``, ``title``, ``height``, ``report_clicks``."""
    import json

    return [json.loads(element.proto.json) for element in at.get("bidi_component")]


def log_in_app(name: str, password: str = EDITOR_PASSWORD, timeout: float = 90):
    """An AppTest of the Redaktion page after logging in as ``name`` (no exception; the caller checks the tabs)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app/pages/redaktion.py"), default_timeout=timeout).run()
    at.text_input[0].set_value(name)
    at.text_input[1].set_value(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def xlsx(sheets: dict[str, list[list[object]]] | list[list[object]], edit=None) -> bytes:
    """An XLSX built by openpyxl with the given rows (``None`` = empty cell) per sheet (a list: one sheet
    "Tabelle1"); ``edit(workbook)`` may change more. openpyxl stores formulas without a calculated value."""
    import io

    import openpyxl

    if isinstance(sheets, list):
        sheets = {"Tabelle1": sheets}
    book = openpyxl.Workbook()
    for index, (name, rows) in enumerate(sheets.items()):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = name
        for row in rows:
            sheet.append(row)
    if edit is not None:
        edit(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_zip(raw: bytes, changes: dict | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """The same ZIP (e.g. an XLSX) with some parts changed (``part → function of its bytes``) and some added."""
    import io
    import zipfile

    changes = changes or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, changes[info.filename](data) if info.filename in changes else data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()


class FakeServer:
    """A geocoder for tests: answers by the ``street`` parameter (a recorded answer, or an exception to raise) and
    records every call; the transport of :func:`geo.exchange.geocode.geocode_offers`."""

    def __init__(self, by_street: dict[str, object]):
        self.by_street = by_street
        self.calls: list[dict] = []

    def __call__(self, url: str, params: dict) -> object:
        self.calls.append(params)
        value = self.by_street[params["street"]]
        if isinstance(value, Exception):
            raise value
        return value


class NominatimStandIn:
    """A Nominatim ``/search`` over HTTP on a free loopback port (for the app, which fetches through its own
    client): the recorded answer in ``tests/fixtures/nominatim/<name>.json`` for the ``street`` parameter,
    ``[]`` for any other street; ``requests`` lists the query parameters of every request."""

    def __init__(self, answers: dict[str, str]):
        import json
        import threading
        import urllib.parse
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        fixtures = Path(__file__).resolve().parent / "fixtures" / "nominatim"
        self.answers = {street: json.loads((fixtures / f"{name}.json").read_text(encoding="utf-8"))
                        for street, name in answers.items()}
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 – the name http.server calls
                params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                outer.requests.append(params)
                body = json.dumps(outer.answers.get(params.get("street", ""), [])).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/search"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
