"""The print version of a table (``app.widgets.page.print_table_html``): every row and column, data escaped."""
import math

import pandas as pd

from app.widgets.page import print_cell, print_table_html


def test_print_table_has_every_row_and_column_and_escapes_data():
    table = pd.DataFrame({"Name": [f"Angebot {i}" for i in range(30)] + ['<img src=x onerror="alert(1)">'],
                          "Einwohner": [1000 + i for i in range(30)] + [12345]})
    out = print_table_html(table, "Vergleich & mehr")
    assert out.startswith('<div class="qk-print-only"><table class="qk-print-table">')
    assert "<caption>Vergleich &amp; mehr</caption>" in out
    assert out.count("<tr>") == 32  # header + 31 rows: nothing cut at 10 rows like the canvas grid in print
    assert '<th scope="col">Name</th><th scope="col">Einwohner</th>' in out
    assert "<img" not in out and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in out
    assert "<td>Angebot 29</td><td>1.029</td>" in out


def test_print_cells_read_like_the_screen_table():
    assert print_cell(float("nan"), "de") == ""
    assert print_cell(None, "de") == ""
    assert print_cell(pd.NA, "de") == ""
    assert print_cell(21032, "de") == "21.032"
    assert print_cell(3.0, "de") == "3"
    assert print_cell(0.5625, "de") == "0,6"
    assert print_cell(math.pi, "en") == "3.1"
    assert print_cell("über 45 %", "de") == "über 45 %"
