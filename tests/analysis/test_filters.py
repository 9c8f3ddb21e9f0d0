"""geo.analysis.filters: tolerant search (accents, hyphens, umlaut spellings, other languages); the folding itself:
test_text.py; the ranked search (compounds, typos, everyday words, place words, recall): test_search.py."""
import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.analysis.filters import filter_offers
from geo.analysis.search import attach_search_index


@pytest.fixture
def offers() -> gpd.GeoDataFrame:
    rows = [
        dict(id="a", name="Sprach-Café der Diakonie", handlungsfeld="Bildung", kategorie="Sprachkurs",
             stadtteil_id="innenstadt", stadtteil_name="Innenstadt", status="aktiv"),
        dict(id="b", name="Begegnungszentrum", handlungsfeld="Zusammenleben und Teilhabe", kategorie="Begegnung",
             stadtteil_id="baerenkaempen", stadtteil_name="Bärenkämpen", status="unklar"),
        dict(id="c", name="Treff am Königswall", handlungsfeld="Wohnen", kategorie="Beratung",
             stadtteil_id="koenigstor", stadtteil_name="Königstor", status="beendet"),
        dict(id="d", name="Kita Sieben Bauern", handlungsfeld="Bildung", kategorie="Kita", sprachen="deutsch",
             stadtteil_id="rodenbeck", stadtteil_name="Rodenbeck", status="aktiv"),
    ]
    rows[1]["sprachen"] = "deutsch, عربي"
    rows[0]["traeger"] = "Diakonie"  # traeger "Diakonie" is followed by kategorie "Sprachkurs": no "diakoniesprachkurs"
    return gpd.GeoDataFrame(rows, geometry=[Point(8.91, 52.29)] * 4, crs="EPSG:4326")


@pytest.mark.parametrize("query, ids", [
    ("Sprachcafé", ["a"]),            # the data says "Sprach-Café"
    ("sprach cafe", ["a"]),
    ("Baerenkaempen", ["b"]),         # umlaut spelled out, found via the district name
    ("bärenkämpen", ["b"]),
    ("koenigstor", ["c"]),
    ("education", ["a", "d"]),        # English name of the Handlungsfeld Bildung
    ("housing", ["c"]),               # English name of Wohnen
    ("counselling", ["c"]),           # English name of the category Beratung
    ("diakonie education", ["a", "d"]),  # ranked: the offer matching both words first, then one word
    ("diakonie housing", ["a", "c"]),  # a word that matches alone is a result, never an empty list
    ("Jugendzentrum", []),            # occurs nowhere
    ("Русский", []),                  # other scripts: found only where they occur (an ASCII fold matched all)
    ("عربي", ["b"]),
    ("diakoniebildung", []),           # a compound splits only into parts within one column (not Träger + category)
    ("diakoniesprachkurs", ["a"]),    # … but it ends with "Sprachkurs", a word of data/suchbegriffe.csv
    ("kindergarten", ["d"]),          # English name of the category Kita
    ("KITA", ["d"]),
    ("rodenbeck", ["d"]),             # district name from the spatial join
    ("", ["a", "b", "c", "d"]),
])
def test_tolerant_search(offers, query, ids):
    assert list(filter_offers(offers, text=query)["id"]) == ids


def test_ended_offers_can_be_left_out(offers):
    assert list(filter_offers(offers, include_ended=False)["id"]) == ["a", "b", "d"]


def test_index_attached_at_load_gives_the_same_result(offers):
    attach_search_index(offers)  # as geo.dataset does when loading
    assert list(filter_offers(offers, text="Baerenkaempen")["id"]) == ["b"]
    assert list(filter_offers(offers, text="education diakonie")["id"]) == ["a", "d"]
    assert list(filter_offers(offers.iloc[[3, 0]], text="education")["id"]) == ["d", "a"]  # rows of it: same index


def test_every_category_of_the_shipped_offers_is_searchable_in_every_ui_language():
    # Category names for search live in the catalogues (kategorie.<slug>), not in code.
    from geo.config import DATA_DIR
    from geo.data.offers import read_offers
    from geo.i18n import available_languages, catalogue
    from geo.text import slugify

    slugs = {slugify(k) for k in read_offers(DATA_DIR / "angebote.csv").offers["kategorie"] if k}
    for lang in available_languages():
        missing = sorted(s for s in slugs if f"kategorie.{s}" not in catalogue(lang))
        assert missing == [], f"locales/{lang}.toml lacks [kategorie] entries: {missing}"
