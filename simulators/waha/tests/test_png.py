import struct
import zlib

from simulators.waha.png import PNG_SIGNATURE, blank_png, qr_modules, qr_png


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Check every chunk's CRC and return width, height and the unfiltered grayscale rows."""
    assert data.startswith(PNG_SIGNATURE)
    offset, chunks = len(PNG_SIGNATURE), []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks.append((kind, body))
        offset += 12 + length
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, color, *_ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color) == (8, 0)
    raw = zlib.decompress(chunks[1][1])
    rows = [raw[i * (width + 1) : (i + 1) * (width + 1)] for i in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1:] for row in rows]


def test_qr_png_is_a_valid_black_and_white_png():
    width, height, rows = decode_png(qr_png("2@abc,def", scale=4, border=2))

    assert width == height == (29 + 4) * 4
    assert {pixel for row in rows for pixel in row} == {0, 255}
    assert rows[0] == b"\xff" * width  # quiet zone
    assert rows[2 * 4][2 * 4] == 0  # the top-left finder's corner is dark


def test_qr_grid_is_deterministic_per_value():
    assert qr_modules("2@one") == qr_modules("2@one")
    assert qr_modules("2@one") != qr_modules("2@two")
    assert qr_png("2@one") == qr_png("2@one")


def test_blank_png_decodes():
    width, height, _ = decode_png(blank_png(10, 5))

    assert (width, height) == (10, 5)
