"""The benchmark suite runs end to end in its short size (numbers are printed, never asserted)."""
import pytest

from bench.run import main

pytestmark = pytest.mark.slow  # builds maps for synthetic offers: about 25 s


def test_bench_smoke_runs_and_prints_a_table(capsys):
    assert main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert "Karte: build_map + render" in out and "Zuordnung: assign_districts" in out
    assert "GeoDataFrame.explore()" in out
