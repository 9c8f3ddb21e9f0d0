"""Command line: ``python -m geo <Befehl>``.

Each subcommand is registered in :func:`build_parser` and handled by a small
``_cmd_*`` function returning the exit code. Heavy modules are imported inside
the handlers so that ``--help`` and light subcommands start quickly.
"""
from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from geo.config import DATA_DIR, HANDLUNGSFELDER, load_settings

DEFAULT_OSM_ENDPOINT = "https://overpass-api.de/api/interpreter"


def _cmd_import_osm(args: argparse.Namespace) -> int:
    """``import-osm``: Stadtgrenze, Stadtteile und Angebote aus OpenStreetMap nach ``--out``."""
    from geo.exchange import osm_import

    print(f"Frage {args.endpoint} ab (4 Overpass-Abfragen, das kann einige Minuten dauern) …", file=sys.stderr)
    try:
        report = osm_import.run_import(Path(args.out), args.endpoint, fetch=osm_import.fetch_overpass)
    except osm_import.OsmImportError as exc:
        print(f"Fehler beim OpenStreetMap-Import: {exc}", file=sys.stderr)
        return 1
    print(format_import_report(report))
    return 0


def _cmd_geocode(args: argparse.Namespace) -> int:
    """``geocode``: addresses of offers → coordinates via a Nominatim-compatible server (off unless a URL is set)."""
    from geo.config import load_settings
    from geo.exchange.geocode import GeocodeError, format_report, geocode_offers

    url = args.url or load_settings().geocoder_url
    if not url:
        print("Geocodierung ist aus: kein Server eingestellt. Einschalten mit --url "
              "https://nominatim.openstreetmap.org/search oder der Umgebungsvariable QK_GEOCODER_URL "
              "(dabei werden die Adressen der Angebote an diesen Server geschickt). Es wurde nichts angefragt.",
              file=sys.stderr)
        return 2
    if args.apply and not args.out:
        print("--apply braucht -o/--out (eine neue Datei; die Angebotsdatei wird nie überschrieben).", file=sys.stderr)
        return 2
    if args.apply and Path(args.out).resolve() == Path(args.angebote).resolve():
        print(f"-o {args.out} ist die Angebotsdatei selbst; bitte eine neue Datei angeben.", file=sys.stderr)
        return 2
    try:
        report = geocode_offers(Path(args.angebote), Path(args.cache), url, limit=args.limit,
                                apply_to=Path(args.out) if args.apply else None)
    except (GeocodeError, OSError) as exc:
        print(f"Fehler beim Geocodieren: {exc}", file=sys.stderr)
        return 1
    print(format_report(report, url))
    # A run that could not ask anything (server down, no internet) has failed, even if it was not stopped.
    return 1 if report.stopped or report.nothing_answered else 0


def _cmd_fetch_assets(args: argparse.Namespace) -> int:
    """``fetch-assets``: Leaflet & plugins from the npm registry into ``static/vendor`` (checksums verified)."""
    from geo.render.assets import fetch_assets, missing_assets, remove_stale_vendor_files

    if removed := remove_stale_vendor_files():
        print(f"{len(removed)} nicht mehr genutzte Dateien aus static/vendor entfernt "
              f"({', '.join(sorted({p.parent.name for p in removed}))}).")
    if not args.force and not missing_assets():
        print("Karten-Bibliotheken sind schon vorhanden (static/vendor).")
        return 0
    try:
        written = fetch_assets()
    except (RuntimeError, OSError) as exc:
        print(f"Fehler beim Holen der Karten-Bibliotheken: {exc}", file=sys.stderr)
        return 1
    print(f"{len(written)} Dateien nach static/vendor geschrieben (Prüfsummen stimmen).")
    return 0


