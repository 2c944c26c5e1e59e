#!/usr/bin/python3
"""png_colors.py PNG - prints "WIDTHxHEIGHT COLORS": the image's size and how
many distinct pixel values it holds, decoding the PNG with zlib alone (8-bit
greyscale, RGB, grey+alpha or RGBA, not interlaced: what a browser's
screenshot is). Exits 2 for a file it cannot decode.

tests/test_audit.c runs it on the headless browser's screenshot of an audit
report: a blank page has one colour, a rendered one thousands.
"""
import struct
import sys
import zlib


def decode(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG signature")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]:
            raise ValueError("bad CRC in chunk %r" % kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if ihdr is None:
        raise ValueError("no IHDR")
    width, height, depth, ctype, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError("unsupported PNG (depth %d, colour type %d, interlace %d)"
                         % (depth, ctype, interlace))
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    prev = bytearray(stride)
    colors = set()
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
            elif ftype != 0:
                raise ValueError("bad filter type %d" % ftype)
        for x in range(0, stride, channels):
            colors.add(bytes(line[x:x + channels]))
        prev = line
    return width, height, len(colors)


def main():
    if len(sys.argv) != 2:
        print("usage: png_colors.py PNG", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], "rb") as f:
            width, height, colors = decode(f.read())
    except (OSError, ValueError, zlib.error, struct.error) as e:
        print("png_colors.py: %s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 2
    print("%dx%d %d" % (width, height, colors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
