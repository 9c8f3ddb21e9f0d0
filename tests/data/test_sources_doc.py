"""geo.data.sources_doc: documentation of replaced files is left out."""
from geo.data.sources_doc import sources_without

DOC = """# Datenquellen

Intro.

## data/stadtteile.geojson

schematisch …

## data/stadtteile_bezugspunkte.csv

Punkte …

## data/angebote.csv

Angebote …
"""


def test_section_of_a_replaced_file_is_removed_and_similar_names_stay():
    out = sources_without(DOC, ["data/stadtteile.geojson"])
    assert "schematisch" not in out
    assert "## data/stadtteile_bezugspunkte.csv" in out and "## data/angebote.csv" in out
    assert out.startswith("# Datenquellen\n\nIntro.")


def test_nothing_replaced_keeps_everything():
    assert sources_without(DOC, []) == DOC
