#!/usr/bin/env python3
"""Draws build/icon.png (1024x1024 RGBA): three connected graph nodes on a rounded square. Standard library only;
electron-builder derives the .icns (macOS), .ico (Windows) and the Linux icon sizes from this one file."""
import math
import struct
import zlib
from pathlib import Path

SIZE = 1024


def blend(dst, src, alpha):
    return tuple(round(d * (1 - alpha) + s * alpha) for d, s in zip(dst, src))


def main() -> None:
    bg = (30, 41, 59)
    edge = (148, 163, 184)
    nodes = [((300, 340), (56, 189, 248)), ((300, 700), (56, 189, 248)), ((724, 520), (244, 114, 182))]
    radius, corner = 92, 200
    rows = []
    for y in range(SIZE):
        row = bytearray([0])
        for x in range(SIZE):
            # rounded-square mask with a 1 px soft edge
            cx = min(max(x, corner), SIZE - 1 - corner)
            cy = min(max(y, corner), SIZE - 1 - corner)
            d = math.hypot(x - cx, y - cy)
            a = max(0.0, min(1.0, corner - d + 0.5))
            color = bg
            for (x0, y0), _ in nodes[:2]:
                x1, y1 = nodes[2][0]
                t = max(0.0, min(1.0, ((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / ((x1 - x0) ** 2 + (y1 - y0) ** 2)))
                dist = math.hypot(x - (x0 + t * (x1 - x0)), y - (y0 + t * (y1 - y0)))
                color = blend(color, edge, max(0.0, min(1.0, 14 - dist)))
            for (nx, ny), fill in nodes:
                dist = math.hypot(x - nx, y - ny)
                color = blend(color, fill, max(0.0, min(1.0, radius - dist)))
            row += bytes((*color, round(a * 255)))
        rows.append(bytes(row))
    raw = zlib.compress(b''.join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', SIZE, SIZE, 8, 6, 0, 0, 0)) + chunk(b'IDAT', raw) + chunk(b'IEND', b'')
    Path(__file__).with_name('icon.png').write_bytes(png)


if __name__ == '__main__':
    main()
