"""QR-like PNG images written with the standard library only (zlib + struct).

The picture is a deterministic grid derived from the QR value, with the three finder squares of a
real QR code so it reads as one at a glance. It is not scannable: the simulator's phone page
"scans" the raw value instead.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MODULES = 29  # the size of a version 3 QR code
_FINDER = 7


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_grayscale(rows: list[bytes]) -> bytes:
    """Encode 8-bit grayscale ``rows`` (all the same length) as a PNG."""
    height, width = len(rows), len(rows[0])
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every scanline
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _bits(seed: bytes):
    counter = 0
    while True:
        block = hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        for byte in block:
            for shift in range(8):
                yield (byte >> shift) & 1
        counter += 1


def _finder_dark(row: int, col: int) -> bool | None:
    """Dark/light inside one of the three finder squares (with its light separator), else None."""
    for top, left in ((0, 0), (0, _MODULES - _FINDER), (_MODULES - _FINDER, 0)):
        r, c = row - top, col - left
        if -1 <= r <= _FINDER and -1 <= c <= _FINDER:
            if r in (-1, _FINDER) or c in (-1, _FINDER):
                return False
            ring = min(r, c, _FINDER - 1 - r, _FINDER - 1 - c)
            return ring != 1
    return None


def qr_modules(value: str) -> list[list[bool]]:
    """The module grid (True = dark) for ``value``: finders, timing lines, then hashed data."""
    bits = _bits(value.encode())
    grid = []
    for row in range(_MODULES):
        line = []
        for col in range(_MODULES):
            finder = _finder_dark(row, col)
            if finder is not None:
                line.append(finder)
            elif row == 6 or col == 6:
                line.append((row + col) % 2 == 0)
            else:
                line.append(bool(next(bits)))
        grid.append(line)
    return grid


def qr_png(value: str, *, scale: int = 8, border: int = 4) -> bytes:
    """A black-on-white PNG of ``value``'s module grid, ``scale`` pixels per module."""
    modules = qr_modules(value)
    side = (_MODULES + 2 * border) * scale
    blank = b"\xff" * side
    rows = [blank] * (border * scale)
    for line in modules:
        pixels = bytearray(b"\xff" * (border * scale))
        for dark in line:
            pixels += (b"\x00" if dark else b"\xff") * scale
        pixels += b"\xff" * (border * scale)
        rows.extend([bytes(pixels)] * scale)
    rows.extend([blank] * (border * scale))
    return png_grayscale(rows)


def blank_png(width: int = 320, height: int = 200, shade: int = 0xEE) -> bytes:
    """A plain gray picture (the "screenshot" of a session that shows no QR)."""
    return png_grayscale([bytes([shade]) * width] * height)
