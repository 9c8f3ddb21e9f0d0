"""Impressum, Datenschutzerklärung and Erklärung zur Barrierefreiheit: operator-editable Markdown files.

The files live in ``config/rechtliches/`` (or the folder in ``QK_RECHTSTEXTE``):
``<name>.md`` in German, optionally ``<name>.<lang>.md`` per UI language. The
texts are the operator's own, so they are rendered as Markdown (not user input).
"""
from __future__ import annotations

from pathlib import Path

from geo.config import PROJECT_DIR

LEGAL_DIR = PROJECT_DIR / "config" / "rechtliches"
LEGAL_PAGES = ("impressum", "datenschutz", "barrierefreiheit")


def legal_text(name: str, lang: str = "de", folder: Path = LEGAL_DIR) -> tuple[str, str]:
    """``(markdown, language of the text)`` for one legal page: the file in ``lang`` if the operator wrote one,
    else the German file. Raises ``FileNotFoundError`` naming the expected file if even that is missing."""
    if name not in LEGAL_PAGES:
        raise ValueError(f"unknown legal page {name!r}; valid: {', '.join(LEGAL_PAGES)}")
    for candidate, text_lang in ((folder / f"{name}.{lang}.md", lang), (folder / f"{name}.md", "de")):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8"), text_lang
    raise FileNotFoundError(str(folder / f"{name}.md"))
