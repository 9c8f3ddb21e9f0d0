"""The measures of the Integrationskonzept (``data/massnahmen.csv``) and the offers linked to them.

The file has one row per measure and document (WS-Liste ``ws1-*``, Integrationskonzept ``ikon-*``); the column
``gleiche_massnahme`` pairs the two rows of a measure named in both. :func:`merge_measures` shows each measure once
(27), keyed by its concept id, with both source references. Status, responsible body and progress are set by the
Redaktion in the store (:meth:`geo.store.offer_store.Store.measure_records`), never in the file. An offer names
the measures it serves in its optional ``massnahmen`` column (``;``-separated ids, either id of a pair); unknown
ids are reported, not dropped silently.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.config import DATA_DIR, HANDLUNGSFELDER
from geo.data.attributes import split_list
from geo.data.problems import DataFileError, Problem, read_text_table

MEASURES_PATH = DATA_DIR / "massnahmen.csv"
MEASURE_COLUMNS = ("id", "handlungsfeld", "bereich", "titel", "fristigkeit", "quelle", "status", "notes",
                   "gleiche_massnahme")
PAIR_COLUMN = "gleiche_massnahme"
"""The id of the other document's row for the same measure (empty if only one document names it)."""
MEASURE_FIELDS = ("Querschnitt", *(hf.name for hf in HANDLUNGSFELDER))
"""Handlungsfelder of the measures: the four of the concept plus its cross-cutting tasks (Abschn. 6.1)."""
FRISTIGKEITEN = ("kurzfristig", "kurz- bis mittelfristig", "mittelfristig", "mittel- bis langfristig", "langfristig",
                 "unbekannt")
STATUS = ("offen", "begonnen", "umgesetzt", "verworfen")
MONITORING_FIELDS = ("status", "zustaendig", "fortschritt", "fortschritt_am")
"""What the Redaktion keeps per measure: status, responsible body, last progress note and its date (ISO)."""
EXPORT_COLUMNS = ("id", "weitere_id", "handlungsfeld", "bereich", "titel", "titel_ws_liste", "fristigkeit", "status",
                  "zustaendig", "fortschritt", "fortschritt_am", "geaendert_am", "quelle", "quelle_ws_liste",
                  "angebote")


def horizon_key(fristigkeit: str) -> str:
    """Catalogue key of a Fristigkeit: ``"mittel- bis langfristig"`` → ``"fristigkeit.mittel_bis_langfristig"``."""
    return "fristigkeit." + fristigkeit.replace("-", "").replace(" ", "_")


def read_measures(path: str | Path = MEASURES_PATH) -> pd.DataFrame:
    """The measures; raises :class:`DataFileError` naming file, line and problem for a broken row or header."""
    path = Path(path)
    frame = read_text_table(path, MEASURE_COLUMNS)
    for line, row in zip(range(2, len(frame) + 2), frame.itertuples(index=False)):
        for column, value, allowed in (("handlungsfeld", row.handlungsfeld, MEASURE_FIELDS),
                                       ("fristigkeit", row.fristigkeit, FRISTIGKEITEN), ("status", row.status, STATUS)):
            if value not in allowed:
                raise DataFileError(Problem(path.name, line, column, f"„{value}“ ist nicht erlaubt ({', '.join(allowed)})."))
        if not row.id.strip() or not row.titel.strip():
            raise DataFileError(Problem(path.name, line, "id", "id oder titel fehlt."))
    duplicated = frame["id"][frame["id"].duplicated()]
    if len(duplicated):
        raise DataFileError(Problem(path.name, None, "id", f"doppelte id {duplicated.iloc[0]}."))
    partner = dict(zip(frame["id"], frame[PAIR_COLUMN]))
    for line, (measure, other) in zip(range(2, len(frame) + 2), partner.items()):
        if other and (partner.get(other) != measure or other == measure):
            raise DataFileError(Problem(path.name, line, PAIR_COLUMN,
                                        f"„{other}“ verweist nicht zurück auf „{measure}“."))
    return frame


def merge_measures(measures: pd.DataFrame) -> pd.DataFrame:
    """Each measure once: a row named in both documents becomes one row under the concept's id (``ikon-*``,
    the adopted document; its wording in ``titel``, the workshop's in ``titel_ws_liste``), with ``weitere_id``
    the other row's id, ``quelle``/``quelle_ws_liste`` both source references and the workshop's Fristigkeit where
    the concept gives none. Order: the concept rows in file order, then workshop rows without a partner."""
    by_id = measures.set_index("id", drop=False)
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    ordered = sorted(measures["id"], key=lambda i: (not i.startswith("ikon-"), list(measures["id"]).index(i)))
    for measure in ordered:
        if measure in seen:
            continue
        main = by_id.loc[measure]
        other = by_id.loc[main[PAIR_COLUMN]] if main[PAIR_COLUMN] else None
        seen.update({measure, main[PAIR_COLUMN]})
        horizon = main["fristigkeit"]
        if horizon == "unbekannt" and other is not None:
            horizon = other["fristigkeit"]
        rows.append({"id": measure, "weitere_id": "" if other is None else other["id"],
                     "handlungsfeld": main["handlungsfeld"], "bereich": main["bereich"], "titel": main["titel"],
                     "titel_ws_liste": "" if other is None else other["titel"], "fristigkeit": horizon,
                     "status": main["status"],
                     "quelle": main["quelle"], "quelle_ws_liste": "" if other is None else other["quelle"],
                     "notes": main["notes"]})
    return pd.DataFrame(rows, columns=["id", "weitere_id", "handlungsfeld", "bereich", "titel", "titel_ws_liste",
                                       "fristigkeit", "status", "quelle", "quelle_ws_liste", "notes"])


