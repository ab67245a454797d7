"""ui.qr: the join link, and its QR code as SVG read back by a decoder written here.

No QR decoder is installed (no zbar, no OpenCV), so this file has a small one of its own, for
the symbols a join link makes: QR versions 1 to 6, any error level and mask, byte segments
(segno encodes a link, lower-case letters and all, as one; ISO/IEC 18004). It reads the
modules from the SVG's path, not from segno, undoes the mask, walks the data modules in their
zigzag order, de-interleaves the blocks and parses the segments. It does not correct errors
(a rendered symbol has none), so a single wrong module shows.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import segno

from ui.qr import DEFAULT_SCALE, QUIET_ZONE, join_link, join_qr, join_qr_svg
from ui.rooms import NoSuchRoomError

SVG = "{http://www.w3.org/2000/svg}"

# --------------------------------------------------------------------------- a decoder

# Data codewords of each block, by version and error level (ISO/IEC 18004, table 9).
BLOCKS = {
    1: {"L": [19], "M": [16], "Q": [13], "H": [9]},
    2: {"L": [34], "M": [28], "Q": [22], "H": [16]},
    3: {"L": [55], "M": [44], "Q": [17] * 2, "H": [13] * 2},
    4: {"L": [80], "M": [32] * 2, "Q": [24] * 2, "H": [9] * 4},
    5: {"L": [108], "M": [43] * 2, "Q": [15, 15, 16, 16], "H": [11, 11, 12, 12]},
    6: {"L": [68] * 2, "M": [27] * 4, "Q": [19] * 4, "H": [15] * 4},
}
LEVELS = {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}
MASKS = [
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
]


def format_words() -> dict[int, tuple[str, int]]:
    """The 32 masked 15-bit format words -> (error level, mask)."""
    words = {}
    for level_bits, level in LEVELS.items():
        for mask in range(8):
            data = (level_bits << 3) | mask
            remainder = data << 10
            for shift in range(4, -1, -1):  # divide by the BCH generator 10100110111
                if remainder & (1 << (shift + 10)):
                    remainder ^= 0b10100110111 << shift
            words[((data << 10) | remainder) ^ 0b101010000010010] = (level, mask)
    return words


def function_modules(size: int, version: int) -> list[list[bool]]:
    """Finders with separators and format areas, timing patterns, the alignment pattern."""
    used = [[False] * size for _ in range(size)]

    def block(rows, cols):
        for r in rows:
            for c in cols:
                used[r][c] = True

    block(range(9), range(9))
    block(range(9), range(size - 8, size))
    block(range(size - 8, size), range(9))  # with the dark module at (4V + 9, 8)
    block([6], range(size))
    block(range(size), [6])
    if version >= 2:
        centre = size - 7
        block(range(centre - 2, centre + 3), range(centre - 2, centre + 3))
    return used


def decode(matrix: list[list[bool]]) -> str:
    size = len(matrix)
    version = (size - 17) // 4
    assert 17 + 4 * version == size and 1 <= version <= 6, f"not a version 1-6 symbol: {size}"
    bits = 0
    read_order = [(8, c) for c in range(6)] + [(8, 7), (8, 8), (7, 8)]
    read_order += [(r, 8) for r in range(5, -1, -1)]
    for r, c in read_order:
        bits = (bits << 1) | matrix[r][c]
    level, mask_number = format_words()[bits]  # a KeyError: the format is damaged
    mask, used = MASKS[mask_number], function_modules(size, version)
    stream = []
    col, upward = size - 1, True
    while col > 0:
        if col == 6:  # the vertical timing pattern
            col -= 1
        for r in range(size - 1, -1, -1) if upward else range(size):
            for c in (col, col - 1):
                if not used[r][c]:
                    stream.append(int(matrix[r][c]) ^ int(mask(r, c)))
        upward, col = not upward, col - 2
    codewords = [int("".join(map(str, stream[i : i + 8])), 2) for i in range(0, len(stream) - 7, 8)]
    sizes = BLOCKS[version][level]
    blocks = [[] for _ in sizes]
    position = 0
    for i in range(max(sizes)):  # data codewords are interleaved block by block
        for b, block_size in enumerate(sizes):
            if i < block_size:
                blocks[b].append(codewords[position])
                position += 1
    data = "".join(f"{byte:08b}" for block in blocks for byte in block)
    return parse_segments(data)


def parse_segments(data: str) -> str:
    out, at = [], 0

    def take(n: int) -> int:
        nonlocal at
        value = int(data[at : at + n], 2)
        at += n
        return value

    while at + 4 <= len(data):
        mode = take(4)
        if mode == 0:  # terminator
            break
        if mode == 0b0100:  # bytes
            out.append(bytes(take(8) for _ in range(take(8))).decode("utf-8"))
        else:
            raise ValueError(f"segment mode {mode:04b} is not read here")
    return "".join(out)


def svg_modules(svg: str) -> tuple[list[list[bool]], ET.Element]:
    """The dark modules drawn by the SVG's path, without the quiet zone."""
    root = ET.fromstring(svg)
    (path,) = [p for p in root.iter(f"{SVG}path") if p.get("class") == "qrline"]
    # segno scales the path, or the group holding it and the white background.
    transform = next(
        element.get("transform") for element in root.iter() if element.get("transform")
    )
    scale = float(re.fullmatch(r"scale\(([0-9.]+)\)", transform).group(1))
    size = round(float(root.get("width")) / scale) - 2 * QUIET_ZONE
    matrix = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, argument in re.findall(r"([MmHh])([^MmHh]*)", path.get("d")):
        numbers = [float(n) for n in re.findall(r"-?[0-9.]+", argument)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:  # a horizontal line through the middle of a row of modules
            end = numbers[0] if command == "H" else x + numbers[0]
            row = int(y - 0.5) - QUIET_ZONE
            for column in range(int(x), int(end)):
                matrix[row][column - QUIET_ZONE] = True
            x = end
    return matrix, root


# -------------------------------------------------------------------------------- tests


@pytest.mark.parametrize(
    ("base", "code", "link"),
    [
        ("https://lab.example.org", "K7MQ3D", "https://lab.example.org/Live?room=K7MQ3D"),
        ("https://lab.example.org/", "k7m-q3d", "https://lab.example.org/Live?room=K7MQ3D"),
        (
            "http://127.0.0.1:8501/softmax",
            " K7MQ3D",
            "http://127.0.0.1:8501/softmax/Live?room=K7MQ3D",
        ),
    ],
)
def test_the_join_link_names_the_live_page_and_the_code(base, code, link):
    assert join_link(base, code) == link


@pytest.mark.parametrize(
    "base",
    [
        "lab.example.org",
        "ftp://lab.example.org",
        "https://",
        "https://x.org/?a=1",
        "https://x.org/#top",
        "javascript:alert(1)",
    ],
)
def test_a_base_that_is_not_an_http_address_is_refused(base):
    with pytest.raises(ValueError, match="base_url"):
        join_link(base, "K7MQ3D")


def test_a_code_that_is_not_a_room_code_is_refused():
    with pytest.raises(NoSuchRoomError):
        join_link("https://lab.example.org", "K7MQ30")
    with pytest.raises(NoSuchRoomError):
        join_qr_svg("https://lab.example.org", "<svg>")


LINKS = [
    ("https://lab.example.org", "K7MQ3D"),  # 40 bytes: version 3-M, one block, mask 4
    ("http://127.0.0.1:8501", "ABCDEF"),  # 3-M, mask 1
    ("https://softmax-lab.streamlit.app/courses/2026/machine-learning", "PQ46RT"),  # 5-M, 2 blocks
    # 95 bytes: 6-M, four blocks, mask 6
    ("https://a-rather-long-host-name.university.example.edu/teaching/ml/softmax-lab", "ZZZZZZ"),
]


@pytest.mark.parametrize(("base", "code"), LINKS)
def test_the_svg_decodes_back_to_the_join_link(base, code):
    link = join_link(base, code)
    svg = join_qr_svg(base, code)
    matrix, root = svg_modules(svg)
    assert decode(matrix) == link
    # The SVG draws exactly segno's symbol, quiet zone and all, on white.
    symbol = join_qr(link)
    assert matrix == [[bool(module) for module in row] for row in symbol.matrix]
    assert (
        root.tag == f"{SVG}svg" and root.find(f"{SVG}title").text == f"Join Softmax Lab room {code}"
    )
    assert float(root.get("width")) == (len(matrix) + 2 * QUIET_ZONE) * DEFAULT_SCALE
    assert any(p.get("fill") == "#fff" for p in root.iter(f"{SVG}path"))
    assert not symbol.is_micro and symbol.error in ("M", "Q", "H")
    assert symbol.designator == f"{symbol.version}-{symbol.error}"
    assert symbol.version == segno.make_qr(link, error="m").version <= 6


def test_the_decoder_reads_every_module():
    link = join_link("https://lab.example.org", "K7MQ3D")
    matrix, _ = svg_modules(join_qr_svg("https://lab.example.org", "K7MQ3D"))
    size = len(matrix)
    # The zigzag starts at the bottom right, two modules a row, upwards: bits 0-3 are the
    # mode, 4-11 the length, and bit 13, at (size - 7, size - 2), the second bit of "h".
    damaged = [row[:] for row in matrix]
    damaged[size - 1][size - 1] = not damaged[size - 1][size - 1]
    with pytest.raises(ValueError, match="segment mode 1100"):
        decode(damaged)
    damaged = [row[:] for row in matrix]
    damaged[size - 7][size - 2] = not damaged[size - 7][size - 2]
    assert decode(damaged) == chr(ord("h") ^ 0b0100_0000) + link[1:]
    damaged = [row[:] for row in matrix]
    damaged[8][0] = not damaged[8][0]  # a format bit
    with pytest.raises(KeyError):
        decode(damaged)


def test_the_scale_is_bounded():
    for bad in (0, 41, 2.5, True):
        with pytest.raises(ValueError, match="scale"):
            join_qr_svg("https://lab.example.org", "K7MQ3D", scale=bad)
    small = join_qr_svg("https://lab.example.org", "K7MQ3D", scale=2)
    matrix, root = svg_modules(small)
    assert float(root.get("width")) == (len(matrix) + 2 * QUIET_ZONE) * 2
    assert decode(matrix) == "https://lab.example.org/Live?room=K7MQ3D"
