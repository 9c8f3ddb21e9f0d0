"""geo.filters and geo.text: tolerant search (accents, hyphens, umlaut spellings, other languages) and German order."""
import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.filters import filter_offers
from geo.text import german_sort_key, search_key


@pytest.fixture
def offers() -> gpd.GeoDataFrame:
    rows = [
        dict(id="a", name="Sprach-Café der Diakonie", handlungsfeld="Bildung", kategorie="Sprachkurs",
             stadtteil_id="innenstadt", stadtteil_name="Innenstadt", status="aktiv"),
        dict(id="b", name="Begegnungszentrum", handlungsfeld="Zusammenleben und Teilhabe", kategorie="Begegnung",
             stadtteil_id="baerenkaempen", stadtteil_name="Bärenkämpen", status="unklar"),
        dict(id="c", name="Treff am Königswall", handlungsfeld="Wohnen", kategorie="Beratung",
             stadtteil_id="koenigstor", stadtteil_name="Königstor", status="beendet"),
    ]
    return gpd.GeoDataFrame(rows, geometry=[Point(8.91, 52.29)] * 3, crs="EPSG:4326")


@pytest.mark.parametrize("query, ids", [
    ("Sprachcafé", ["a"]),            # the data says "Sprach-Café"
    ("sprach cafe", ["a"]),
    ("Baerenkaempen", ["b"]),         # umlaut spelled out, found via the district name
    ("bärenkämpen", ["b"]),
    ("koenigstor", ["c"]),
    ("education", ["a"]),             # English name of the Handlungsfeld Bildung
    ("housing", ["c"]),               # English name of Wohnen
    ("counselling", ["c"]),           # English name of the category Beratung
    ("diakonie education", ["a"]),    # every word must match
    ("diakonie housing", []),
    ("Jugendzentrum", []),
    ("", ["a", "b", "c"]),
])
def test_tolerant_search(offers, query, ids):
    assert list(filter_offers(offers, text=query)["id"]) == ids


def test_ended_offers_can_be_left_out(offers):
    assert list(filter_offers(offers, include_ended=False)["id"]) == ["a", "b"]


def test_search_key_folds_the_spellings_residents_type():
    assert search_key("Sprach-Café") == search_key("Sprachcafé") == "sprachcafe"
    assert search_key("Bärenkämpen") == search_key("Baerenkaempen") == search_key("BAERENKAEMPEN") == "barenkampen"
    assert search_key("Straße") == search_key("Strasse") == "strasse"


def test_german_order_of_the_19_stadtbezirke():
    names = ["Todtenhausen", "Kutenhausen", "Königstor", "Bölhorst", "Bärenkämpen", "Päpinghausen", "Meißen",
             "Minderheide", "Häverstädt", "Hahlen", "Haddenhausen", "Dützen", "Dankersen", "Innenstadt",
             "Leteln-Aminghausen", "Nordstadt", "Rechtes Weserufer", "Rodenbeck", "Stemmer"]
    assert sorted(names, key=german_sort_key) == [
        "Bärenkämpen", "Bölhorst", "Dankersen", "Dützen", "Haddenhausen", "Hahlen", "Häverstädt", "Innenstadt",
        "Königstor", "Kutenhausen", "Leteln-Aminghausen", "Meißen", "Minderheide", "Nordstadt", "Päpinghausen",
        "Rechtes Weserufer", "Rodenbeck", "Stemmer", "Todtenhausen"]
