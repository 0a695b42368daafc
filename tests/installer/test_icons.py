"""The app icon: installer/make_icons.py draws it; the committed files are valid containers."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from PySide6.QtGui import QImage, QImageReader

from installer import make_icons
from installer.bundle import ICON_DIR


def ico_entries(data: bytes) -> list[tuple[int, bytes]]:
    """(pixel size, payload) for each image in an ICO file, checked against the header."""
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind) == (0, 1)
    entries = []
    for i in range(count):
        w, h, _colours, _res, planes, bits, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i
        )
        assert w == h and planes == 1 and bits == 32
        assert offset + length <= len(data)
        entries.append((w or 256, data[offset : offset + length]))
    return entries


def icns_entries(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    pos, entries = 8, []
    while pos < len(data):
        code, length = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        assert length > 8 and pos + length <= len(data)
        entries.append((code, data[pos + 8 : pos + length]))
        pos += length
    return entries


def decoded(payload: bytes) -> QImage:
    image = QImage()
    assert image.loadFromData(payload, "PNG")
    return image


@pytest.fixture(scope="module")
def fresh_icons(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("icons")
    make_icons.write_icons(out)
    return out


@pytest.mark.parametrize("folder", ["fresh", "committed"])
def test_ico_holds_every_size_small_as_dib_large_as_png(fresh_icons: Path, folder: str) -> None:
    path = (fresh_icons if folder == "fresh" else ICON_DIR) / "tradedesk.ico"
    entries = ico_entries(path.read_bytes())
    assert [size for size, _ in entries] == list(make_icons.ICO_SIZES)
    for size, payload in entries:
        if size <= make_icons.ICO_DIB_MAX:
            header_size, width, height = struct.unpack_from("<Iii", payload)
            assert (header_size, width, height) == (40, size, 2 * size)
        else:
            assert decoded(payload).size().width() == size
    # and Qt's own ICO reader (what Windows tooling sees, roughly) reads every image
    reader = QImageReader(str(path))
    sizes = []
    for i in range(reader.imageCount()):
        reader.jumpToImage(i)
        image = reader.read()
        assert not image.isNull()
        sizes.append(image.width())
    assert sorted(sizes) == sorted(make_icons.ICO_SIZES)


@pytest.mark.parametrize("folder", ["fresh", "committed"])
def test_icns_records_are_pngs_of_the_declared_size(fresh_icons: Path, folder: str) -> None:
    path = (fresh_icons if folder == "fresh" else ICON_DIR) / "tradedesk.icns"
    entries = icns_entries(path.read_bytes())
    assert [code for code, _ in entries] == [code for code, _ in make_icons.ICNS_TYPES]
    expected = dict(make_icons.ICNS_TYPES)
    for code, payload in entries:
        assert payload[:8] == b"\x89PNG\r\n\x1a\n"
        image = decoded(payload)
        assert (image.width(), image.height()) == (expected[code], expected[code])


def test_the_drawing_is_opaque_inside_and_transparent_in_the_corners() -> None:
    image = make_icons.draw(64)
    assert image.pixelColor(0, 0).alpha() == 0
    assert image.pixelColor(32, 8).alpha() == 255
    # the rising candle (green) and the falling one (red) are where the drawing puts them
    assert image.pixelColor(45, 20).green() > 120
    assert image.pixelColor(18, 33).red() > 180


def test_png_is_the_large_icon(fresh_icons: Path) -> None:
    for folder in (fresh_icons, ICON_DIR):
        image = QImage(str(folder / "tradedesk.png"))
        assert (image.width(), image.height()) == (make_icons.PNG_SIZE, make_icons.PNG_SIZE)
        assert image.hasAlphaChannel()
