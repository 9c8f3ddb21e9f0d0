"""The methods text of the Versorgungslücken page: every count comes from the data (issue 24 §8)."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("fresh_app_cache")


def test_methods_text_counts_each_location_precision_and_names_the_sample_grid():
    at = AppTest.from_file(str(ROOT / "app/pages/luecken.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    methods = [m.value for e in at.expander for m in e.markdown if "Lage der Angebote" in m.value]
    assert len(methods) == 1, [m.value for e in at.expander for m in e.markdown]
    # hand-counted in data/angebote.csv (current offers): 43 with a place – 33 at the district's reference point,
    # 5 on a street, 5 at an address – and 32 without any place. The text once said "38 der 43 … nur ihrem
    # Stadtteil zugeordnet".
    assert ("43 Angebote haben einen bekannten Ort. Davon nur am Bezugspunkt des Stadtteils: 33, an der Straße "
            "(ohne Hausnummer): 5, an der Adresse: 5.") in methods[0]
    assert "32 Angebote haben gar keinen bekannten Ort" in methods[0]
    assert "38 der 43" not in methods[0]
    assert "Messpunkten im Abstand von 25 m" in methods[0]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_methods_text_says_one_offer_in_the_singular(tmp_path, monkeypatch, lang):
    """One offer with a place and one without: "1 Angebot hat …", never "1 Angebote haben …" (issue 25)."""
    from conftest import HEADER, offer_line

    from geo.i18n import t

    path = tmp_path / "angebote.csv"
    path.write_text("\n".join([HEADER, offer_line("a", "A", 52.29, 8.91),
                               offer_line("b", "B", 52.29, 8.91, lage="unbekannt").replace("52.290000,8.910000", ",")]),
                    encoding="utf-8")
    monkeypatch.setenv("QK_ANGEBOTE", str(path))
    at = AppTest.from_file(str(ROOT / "app/pages/luecken.py"), default_timeout=60)
    if lang != "de":
        at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    label = t("luecken.methoden", lang, lage="@", umweg="", raster="", grenzen="", kennzahlen="")
    label = next(line for line in label.splitlines() if "@" in line).split("@")[0].strip()
    [methods] = [m.value for e in at.expander for m in e.markdown if label in m.value]
    line = next(line for line in methods.splitlines() if label in line)
    singular = {"de": ("1 Angebot hat einen bekannten Ort.", "1 Angebot hat gar keinen bekannten Ort und fehlt"),
                "en": ("1 service has a known place;", "1 service has no known place at all and is missing")}[lang]
    for words in singular:
        assert words in line, line
    assert "1 Angebote" not in line and "1 services" not in line and "Von den 1" not in line


def test_what_the_numbers_do_not_say_stands_next_to_the_table_not_folded_away():
    at = AppTest.from_file(str(ROOT / "app/pages/luecken.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    folded = [m.value for e in at.expander for m in e.markdown]
    assert not [v for v in folded if "Was die Zahlen nicht sagen" in v]
    kinds = [el.type for el in at.main]
    texts = [str(getattr(el, "value", "")) for el in at.main]
    where = next(i for i, v in enumerate(texts) if v.startswith("**Was die Zahlen nicht sagen:**"))
    # right after the coverage table (its print version and its note between them), before the next heading
    table_at = max(i for i in range(where) if kinds[i] == "dataframe")
    assert kinds[table_at + 1:where] == ["html", "caption"], kinds
    assert texts[table_at - 1] == "Versorgung je Stadtteil"
