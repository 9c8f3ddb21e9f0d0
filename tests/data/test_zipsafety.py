"""geo.data.zipsafety: the one set of checks of an untrusted ZIP, used by the workbook reader (XLSX/ODS) and the
district upload (zipped Shapefiles), each wording the refusal for its users."""
from __future__ import annotations

import io
import zipfile

import pytest

from geo.data.zipsafety import ZipLimits, ZipRefusal, check_archive, check_member_count, safe_member_path

LIMITS = ZipLimits(max_members=5, max_unpacked_bytes=10_000, max_ratio=200, ratio_min_bytes=1000)


def archive(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


def infos(raw: bytes) -> list[zipfile.ZipInfo]:
    return zipfile.ZipFile(io.BytesIO(raw)).infolist()


def refusal(raw: bytes, paths: bool = False) -> ZipRefusal:
    with pytest.raises(ZipRefusal) as caught:
        check_archive(infos(raw), LIMITS, paths=paths)
    return caught.value


def test_an_ordinary_archive_passes():
    raw = archive({"a.shp": b"x" * 500, "a.dbf": b"y" * 500, "ordner/b.prj": b"z"})
    check_member_count(raw, LIMITS)
    check_archive(infos(raw), LIMITS, paths=True)


def test_too_many_members_are_counted_on_the_bytes_before_opening():
    raw = archive({f"{i}.txt": b"x" for i in range(6)})
    with pytest.raises(ZipRefusal) as caught:
        check_member_count(raw, LIMITS)
    assert (caught.value.reason, caught.value.count) == ("members", 6)
    assert refusal(raw).reason == "members"


def test_unpacked_size_and_compression_ratio():
    big = refusal(archive({"a.txt": b"x" * 6000, "b.txt": b"y" * 6000}, zipfile.ZIP_STORED))
    assert (big.reason, big.total) == ("unpacked", 12_000)
    bomb = refusal(archive({"a.xml": bytes(9000)}))
    assert bomb.reason == "ratio" and bomb.name == "a.xml" and bomb.ratio > 200
    # small members may pack better: harmless, counted in the unpacked size
    check_archive(infos(archive({"a.xml": bytes(900)})), LIMITS)


@pytest.mark.parametrize("second", ["A.SHP", "ordner\\a.shp"])
def test_members_that_differ_only_in_case_or_separator_are_refused(second):
    first = "ordner/a.shp" if "\\" in second else "a.shp"
    found = refusal(archive({first: b"x", second: b"y"}))
    assert (found.reason, found.name) == ("duplicate", second)


def test_paths_out_of_the_folder_are_refused_only_where_the_archive_is_unpacked():
    raw = archive({"../a.shp": b"x"})
    assert refusal(raw, paths=True).reason == "path"
    check_archive(infos(raw), LIMITS)  # a workbook is read in memory, never unpacked to disk
    for name in ("/etc/a", "..\\a", "C:\\a", "a/../../b", ""):
        assert not safe_member_path(name), name
    assert safe_member_path("ordner/a.shp")


def test_an_encrypted_member_is_refused():
    raw = bytearray(archive({"a.txt": b"x"}))
    for marker in (b"PK\x03\x04", b"PK\x01\x02"):  # flag bit 0 in the local and the central header
        at = raw.find(marker)
        offset = at + (6 if marker == b"PK\x03\x04" else 8)
        raw[offset] |= 0x1
    assert refusal(bytes(raw)).reason == "encrypted"
