"""Writing files so that a failed run leaves the old file as it was."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path`` (same name, own folder), then rename it over ``path``.

    Whatever ``write`` returns (e.g. the byte count of :meth:`Path.write_bytes`) is ignored.
    """
    tmp_dir = Path(tempfile.mkdtemp(prefix=".qk-write-", dir=path.parent))
    tmp = tmp_dir / path.name  # same file name: GeoJSON stores it as the layer name
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
        tmp_dir.rmdir()
