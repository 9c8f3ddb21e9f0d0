"""The vendored map libraries (geo/render/assets.py): checksums and the cleanup of files no version loads any more.
Everything on hand-made files in a temporary ``static/``; nothing is fetched."""
from __future__ import annotations

import base64
import hashlib

from geo.render.assets import NpmAsset, remove_stale_vendor_files, stale_vendor_files, verify_integrity

LEAFLET = NpmAsset("leaflet", "1.9.4", "sha512-x", {"package/dist/leaflet.js": "leaflet/leaflet.js",
                                                   "package/dist/images/layers.png": "leaflet/images/layers.png"})


def write(path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_integrity_is_npm_sha512_in_base64():
    data = b"leaflet"
    published = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    assert verify_integrity(data, published)
    assert not verify_integrity(data + b" ", published)


def test_files_of_a_plugin_no_longer_pinned_are_stale_and_go_with_their_folders(tmp_path):
    vendor = tmp_path / "vendor"
    for kept in ("leaflet/leaflet.js", "leaflet/images/layers.png"):
        write(vendor / kept)
    stale = ["leaflet/images/old-marker.png", "markercluster/MarkerCluster.css",
             "markercluster/leaflet.markercluster.js", "subgroup/deep/plugin.js"]
    for name in stale:
        write(vendor / name)

    assert stale_vendor_files(tmp_path, (LEAFLET,)) == sorted(vendor / name for name in stale)
    assert remove_stale_vendor_files(tmp_path, (LEAFLET,)) == sorted(vendor / name for name in stale)
    assert sorted(p.relative_to(vendor).as_posix() for p in vendor.rglob("*")) == [
        "leaflet", "leaflet/images", "leaflet/images/layers.png", "leaflet/leaflet.js"]
    assert stale_vendor_files(tmp_path, (LEAFLET,)) == []


def test_no_vendor_folder_yet_means_nothing_stale(tmp_path):
    assert stale_vendor_files(tmp_path, (LEAFLET,)) == []
    assert remove_stale_vendor_files(tmp_path, (LEAFLET,)) == []
