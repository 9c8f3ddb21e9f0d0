"""Which parts of ``data/SOURCES.md`` describe the data actually loaded."""
from __future__ import annotations

import re
from collections.abc import Iterable

_SECTION = re.compile(r"^## ", re.MULTILINE)


def sources_without(markdown: str, file_names: Iterable[str]) -> str:
    """``markdown`` without the level-2 sections whose heading names one of ``file_names``.

    Used to hide the documentation of shipped files that a deployment has
    replaced by its own (e.g. ``## data/stadtteile.geojson`` when the official
    district file is loaded): the page must not describe files that are not in use.
    """
    names = [n for n in file_names if n]
    starts = [m.start() for m in _SECTION.finditer(markdown)]
    if not names or not starts:
        return markdown
    pieces = [markdown[: starts[0]]]
    for begin, end in zip(starts, [*starts[1:], len(markdown)]):
        section = markdown[begin:end]
        heading = section.splitlines()[0]
        if not any(re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", heading) for name in names):
            pieces.append(section)
    return "".join(pieces)
