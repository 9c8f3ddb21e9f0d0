"""The command line ``python -m geo``: clear German messages and exit codes instead of tracebacks.

poster/handout: an unusable ``-o`` is reported before the data are loaded and the PDF rendered, and a failing
write leaves nothing behind. geocode: a run in which not a single request succeeded exits 1, with its summary.
The geocoder runs offline against recorded answers (tests/fixtures/nominatim), as in tests/exchange/test_geocode.py.
"""
import csv
import errno
import io
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from conftest import FakeServer

import geo.dataset
import geo.exchange.geocode
import geo.render.poster
from geo.__main__ import main
from geo.exchange.http import HttpJsonError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "nominatim"
URL = "https://nominatim.example/search"
FAKE_PDF = b"%PDF-1.7\n% fake\n%%EOF\n"

# Each command with everything but -o; the handout point is the one from the command's help.
COMMANDS = {
    "poster": ["poster", "--stadtteil", "Bärenkämpen", "--url", "https://karte.example.org"],
    "handout": ["handout", "--ort", "52.289,8.916", "--url", "https://karte.example.org"],
}


# --------------------------------------------------------------------------- poster and handout: where the PDF goes

@pytest.fixture
def no_rendering(monkeypatch):
    """A problem with ``-o`` must be found before the slow part: loading the data or rendering fails the test."""
    monkeypatch.setattr(geo.dataset, "load_dataset", lambda *a, **k: pytest.fail("data loaded despite a bad -o"))
    for name in ("poster_pdf", "handout_pdf"):
        monkeypatch.setattr(geo.render.poster, name, lambda *a, **k: pytest.fail("PDF rendered despite a bad -o"))


@pytest.fixture
def fake_rendering(monkeypatch):
    """Data and PDF replaced by stand-ins, for the write itself."""
    monkeypatch.setattr(geo.dataset, "load_dataset", lambda *a, **k: object())
    for name in ("poster_pdf", "handout_pdf"):
        monkeypatch.setattr(geo.render.poster, name, lambda *a, **k: FAKE_PDF)