def _cmd_build_schematic(args: argparse.Namespace) -> int:
    """``build-schematic``: districts in the real outline, with the report of areas, borders, margins and lines."""
    import geopandas as gpd
    import pandas as pd

    from geo.data.gazetteer import read_gazetteer
    from geo.data.outline import read_outline
    from geo.exchange.schematic import (
        area_targets,
        find_generators,
        read_border_lines,
        read_generators,
        read_reference_points,
        schematic_districts,
        stated_neighbours,
        write_generators,
        write_schematic_geojson,
    )

    points = read_reference_points(args.points)
    outline = read_outline(args.outline)
    facts = pd.read_csv(args.facts)
    targets, known = area_targets(list(points["name"]), facts, outline.area / 1e6)
    relations = stated_neighbours(args.neighbours)
    generators = read_generators(args.generators, list(points["id"]))
    gazetteer = read_gazetteer(args.gazetteer)
    places = gazetteer[gazetteer["genauigkeit"].isin(["adresse", "strasse"])]
    places = gpd.GeoDataFrame(places, geometry=gpd.points_from_xy(places["lon"], places["lat"]), crs="EPSG:4326")
    lines = read_border_lines(args.lines, args.sides, list(points["name"]))
    if args.search:
        print(f"Suche Generatorpunkte ({args.steps} Schritte, das dauert einige Minuten) …", file=sys.stderr)
        generators, log = find_generators(points, generators, outline, targets, relations, places, lines, args.steps)
        print("\n".join(log), file=sys.stderr)
        write_generators(args.generators, points, generators)
    districts, report = schematic_districts(points, generators, outline, targets, known, relations, places, lines)
    write_schematic_geojson(districts, args.out)
    print("\n".join(report.lines()))
    print(f"{len(districts)} schematische Stadtbezirke nach {args.out} geschrieben.")
    return 0


def _cmd_user(args: argparse.Namespace) -> int:
    """``benutzer``: create or replace an editor account (password from the terminal or, with
    ``--passwort-stdin``, from standard input)."""
    import getpass

    from geo.config import load_settings
    from geo.store.accounts import add_user

    path = Path(args.datei) if args.datei else load_settings().users_path
    password = sys.stdin.readline().rstrip("\n") if args.passwort_stdin else getpass.getpass("Passwort: ")
    try:
        add_user(path, args.name, password, args.rolle)
    except ValueError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    print(f"{args.name} ({args.rolle}) in {path} gespeichert.")
    return 0


_WRITE_ERRORS = {
    errno.ENOSPC: "kein Platz mehr auf dem Datenträger",
    errno.EACCES: "keine Schreibrechte",
    errno.EPERM: "keine Schreibrechte",
    errno.EROFS: "das Dateisystem ist schreibgeschützt",
    errno.EISDIR: "das ist ein Ordner",
    errno.ENAMETOOLONG: "der Name ist zu lang",
}
"""German reasons for the usual ``OSError``s of a write; others keep the system's text."""


def _output_problem(path: Path) -> str | None:
    """Why ``path`` cannot be written (German sentence after „Kann … nicht schreiben:“), or ``None``.

    Checked before the slow rendering so that a typo in ``-o`` costs nothing; the write itself can still fail.
    """
    parent = path.parent
    if path.is_dir():
        return "das ist ein Ordner; bitte einen Dateinamen angeben."
    if not parent.exists():
        return f"Ordner {parent} gibt es nicht."
    if not parent.is_dir():
        return f"{parent} ist kein Ordner."
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"keine Schreibrechte im Ordner {parent}."
    # The atomic write could replace a write-protected file (only the folder's rights count): respect the protection.
    if path.exists() and not os.access(path, os.W_OK):
        return "keine Schreibrechte für die vorhandene Datei."
    return None


def _write_error(path: Path, exc: OSError) -> str:
    """The German reason for a failed write of ``path``, as a sentence."""
    if exc.errno == errno.ENOENT and not path.parent.is_dir():  # removed since the check; else e.g. /proc
        return f"Ordner {path.parent} gibt es nicht."
    return f"{_WRITE_ERRORS.get(exc.errno or 0) or exc.strerror or exc}."


