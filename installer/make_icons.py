"""Draw the Tradedesk app icon with QPainter and write it as PNG, ICO and ICNS.

    python3 -m uv run python installer/make_icons.py [--out resources/icons]

The icon is drawn afresh at every size (not scaled down), so the small sizes stay crisp.
The files are committed; run this again only when the drawing changes.

Containers are written here rather than by Qt's image plugins, which store one image per file:
- ICO: an ICONDIR with one entry per size; 16-48 px as 32-bit DIBs (what every Windows shell
  and Inno Setup read), 64 px and up as PNG (Windows Vista and later).
- ICNS: "icns", the total length, then (type, length, PNG) records, lengths big-endian and
  counting their own 8-byte header. Types by pixel size are in ``ICNS_TYPES``.
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPainterPath, QPen

ICON_NAME = "tradedesk"
PNG_SIZE = 512
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_DIB_MAX = 48  # sizes up to this go in as DIBs, larger ones as PNG
#: ICNS type codes and the pixel size each holds (retina types are the doubled size)
ICNS_TYPES: tuple[tuple[bytes, int], ...] = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)

# the theme's colours (app/ui/theme.py): up, down, highlight on a dark tile
_TILE_TOP, _TILE_BOTTOM = "#24324f", "#10151f"
_UP, _DOWN, _LINE = "#26a269", "#e5484d", "#5b8def"
#: candles in a 100 x 100 box: (centre x, wick top, wick bottom, body top, body bottom, colour)
_CANDLES = (
    (29.0, 34.0, 70.0, 42.0, 62.0, _DOWN),
    (50.0, 24.0, 66.0, 30.0, 56.0, _UP),
    (71.0, 14.0, 50.0, 20.0, 42.0, _UP),
)


def draw(size: int) -> QImage:
    """The icon at ``size`` x ``size`` pixels, transparent outside the rounded tile."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / 100.0, size / 100.0)

    tile = QRectF(4, 4, 92, 92)
    gradient = QLinearGradient(tile.topLeft(), tile.bottomLeft())
    gradient.setColorAt(0.0, QColor(_TILE_TOP))
    gradient.setColorAt(1.0, QColor(_TILE_BOTTOM))
    path = QPainterPath()
    path.addRoundedRect(tile, 20, 20)
    painter.fillPath(path, gradient)

    # below 32 px a wick is thinner than a pixel: thicken everything a little
    thin = size < 32
    wick_width = 4.5 if thin else 3.0
    body_width = 15.0 if thin else 13.0
    for x, wick_top, wick_bottom, body_top, body_bottom, colour in _CANDLES:
        pen = QPen(QColor(colour), wick_width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(x, wick_top), QPointF(x, wick_bottom))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        body = QRectF(x - body_width / 2, body_top, body_width, body_bottom - body_top)
        painter.drawRoundedRect(body, 2, 2)

    trend = QPen(QColor(_LINE), 5.0 if thin else 3.5)
    trend.setCapStyle(Qt.PenCapStyle.RoundCap)
    trend.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(trend)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPolyline([QPointF(16, 82), QPointF(38, 76), QPointF(58, 79), QPointF(84, 66)])
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # the stubs say bytes, but PySide6 6.11 accepts only str for the format here
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise RuntimeError("Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def dib_bytes(image: QImage) -> bytes:
    """A 32-bit BGRA DIB as stored in an ICO: header, bottom-up pixels, then the AND mask."""
    argb = image.convertToFormat(QImage.Format.Format_ARGB32)
    width, height = argb.width(), argb.height()
    # Format_ARGB32 is 0xAARRGGBB per pixel: little-endian bytes B, G, R, A, as a DIB wants
    stride = argb.bytesPerLine()  # width * 4 for 32-bit pixels: no padding to skip
    pixels = bytes(argb.constBits())
    rows = [pixels[y * stride : y * stride + width * 4] for y in range(height - 1, -1, -1)]
    header = struct.pack("<IiiHHIIiiII", 40, width, height * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    mask_row = ((width + 31) // 32) * 4  # 1 bit per pixel, rows padded to 32 bits
    return header + b"".join(rows) + bytes(mask_row * height)  # alpha decides; mask all 0


def ico_bytes(sizes: tuple[int, ...] = ICO_SIZES) -> bytes:
    payloads = [dib_bytes(draw(s)) if s <= ICO_DIB_MAX else png_bytes(draw(s)) for s in sizes]
    offset = 6 + 16 * len(sizes)
    head = struct.pack("<HHH", 0, 1, len(sizes))
    entries = b""
    for size, payload in zip(sizes, payloads, strict=True):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(payload), offset)
        offset += len(payload)
    return head + entries + b"".join(payloads)


def icns_bytes(types: tuple[tuple[bytes, int], ...] = ICNS_TYPES) -> bytes:
    cache: dict[int, bytes] = {}
    records = b""
    for code, size in types:
        if size not in cache:
            cache[size] = png_bytes(draw(size))
        records += code + struct.pack(">I", 8 + len(cache[size])) + cache[size]
    return b"icns" + struct.pack(">I", 8 + len(records)) + records


def write_icons(out: Path) -> list[Path]:
    """Write tradedesk.png, tradedesk.ico and tradedesk.icns into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        out / f"{ICON_NAME}.png": png_bytes(draw(PNG_SIZE)),
        out / f"{ICON_NAME}.ico": ico_bytes(),
        out / f"{ICON_NAME}.icns": icns_bytes(),
    }
    for path, data in files.items():
        path.write_bytes(data)
    return list(files)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Draw the Tradedesk app icon.")
    default = Path(__file__).resolve().parent.parent / "resources" / "icons"
    parser.add_argument("--out", type=Path, default=default, help=f"folder (default {default})")
    args = parser.parse_args(argv)
    for path in write_icons(args.out):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