def deny_write(monkeypatch, denied: Path) -> None:
    """``os.access`` says "not writable" for ``denied``: the tests run as root, who may write everywhere."""
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if Path(path) == denied and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_folder_is_named_before_anything_is_rendered(command, tmp_path, capsys, no_rendering):
    target = tmp_path / "fehlt" / "x.pdf"
    assert main([*COMMANDS[command], "-o", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"Kann {target} nicht schreiben: Ordner {tmp_path / 'fehlt'} gibt es nicht.\n"
    assert captured.out == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_folder_as_output_is_refused(command, tmp_path, capsys, no_rendering):
    assert main([*COMMANDS[command], "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"Kann {tmp_path} nicht schreiben: das ist ein Ordner; "
                                       "bitte einen Dateinamen angeben.\n")
    assert list(tmp_path.iterdir()) == []


def test_parent_that_is_a_file_is_refused(tmp_path, capsys, no_rendering):
    (tmp_path / "datei").write_text("kein Ordner", encoding="utf-8")
    target = tmp_path / "datei" / "x.pdf"
    assert main([*COMMANDS["poster"], "-o", str(target)]) == 2
    assert capsys.readouterr().err == f"Kann {target} nicht schreiben: {tmp_path / 'datei'} ist kein Ordner.\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_folder_without_write_permission_is_refused(command, tmp_path, capsys, monkeypatch, no_rendering):
    deny_write(monkeypatch, tmp_path)
    target = tmp_path / "x.pdf"
    assert main([*COMMANDS[command], "-o", str(target)]) == 2
    assert capsys.readouterr().err == f"Kann {target} nicht schreiben: keine Schreibrechte im Ordner {tmp_path}.\n"
    assert list(tmp_path.iterdir()) == []


def test_write_protected_file_is_not_replaced(tmp_path, capsys, monkeypatch, no_rendering):
    target = tmp_path / "x.pdf"
    target.write_bytes(b"alt")
    deny_write(monkeypatch, target)
    assert main([*COMMANDS["poster"], "-o", str(target)]) == 2
    assert capsys.readouterr().err == f"Kann {target} nicht schreiben: keine Schreibrechte für die vorhandene Datei.\n"
    assert target.read_bytes() == b"alt"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write into any folder")
def test_read_only_folder_for_real(tmp_path, capsys, no_rendering):
    folder = tmp_path / "nur-lesen"
    folder.mkdir(mode=0o500)
    try:
        assert main([*COMMANDS["poster"], "-o", str(folder / "x.pdf")]) == 2
    finally:
        folder.chmod(0o700)
    assert "keine Schreibrechte im Ordner" in capsys.readouterr().err and list(folder.iterdir()) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_failed_write_keeps_the_old_file_and_leaves_nothing_half_written(command, tmp_path, capsys, monkeypatch,
                                                                         fake_rendering):
    target = tmp_path / "x.pdf"
    target.write_bytes(b"alt")
    real_write_bytes = Path.write_bytes

    def disk_full(self, data):
        real_write_bytes(self, data[:5])  # the disk fills up in the middle of the file
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    assert main([*COMMANDS[command], "-o", str(target)]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"Kann {target} nicht schreiben: kein Platz mehr auf dem Datenträger.\n"
    assert captured.out == ""
    assert [p.name for p in tmp_path.iterdir()] == ["x.pdf"] and target.read_bytes() == b"alt"


@pytest.mark.parametrize("error, reason", [
    (OSError(errno.EACCES, "Permission denied"), "keine Schreibrechte."),
    (OSError(errno.EROFS, "Read-only file system"), "das Dateisystem ist schreibgeschützt."),
    # ENOENT although the folder exists (e.g. /proc refuses new files): the system's words, not "no folder"
    (OSError(errno.ENOENT, "No such file or directory"), "No such file or directory."),
], ids=["EACCES", "EROFS", "ENOENT"])
def test_failed_write_names_the_reason(error, reason, tmp_path, capsys, monkeypatch, fake_rendering):
    def fail(self, data):
        raise error

    monkeypatch.setattr(Path, "write_bytes", fail)
    target = tmp_path / "x.pdf"
    assert main([*COMMANDS["poster"], "-o", str(target)]) == 1
    assert capsys.readouterr().err == f"Kann {target} nicht schreiben: {reason}\n"
    assert list(tmp_path.iterdir()) == []


def test_folder_removed_after_the_check_is_named(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "plakate"
    folder.mkdir()

    def load_and_remove_folder(*args, **kwargs):
        folder.rmdir()  # someone tidies up while the PDF is being rendered
        return object()

    monkeypatch.setattr(geo.dataset, "load_dataset", load_and_remove_folder)
    monkeypatch.setattr(geo.render.poster, "poster_pdf", lambda *a, **k: FAKE_PDF)
    assert main([*COMMANDS["poster"], "-o", str(folder / "x.pdf")]) == 1
    assert capsys.readouterr().err == f"Kann {folder / 'x.pdf'} nicht schreiben: Ordner {folder} gibt es nicht.\n"


def test_fake_write_succeeds_and_reports_the_size(tmp_path, capsys, fake_rendering):
    target = tmp_path / "x.pdf"
    assert main([*COMMANDS["handout"], "-o", str(target)]) == 0
    assert capsys.readouterr().out == f"{target}: 0 KiB geschrieben.\n"
    assert target.read_bytes() == FAKE_PDF and [p.name for p in tmp_path.iterdir()] == ["x.pdf"]


@pytest.mark.parametrize("command", COMMANDS)
def test_command_as_typed_prints_one_line_and_no_traceback(command, tmp_path):
    target = tmp_path / "fehlt" / "x.pdf"
    result = subprocess.run([sys.executable, "-m", "geo", *COMMANDS[command], "-o", str(target)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"Kann {target} nicht schreiben: Ordner {tmp_path / 'fehlt'} gibt es nicht.\n"


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_real_pdf_is_written_without_leftovers(command, tmp_path, capsys):
    target = tmp_path / f"{command}.pdf"
    assert main([*COMMANDS[command], "-o", str(target)]) == 0
    assert capsys.readouterr().out.startswith(f"{target}: ")
    assert target.read_bytes().startswith(b"%PDF") and [p.name for p in tmp_path.iterdir()] == [target.name]


# --------------------------------------------------------------------------- geocode: exit code of a failed run

def recorded(name: str) -> object:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


DOWN = HttpJsonError("Der Geocoding-Server x antwortete mit HTTP 503 (Server überlastet).", 503)
OFFLINE = HttpJsonError("Keine Verbindung zum Geocoding-Server x ([Errno -3] Temporary failure in name "
                        "resolution). Besteht eine Internetverbindung?")


@pytest.fixture
def geocode(tmp_path, monkeypatch, capsys):
    """Run ``geocode`` on offers ``(id, adresse, lage_genauigkeit)`` against a fake server; ``(code, stdout, err)``."""
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("no real network in tests"))
    monkeypatch.setattr(geo.exchange.geocode.time, "sleep", lambda s: None)

    def run(offers: list[tuple[str, str, str]], server: FakeServer) -> tuple[int, str, str]:
        monkeypatch.setattr(geo.exchange.geocode, "fetch_nominatim", server)
        path = tmp_path / "angebote.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["id", "name", "adresse", "lat", "lon", "lage_genauigkeit", "quelle"])
            writer.writerows([id_, id_, adresse, "", "", lage, "Test"] for id_, adresse, lage in offers)
        code = main(["geocode", "--url", URL, "--angebote", str(path), "--cache", str(tmp_path / "cache.csv")])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.mark.parametrize("failure", [DOWN, OFFLINE], ids=["http-503", "keine-verbindung"])
def test_geocode_exits_1_when_no_request_succeeded(geocode, failure, tmp_path):
    # Two failures: fewer than the three in a row that stop the run, so only "nothing succeeded" says it failed.
    server = FakeServer({"Königstraße 13": failure, "Tonstraße 10": failure})
    code, out, _ = geocode([("a", "Königstraße 13, Minden", "unbekannt"), ("b", "Tonstraße 10, Minden", "unbekannt")],
                           server)
    assert code == 1 and len(server.calls) == 2
    assert "angefragt 0, aus dem Cache 0, übernommen 0, nicht übernommen 2." in out
    assert f"nicht übernommen – HTTP-/Netzfehler: 2\n    a: {failure}\n    b: {failure}" in out
    assert "Keine Anfrage erfolgreich (2 fehlgeschlagen, siehe HTTP-/Netzfehler)." in out
    assert not (tmp_path / "cache.csv").exists()


def test_geocode_exits_1_when_the_only_request_failed_even_with_cached_answers(geocode):
    geocode([("a", "Königstraße 13, Minden", "unbekannt")], FakeServer({"Königstraße 13": recorded("koenigstrasse_13")}))
    server = FakeServer({"Tonstraße 10": DOWN})
    code, out, _ = geocode([("a", "Königstraße 13, Minden", "unbekannt"), ("b", "Tonstraße 10, Minden", "unbekannt")],
                           server)
    assert code == 1 and len(server.calls) == 1
    assert "angefragt 0, aus dem Cache 1, übernommen 1, nicht übernommen 1." in out
    assert "Keine Anfrage erfolgreich (1 fehlgeschlagen, siehe HTTP-/Netzfehler)." in out


def test_geocode_exits_0_when_some_requests_succeeded(geocode):
    server = FakeServer({"Königstraße 13": recorded("koenigstrasse_13"), "Tonstraße 10": DOWN})
    code, out, _ = geocode([("a", "Königstraße 13, Minden", "unbekannt"), ("b", "Tonstraße 10, Minden", "unbekannt")],
                           server)
    assert code == 0 and len(server.calls) == 2
    assert "angefragt 1, aus dem Cache 0, übernommen 1, nicht übernommen 1." in out
    assert "Keine Anfrage erfolgreich" not in out


def test_geocode_exits_0_when_there_was_nothing_to_ask(geocode):
    server = FakeServer({})
    code, out, _ = geocode([("a", "Königstraße 13, Minden", "adresse"), ("b", "Bildungszentrum", "unbekannt")], server)
    assert code == 0 and server.calls == []
    assert "angefragt 0, aus dem Cache 0, übernommen 0, nicht übernommen 0." in out


def test_geocode_stopped_after_three_failures_still_exits_1_with_the_summary(geocode):
    server = FakeServer({f"Weg {i}": DOWN for i in range(4)})
    code, out, _ = geocode([(f"o{i}", f"Weg {i}, Minden", "unbekannt") for i in range(4)], server)
    assert code == 1 and len(server.calls) == 3
    assert "Abgebrochen: 3 Fehler in Folge; keine weiteren Anfragen." in out
    assert "Keine Anfrage erfolgreich (3 fehlgeschlagen, siehe HTTP-/Netzfehler)." in out


# --------------------------------------------------------------------------- handout: the page's filters as options

@pytest.fixture
def handout_calls(monkeypatch):
    """The keyword arguments of every ``handout_pdf`` call (data loaded for real, no PDF rendered)."""
    calls: list[dict] = []

    def record(data, location, lang="de", base_url=None, **kwargs):
        calls.append(kwargs)
        return FAKE_PDF

    monkeypatch.setattr(geo.render.poster, "handout_pdf", record)
    return calls


def test_handout_takes_the_filters_of_the_page_with_the_keys_of_its_links(tmp_path, handout_calls):
    """Issue 25: the page's handout follows the filters; the command has the same ones, read like a link."""
    from geo.analysis.filters import OfferFilter
    from geo.render.urlstate import params_to_state

    assert main([*COMMANDS["handout"], "-o", str(tmp_path / "a.pdf"), "--hf", "bildung,wohnen", "--zg", "kinder",
                 "--sp", "Arabisch", "--stadtteil", "Bärenkämpen", "--suche", "Kurs", "--kostenlos",
                 "--barrierefrei", "--belegt"]) == 0
    expected = params_to_state({"hf": "bildung,wohnen", "zg": "kinder", "sp": "Arabisch", "st": "baerenkaempen",
                                "q": "Kurs", "kostenlos": "1", "barrierefrei": "1", "belegt": "1"}).filter
    assert handout_calls[-1] == {"flt": expected, "now": None}
    assert expected.handlungsfelder == ("Bildung", "Wohnen") and expected.kostenlos and expected.nur_belegt
    # "jetzt geöffnet" needs the time; without options: every current offer, as before
    assert main([*COMMANDS["handout"], "-o", str(tmp_path / "b.pdf"), "--offen"]) == 0
    assert handout_calls[-1]["flt"].jetzt_offen and handout_calls[-1]["now"] is not None
    assert main([*COMMANDS["handout"], "-o", str(tmp_path / "c.pdf")]) == 0
    assert handout_calls[-1] == {"flt": OfferFilter(), "now": None}


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--hf", "bildung,sport", "Fehler: --hf „sport“ gibt es nicht. Möglich: zusammenleben, bildung, arbeit, wohnen.\n"),
    ("--zg", "kids", "Fehler: --zg „kids“ gibt es nicht. Möglich: kinder, jugendliche, familien, frauen, "
                     "neuzugewanderte, senioren, alle.\n"),
    ("--stadtteil", "Atlantis", None)])
def test_handout_names_an_unknown_filter_value_instead_of_ignoring_it(tmp_path, capsys, handout_calls, option, value,
                                                                         message):
    assert main([*COMMANDS["handout"], "-o", str(tmp_path / "a.pdf"), option, value]) == 2
    err = capsys.readouterr().err
    assert err == message if message else err.startswith("Fehler: ") and "Atlantis" in err
    assert not handout_calls and not (tmp_path / "a.pdf").exists()


def test_handout_help_names_every_key_the_links_know(capsys):
    from geo.render.urlstate import known_values

    with pytest.raises(SystemExit):
        main(["handout", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for key in ("hf", "zg"):
        assert ", ".join(known_values(key)) in text, key


def test_handout_command_prints_the_chosen_offers_like_the_page(tmp_path):
    """The real PDF: the choice in words and only the chosen Handlungsfeld, the same document as the page's."""
    pypdf = pytest.importorskip("pypdf")
    from geo.analysis.location import location_from_url
    from geo.config import load_settings
    from geo.dataset import load_dataset
    from geo.render.poster import handout_pdf
    from geo.render.urlstate import params_to_state

    target = tmp_path / "h.pdf"
    assert main(["handout", "--ort", "52.289,8.916", "--ohne-qr", "--hf", "bildung", "--kostenlos", "-o",
                 str(target)]) == 0
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(target).pages)
    assert "Ihre Auswahl: Bildung · kostenlos" in text
    assert "Bildung" in text and "Wohnen" not in text.replace("Wohnen im", "")
    page = handout_pdf(load_dataset(load_settings()), location_from_url("52.289,8.916"), "de", None,
                       flt=params_to_state({"hf": "bildung", "kostenlos": "1"}).filter)
    assert text == "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(page)).pages)