def _cmd_backup(args: argparse.Namespace) -> int:
    """``sicherung``: a consistent copy of the offer store (offers, history, suggestions, accounts' locks)."""
    from geo.config import load_settings
    from geo.store.backup import BackupError, backup, default_backup_path, store_url

    settings = load_settings()
    if not settings.database_url:
        print("Keine Datenbank eingestellt (QK_DATENBANK=aus): es gibt nichts zu sichern; die Angebote stehen in "
              f"{settings.angebote_path}.", file=sys.stderr)
        return 2
    url = store_url(settings.database_url)
    target = Path(args.out) if args.out else default_backup_path(url)
    if not args.out:
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        report = backup(url, target)
    except BackupError as exc:
        print(f"Sicherung nicht geschrieben: {exc}", file=sys.stderr)
        return 1
    print(f"Gesichert: {report.summary()}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    """``wiederherstellen``: a backup into an empty store (or, with ``--ueberschreiben``, over the current one)."""
    from geo.config import load_settings
    from geo.store.backup import BackupError, restore, store_url

    settings = load_settings()
    if not settings.database_url:
        print("Keine Datenbank eingestellt (QK_DATENBANK=aus): wohin wiederherstellen?", file=sys.stderr)
        return 2
    try:
        report = restore(store_url(settings.database_url), Path(args.von), overwrite=args.ueberschreiben)
    except BackupError as exc:
        print(f"Nicht wiederhergestellt: {exc}", file=sys.stderr)
        return 1
    print(f"Wiederhergestellt: {report.summary()}. Bitte die App neu starten.")
    return 0


HANDOUT_FLAGS = ("kostenlos", "barrierefrei", "offen", "belegt")
"""Yes/no filters of the handout command: the URL keys of :mod:`geo.render.urlstate` as options (``--kostenlos``)."""


def _handout_filter(args: argparse.Namespace, data):
    """The handout's filter from the options, read like a link's query (:func:`geo.render.urlstate.params_to_state`),
    so paper from the command and from the page agree. An unknown Handlungsfeld, target group or district is an
    error (:class:`~geo.render.poster.PosterError`), not silently dropped as in a link."""
    from geo.render.poster import PosterError, find_district
    from geo.render.urlstate import known_values, params_to_state, unknown_values

    params = {key: value for key, value in (("hf", args.hf), ("zg", args.zg), ("sp", args.sp), ("q", args.suche))
              if value}
    for key, values in unknown_values(params).items():
        raise PosterError(f"--{key} „{', '.join(values)}“ gibt es nicht. Möglich: {', '.join(known_values(key))}.")
    if args.stadtteil:
        params["st"] = find_district(data.districts, args.stadtteil)
    params.update({flag: "1" for flag in HANDOUT_FLAGS if getattr(args, flag)})
    return params_to_state(params).filter


def _cmd_poster(args: argparse.Namespace) -> int:
    """``poster``: district poster as PDF; ``handout``: the nearest offers for one location as PDF.

    Exit code 2 for a request that cannot work (unknown district, bad ``--ort``, unusable ``-o``, no public address
    for the QR code), 1 if writing fails. A QR code never points to a local address (``127.0.0.1``, ``localhost``,
    a private network): without ``--url``/``QK_OEFFENTLICHE_URL`` naming the public map the command refuses, unless
    ``--ohne-qr`` asks for paper without a QR code.
    """
    from datetime import datetime

    from geo.analysis.location import inside_minden, location_from_url
    from geo.config import load_settings
    from geo.data.attributes import TIMEZONE
    from geo.data.fileio import write_atomic
    from geo.dataset import load_dataset
    from geo.render.poster import PosterError, handout_pdf, poster_pdf, public_url_problem

    output = Path(args.output)
    if problem := _output_problem(output):
        print(f"Kann {args.output} nicht schreiben: {problem}", file=sys.stderr)
        return 2
    url = None if args.ohne_qr else args.url
    if url is not None and (problem := public_url_problem(url)):
        print(f"Fehler: kein QR-Code möglich – {problem}. Bitte die öffentliche Adresse der Karte angeben – "
              "--url https://… oder die Einstellung QK_OEFFENTLICHE_URL – oder mit --ohne-qr ohne QR-Code drucken.",
              file=sys.stderr)
        return 2
    data = load_dataset(load_settings())
    try:
        if args.command == "poster":
            pdf = poster_pdf(data, args.stadtteil, args.format, args.lang, url)
        else:
            location = location_from_url(args.ort)
            if location is None or not inside_minden(location):
                raise PosterError(f"--ort „{args.ort}“: bitte „Breite,Länge“ eines Punkts in Minden, z. B. 52.289,8.916.")
            flt = _handout_filter(args, data)
            now = datetime.now(TIMEZONE) if flt.jetzt_offen else None
            pdf = handout_pdf(data, location, args.lang, url, flt=flt, now=now)
    except PosterError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    try:
        # Temporary file renamed over the target: a failed write leaves neither half a PDF nor a damaged old one.
        write_atomic(output, lambda tmp: tmp.write_bytes(pdf))
    except OSError as exc:
        print(f"Kann {args.output} nicht schreiben: {_write_error(output, exc)}", file=sys.stderr)
        return 1
    print(f"{args.output}: {len(pdf) / 1024:.0f} KiB geschrieben.")
    return 0


def format_import_report(report) -> str:
    """German summary of an :class:`geo.exchange.osm_import.ImportReport`."""
    art = "OpenStreetMap-Grenzen" if report.districts_source == "osm" else "schematisch, Voronoi-Zellen um Ortspunkte"
    lines = [
        f"OpenStreetMap-Import abgeschlossen (Stand {report.stand}).",
        f"  Stadtteile: {report.districts} ({art})",
        f"  Angebote: {report.offers}",
        f"  davon außerhalb aller Stadtteile: {report.outside_districts}",
        f"  übersprungen ohne Namen: {report.skipped_without_name}",
        f"  übersprungen ohne passendes Handlungsfeld: {report.skipped_unmapped}",
        f"  bewusst nicht übernommen (Schutz- und Wohnunterkünfte): {report.skipped_excluded}",
    ]
    if report.datenstand:
        lines.append(f"  Datenstand laut Overpass: {report.datenstand}")
    lines += [f"Hinweis: {w}" for w in report.warnings]
    lines.append("Geschrieben: " + ", ".join(str(p) for p in report.files))
    lines.append("Daten © OpenStreetMap-Mitwirkende, ODbL 1.0 (siehe ATTRIBUTION.md).")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(prog="python -m geo", description="Werkzeuge der Quartierskarte Minden.")
    commands = parser.add_subparsers(dest="command", metavar="BEFEHL", required=True)

    osm = commands.add_parser(
        "import-osm", help="Stadtteile und Angebote aus OpenStreetMap importieren (braucht Internet).",
        description="Lädt Stadtgrenze, Stadtteile und Angebote über die Overpass-API und schreibt "
                    "stadtteile.geojson, angebote.csv und ATTRIBUTION.md. "
                    "Daten © OpenStreetMap-Mitwirkende, ODbL 1.0.",
    )
    osm.add_argument("--out", default=str(DATA_DIR / "osm"), help="Zielordner (Standard: data/osm)")
    osm.add_argument("--endpoint", default=DEFAULT_OSM_ENDPOINT,
                     help=f"Overpass-Server (Standard: {DEFAULT_OSM_ENDPOINT})")
    osm.set_defaults(handler=_cmd_import_osm)

    assets = commands.add_parser("fetch-assets", help="Leaflet und Plugins aus der npm-Registry holen (für den Offline-Betrieb).")
    assets.add_argument("--force", action="store_true", help="auch holen, wenn die Dateien schon da sind")
    assets.set_defaults(handler=_cmd_fetch_assets)

    geocode = commands.add_parser(
        "geocode", help="Adressen der Angebote in Koordinaten umwandeln (Nominatim-kompatibler Server, braucht Internet).",
        description="Fragt für jede Adresse eines Angebots ohne genaue Lage einen Nominatim-kompatiblen Server "
                    "(höchstens 1 Anfrage/s) und speichert jede Antwort mit Quelle und Datum im Cache. Nur Treffer "
                    "mit Hausnummer oder Straße innerhalb der Stadtgrenze werden verwendet. Daten © OpenStreetMap-"
                    "Mitwirkende, ODbL 1.0.",
    )
    geocode.add_argument("--angebote", default=str(DATA_DIR / "angebote.csv"),
                         help="Angebotsdatei (Standard: data/angebote.csv; wird nie überschrieben)")
    geocode.add_argument("--cache", default=str(load_settings().geocoder_cache or DATA_DIR / "geocode_cache.csv"),
                         help="Antworten mit Abfrage-URL, Datum und Lizenz (Standard: QK_GEOCODER_CACHE, sonst "
                              "data/geocode_cache.csv; dieselbe Datei wie „Adressen verorten“ in der Redaktion)")
    geocode.add_argument("--url", default="", help="Such-URL, z. B. https://nominatim.openstreetmap.org/search "
                                                   "(Standard: QK_GEOCODER_URL; ohne URL ist die Geocodierung aus)")
    geocode.add_argument("--limit", type=int, default=None, help="höchstens so viele neue Anfragen")
    geocode.add_argument("--apply", action="store_true", help="Kopie der Angebote mit den neuen Koordinaten schreiben")
    geocode.add_argument("-o", "--out", default="", help="Zieldatei für --apply")
    geocode.set_defaults(handler=_cmd_geocode)

    schematic = commands.add_parser("build-schematic", help="Schematische Stadtteil-Polygone aus den Bezugspunkten erzeugen.")
    schematic.add_argument("--points", default=str(DATA_DIR / "stadtteile_bezugspunkte.csv"))
    schematic.add_argument("--out", default=str(DATA_DIR / "stadtteile.geojson"))
    schematic.add_argument("--generators", default=str(DATA_DIR / "stadtteile_generatoren.csv"))
    schematic.add_argument("--outline", default=str(DATA_DIR / "minden_gemeinde.geojson"))
    schematic.add_argument("--neighbours", default=str(DATA_DIR / "stadtteile_nachbarschaften.csv"))
    schematic.add_argument("--facts", default=str(DATA_DIR / "stadtteile_flaechen.csv"),
                           help="Flächen (area_km2) und Einwohner (population) je Stadtbezirk mit Quellen")
    schematic.add_argument("--gazetteer", default=str(DATA_DIR / "gazetteer.csv"),
                           help="belegte Orte mit Stadtbezirk, die in ihrem Bezirk liegen müssen")
    schematic.add_argument("--lines", default=str(DATA_DIR / "stadtteile_grenzlinien.csv"),
                           help="belegte Punkte auf Grenzlinien (Weser)")
    schematic.add_argument("--sides", default=str(DATA_DIR / "stadtteile_uferseiten.csv"),
                           help="welcher Bezirk auf welcher Seite einer Grenzlinie liegt")
    schematic.add_argument("--search", action="store_true",
                           help="Generatorpunkte neu suchen (einige Minuten) und in --generators speichern")
    schematic.add_argument("--steps", type=int, default=300)
    schematic.set_defaults(handler=_cmd_build_schematic)

    user = commands.add_parser("benutzer", help="Zugang für die Redaktion anlegen (argon2id, Datei außerhalb von git).")
    user.add_argument("--name", required=True)
    user.add_argument("--rolle", choices=["redaktion", "pruefung"], default="redaktion")
    user.add_argument("--datei", help="Benutzerdatei (Standard: QK_BENUTZER oder var/benutzer.toml)")
    user.add_argument("--passwort-stdin", action="store_true", help="Passwort aus der Standardeingabe lesen")
    user.set_defaults(handler=_cmd_user)
    url_help = ("öffentliche Adresse der Karte für den QR-Code (Standard: QK_OEFFENTLICHE_URL); eine lokale Adresse "
                "(localhost, 127.0.0.1, privates Netz) wird abgelehnt")
    no_qr_help = "ohne QR-Code drucken (wenn es noch keine öffentliche Adresse gibt)"
    saving = commands.add_parser("sicherung", help="Die Angebotsdatenbank sichern (mit Verlauf, Vorschlägen, Sperren).")
    saving.add_argument("-o", "--out", help="Zieldatei (Standard: var/sicherungen/quartierskarte-<Zeit>.sqlite "
                                            "bzw. .pgdump); eine vorhandene Datei wird nie überschrieben")
    saving.set_defaults(handler=_cmd_backup)
    restoring = commands.add_parser("wiederherstellen", help="Eine Sicherung in die (leere) Angebotsdatenbank einspielen.")
    restoring.add_argument("--von", required=True, help="die Sicherungsdatei (.sqlite oder .pgdump)")
    restoring.add_argument("--ueberschreiben", action="store_true",
                           help="auch in eine Datenbank mit Daten (SQLite: die jetzige Datei bleibt daneben liegen)")
    restoring.set_defaults(handler=_cmd_restore)
    poster = commands.add_parser("poster", help="Plakat eines Stadtteils als PDF (A3/A4, jede Oberflächensprache).")
    poster.add_argument("--stadtteil", required=True, help="Name oder id, z. B. Bärenkämpen")
    poster.add_argument("--format", choices=["A4", "A3"], default="A4")
    poster.add_argument("--lang", default="de", help="Sprache: de, de-einfach, en, ar, tr, ru, uk, fa")
    poster.add_argument("--url", default=_public_url(), help=url_help)
    poster.add_argument("--ohne-qr", action="store_true", help=no_qr_help)
    poster.add_argument("-o", "--output", required=True)
    poster.set_defaults(handler=_cmd_poster)
    handout = commands.add_parser("handout", help="Handzettel für einen Standort als PDF (A4).")
    handout.add_argument("--ort", required=True, help="Breite,Länge, z. B. 52.289,8.916 (wird auf ~100 m gerundet)")
    handout.add_argument("--lang", default="de")
    handout.add_argument("--url", default=_public_url(), help=url_help)
    handout.add_argument("--ohne-qr", action="store_true", help=no_qr_help)
    # the filters of the page (and of its links: the same keys as hf=, zg=, sp=, st=, q=, kostenlos=1 …)
    handout.add_argument("--hf", help="Handlungsfelder, durch Komma getrennt: "
                                      f"{', '.join(hf.key for hf in HANDLUNGSFELDER)} (Standard: alle)")
    handout.add_argument("--zg", help="Zielgruppen, durch Komma getrennt: kinder, jugendliche, familien, frauen, "
                                      "neuzugewanderte, senioren, alle")
    handout.add_argument("--sp", help="Sprachen wie in den Daten geschrieben, durch Komma getrennt, z. B. Arabisch,Englisch")
    handout.add_argument("--stadtteil", help="nur Angebote in diesem Stadtteil (Name oder id)")
    handout.add_argument("--suche", help="Suchwörter wie in der Suche der Seite")
    handout.add_argument("--kostenlos", action="store_true", help="nur kostenlose Angebote")
    handout.add_argument("--barrierefrei", action="store_true", help="nur barrierefreie Angebote")
    handout.add_argument("--offen", action="store_true", help="nur Angebote, die jetzt geöffnet sind")
    handout.add_argument("--belegt", action="store_true",
                         help="nur Angebote, die für die gewählten Merkmale eine Angabe haben (ohne „unbekannt“)")
    handout.add_argument("-o", "--output", required=True)
    handout.set_defaults(handler=_cmd_poster)

    return parser


def _public_url() -> str:
    import os

    return os.environ.get("QK_OEFFENTLICHE_URL", "").strip()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
