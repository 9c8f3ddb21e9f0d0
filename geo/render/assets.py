"""Leaflet and plugin assets served by the app itself (no CDN).

The files are other people's code, so they are not committed: ``python -m geo
fetch-assets`` downloads the pinned npm tarballs, checks their published
SHA-512 integrity and unpacks the needed files into ``static/vendor/``.
Streamlit serves ``static/`` at ``/app/static/`` (``enableStaticServing``).
"""
from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from geo.config import STATIC_DIR

FRAME_ASSET_BASE = "app/static"
"""Asset URL prefix relative to the app root: the map frame's document gets ``<base href="<app root>">``
(``static/qk/qk-frame.js``), so this also works under a baseUrlPath."""


@dataclass(frozen=True)
class NpmAsset:
    package: str
    version: str
    integrity: str
    """``sha512-…`` as published by the npm registry (``npm view PKG@VER dist.integrity``)."""
    files: dict[str, str]
    """Path inside the tarball → path below ``static/vendor/``."""


VENDOR_ASSETS: tuple[NpmAsset, ...] = (
    NpmAsset("leaflet", "1.9.4",
             "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
             {"package/dist/leaflet.js": "leaflet/leaflet.js",
              "package/dist/leaflet.css": "leaflet/leaflet.css",
              "package/dist/images/layers.png": "leaflet/images/layers.png",
              "package/dist/images/layers-2x.png": "leaflet/images/layers-2x.png",
              "package/dist/images/marker-icon.png": "leaflet/images/marker-icon.png",
              "package/dist/images/marker-icon-2x.png": "leaflet/images/marker-icon-2x.png",
              "package/dist/images/marker-shadow.png": "leaflet/images/marker-shadow.png",
              "package/LICENSE": "leaflet/LICENSE"}),
    # Clustering on a spatial index (static/qk/qk-cluster.js); the UMD build defines window.Supercluster.
    NpmAsset("supercluster", "8.0.1",
             "sha512-IiOea5kJ9iqzD2t7QJq/cREyLHTtSmUT6gQsweojg9WH2sYJqZK9SswTu6jrscO6D1G5v5vYZ9ru/eq85lXeZQ==",
             {"package/dist/supercluster.min.js": "supercluster/supercluster.min.js",
              "package/LICENSE": "supercluster/LICENSE"}),
)

TEST_ASSETS: tuple[NpmAsset, ...] = (
    # Accessibility checker for the browser tests (tests/e2e/test_map_ux.py), injected from this local file.
    NpmAsset("axe-core", "4.14.1",
             "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
             {"package/axe.min.js": "axe-core/axe.min.js", "package/LICENSE": "axe-core/LICENSE"}),
)
"""Only for ``scripts/install.sh --test``; the app never loads them."""

PINNED_ASSETS = VENDOR_ASSETS + TEST_ASSETS
"""Everything an install may write below ``static/vendor/``."""

# (name, path below static/) — order matters: Leaflet before its plugins. No jQuery: only folium's HTML popups and
# "objects in front" call $(), and the maps use neither (offer popups are built by qk-map.js); it was 87 KB to load
# and parse before every map.
MAP_JS = (("leaflet", "vendor/leaflet/leaflet.js"), ("qk_map", "qk/qk-map.js"))
MAP_CSS = (("leaflet_css", "vendor/leaflet/leaflet.css"), ("qk_css", "qk/qk.css"))
CLUSTER_JS = (("supercluster", "vendor/supercluster/supercluster.min.js"), ("qk_cluster", "qk/qk-cluster.js"))


def map_asset_paths() -> list[str]:
    """Every file below ``static/`` a map frame loads (scripts first, in load order, then stylesheets)."""
    return [p for _, p in MAP_JS + CLUSTER_JS + MAP_CSS]


def asset_links(entries: tuple[tuple[str, str], ...], base: str) -> list[tuple[str, str]]:
    """``[(name, URL)]`` for folium's ``default_js``/``default_css`` with ``base`` as prefix."""
    return [(name, f"{base.rstrip('/')}/{path}") for name, path in entries]


def missing_assets(static_dir: Path = STATIC_DIR) -> list[str]:
    """Paths below ``static/`` that the map needs but that are not there."""
    return [p for p in map_asset_paths() if not (static_dir / p).is_file()]


def stale_vendor_files(static_dir: Path = STATIC_DIR,
                       assets: tuple[NpmAsset, ...] = PINNED_ASSETS) -> list[Path]:
    """Files below ``static/vendor/`` that none of ``assets`` writes, sorted: left there by an earlier version
    (Leaflet.markercluster, its subgroup plugin, jQuery). Streamlit serves all of ``static/``, so other people's
    code that the app no longer loads would stay reachable and unpatched."""
    vendor = static_dir / "vendor"
    if not vendor.is_dir():
        return []
    wanted = {vendor / target for asset in assets for target in asset.files.values()}
    return sorted(path for path in vendor.rglob("*") if path.is_file() and path not in wanted)


def remove_stale_vendor_files(static_dir: Path = STATIC_DIR,
                              assets: tuple[NpmAsset, ...] = PINNED_ASSETS) -> list[Path]:
    """Delete :func:`stale_vendor_files` and the folders they leave empty; returns the deleted files."""
    stale = stale_vendor_files(static_dir, assets)
    for path in stale:
        path.unlink()
    vendor = static_dir / "vendor"
    for folder in sorted({p.parent for p in stale}, key=lambda f: len(f.parts), reverse=True):
        while folder != vendor and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return stale


def verify_integrity(data: bytes, integrity: str) -> bool:
    """Check bytes against an npm ``sha512-<base64>`` integrity string."""
    algo, _, expected = integrity.partition("-")
    digest = hashlib.new(algo, data).digest()
    return base64.b64encode(digest).decode("ascii") == expected


def fetch_assets(static_dir: Path = STATIC_DIR, assets: tuple[NpmAsset, ...] = VENDOR_ASSETS) -> list[Path]:
    """Download (``npm pack``), verify and unpack ``assets`` (default: the map's); returns the written files."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for asset in assets:
            spec = f"{asset.package}@{asset.version}"
            proc = subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"npm pack {spec} fehlgeschlagen: {proc.stderr.strip()}")
            tarball = Path(tmp) / proc.stdout.strip().splitlines()[-1]
            data = tarball.read_bytes()
            if not verify_integrity(data, asset.integrity):
                raise RuntimeError(f"{spec}: Prüfsumme stimmt nicht mit der veröffentlichten überein.")
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
                for inner, target in asset.files.items():
                    member = archive.extractfile(inner)
                    if member is None:
                        raise RuntimeError(f"{spec}: {inner} fehlt im Paket.")
                    out = static_dir / "vendor" / target
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(member.read())
                    written.append(out)
    return written
