"""Problems found while loading data: which file, which line, which column, what is wrong."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["fehler", "hinweis"]


@dataclass(frozen=True)
class Problem:
    """One finding about an input file.

    ``zeile`` is the 1-based line number in the file as a text editor shows it
    (the CSV header is line 1), or the 1-based feature number for geodata;
    ``None`` for a problem with the whole file. Severity ``fehler`` means the
    row was rejected (and is kept in the loader's ``rejected`` table);
    ``hinweis`` means the row was loaded but something should be looked at.
    """

    datei: str
    zeile: int | None
    spalte: str | None
    meldung: str
    schwere: Severity = "fehler"

    def __str__(self) -> str:
        where = [self.datei]
        if self.zeile is not None:
            where.append(f"Zeile {self.zeile}")
        if self.spalte:
            where.append(f"Spalte „{self.spalte}“")
        return f"{', '.join(where)}: {self.meldung}"


class DataFileError(Exception):
    """A data file cannot be used at all (missing, unreadable, wrong structure)."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def read_text_table(path, columns):
    """A project CSV file (UTF-8, BOM allowed) with every cell as text; :class:`DataFileError` naming the file if
    it cannot be read or lacks one of ``columns``."""
    from pathlib import Path

    import pandas as pd

    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataFileError(Problem(path.name, None, None, f"Datei kann nicht gelesen werden ({exc}).")) from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataFileError(Problem(path.name, 1, None, f"Spalten fehlen: {', '.join(missing)}."))
    return frame
