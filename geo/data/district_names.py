"""Matching district names from another file (the city's official Stadtbezirke, a new Sozialatlas table) to the
districts the app knows, so that indicators stay attached to the right polygon.

Only spelling that cannot change the meaning is matched automatically (case, umlauts written out, ß/ss, hyphens
and spaces, a leading "Stadtbezirk"/"Stadtteil"); anything else is at most a *suggestion* that an editor confirms:
"Leteln" is not silently "Leteln-Aminghausen".
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from geo.text import slugify

_PREFIXES = re.compile(r"^(stadtbezirk|stadtteil|ortsteil|bezirk|stbz|st)[-\s.:]+", re.IGNORECASE)
SUGGESTION_CUTOFF = 0.72
"""Least similarity (difflib ratio of the normalised names, 0–1) for a near miss to be offered at all."""


def name_key(name: str) -> str:
    """The spelling-independent key of a district name: ``"Stadtbezirk Bärenkaempen"`` → ``"baerenkaempen"``."""
    text = _PREFIXES.sub("", str(name).strip())
    return slugify(text).replace("-", "")


@dataclass(frozen=True)
class NameMatch:
    """How one name of the other file relates to the known districts."""

    name: str
    district_id: str | None
    """The known district it is the same as (only for an unambiguous match), else ``None``."""
    suggestions: tuple[tuple[str, str], ...] = ()
    """Near misses as (id, name), most similar first; empty for a match."""

    @property
    def matched(self) -> bool:
        return self.district_id is not None


def match_district_names(names: Iterable[str], known: Mapping[str, str], limit: int = 3) -> list[NameMatch]:
    """Match each of ``names`` to ``known`` (district id → name) by :func:`name_key` of name or id.

    A key that two known districts share matches neither (it is offered as a suggestion for both).
    """
    by_key: dict[str, set[str]] = {}
    for district_id, district_name in known.items():
        for key in {name_key(district_name), name_key(district_id)}:
            by_key.setdefault(key, set()).add(district_id)
    keys = {district_id: name_key(district_name) for district_id, district_name in known.items()}
    result = []
    for name in names:
        key = name_key(name)
        hits = by_key.get(key, set())
        if len(hits) == 1:
            result.append(NameMatch(name, next(iter(hits))))
            continue
        scored = sorted(((difflib.SequenceMatcher(None, key, other).ratio(), district_id)
                         for district_id, other in keys.items()), key=lambda pair: (-pair[0], pair[1]))
        near = [(district_id, known[district_id]) for score, district_id in scored
                if score >= SUGGESTION_CUTOFF or district_id in hits or _contains(key, keys[district_id])]
        result.append(NameMatch(name, None, tuple(near[:limit])))
    return result


def _contains(key: str, other: str) -> bool:
    """"leteln" in "letelnaminghausen": a part of a double name is a plausible suggestion however short."""
    return len(key) >= 4 and len(other) >= 4 and (key in other or other in key)
