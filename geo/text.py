"""Small text helpers shared by loaders, importers and renderers."""
from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def strip_control_chars(value: str) -> str:
    """Remove control characters (keeps tab and newlines) and surrounding whitespace."""
    return _CONTROL.sub("", value).strip()


def slugify(name: str) -> str:
    """ASCII id from a German name: ``"Bärenkämpen"`` → ``"baerenkaempen"``."""
    text = name.translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