def measure_aliases(merged: pd.DataFrame) -> dict[str, str]:
    """Every id of the file (both rows of a pair) → the id of its merged measure."""
    aliases = {m: m for m in merged["id"]}
    aliases.update({w: m for m, w in zip(merged["id"], merged["weitere_id"]) if w})
    return aliases


def record_key(measure: str, other: str, records: dict[str, dict]) -> str:
    """Under which id the store keeps this measure's state: its own id, unless only the other row of the pair
    has a record (kept from before the measures were merged)."""
    return other if other and measure not in records and other in records else measure


def with_records(merged: pd.DataFrame, records: dict[str, dict]) -> pd.DataFrame:
    """The merged measures with the Redaktion's state (:data:`MONITORING_FIELDS`, ``geaendert_am``, ``version``);
    a measure never edited keeps the file's status, empty owner/progress and version 0."""
    table = merged.copy()
    found = [records.get(record_key(m, w, records), {}) for m, w in zip(table["id"], table["weitere_id"])]
    table["status"] = [r.get("status") or s for r, s in zip(found, table["status"])]
    for column in ("zustaendig", "fortschritt", "fortschritt_am", "geaendert_am"):
        table[column] = [str(r.get(column) or "") for r in found]
    table["version"] = [int(r.get("version") or 0) for r in found]
    return table


def filter_monitoring(table: pd.DataFrame, statuses: list[str] | None = None, owner: str = "") -> pd.DataFrame:
    """Measures with one of ``statuses`` (empty = all) whose responsible body contains ``owner`` (any case)."""
    mask = pd.Series(True, index=table.index)
    if statuses:
        mask &= table["status"].isin(statuses)
    if owner.strip():
        mask &= table["zustaendig"].str.contains(owner.strip(), case=False, regex=False)
    return table[mask]


def export_table(table: pd.DataFrame, linked: dict[str, list[str]], offer_names: dict[str, str]) -> pd.DataFrame:
    """The monitoring list as a table for download (:data:`EXPORT_COLUMNS`): one row per measure, the linked
    offers by name."""
    out = table.assign(angebote=["; ".join(offer_names.get(o, o) for o in linked.get(m, [])) for m in table["id"]])
    return out.reindex(columns=list(EXPORT_COLUMNS), fill_value="").reset_index(drop=True)


def filter_measures(measures: pd.DataFrame, fields: list[str] | None = None,
                    horizons: list[str] | None = None) -> pd.DataFrame:
    """Measures of the given Handlungsfelder and Fristigkeiten (``None`` or empty = all), in file order."""
    mask = pd.Series(True, index=measures.index)
    if fields:
        mask &= measures["handlungsfeld"].isin(fields)
    if horizons:
        mask &= measures["fristigkeit"].isin(horizons)
    return measures[mask]


def offers_by_measure(offers: pd.DataFrame, measure_ids: set[str] | dict[str, str]
                      ) -> tuple[dict[str, list[str]], list[Problem]]:
    """Measure id → ids of the offers that name it in ``massnahmen``; plus a notice per unknown measure id.

    ``measure_ids`` may map ids to the merged measure's id (:func:`measure_aliases`): an offer naming either row
    of a pair is then listed once under the merged measure."""
    aliases = measure_ids if isinstance(measure_ids, dict) else {m: m for m in measure_ids}
    linked: dict[str, list[str]] = {}
    problems: list[Problem] = []
    if "massnahmen" not in offers:
        return linked, problems
    for offer_id, line, cell in zip(offers["id"], offers.get("zeile", [None] * len(offers)), offers["massnahmen"]):
        for measure in split_list(cell):
            if measure in aliases:
                listed = linked.setdefault(aliases[measure], [])
                if offer_id not in listed:
                    listed.append(offer_id)
            else:
                problems.append(Problem("angebote.csv", int(line) if line is not None and line == line else None,
                                        "massnahmen", f"Angebot „{offer_id}“: Maßnahme „{measure}“ gibt es nicht.",
                                        "hinweis"))
    return linked, problems
