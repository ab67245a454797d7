"""The link a student opens to join a live room, and its QR code as SVG (with ``segno``).

Plain Python, no Streamlit. The page shows the SVG as an image (``st.image`` takes an SVG
string); it holds nothing from a student: the app's own base URL and a room code, which is
letters and digits from ``ui.rooms.CODE_ALPHABET`` only.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode, urlsplit

import segno

from .rooms import normalise_code

JOIN_PAGE = "Live"  # pages/Live.py: Streamlit serves it at <base>/Live
# Medium error correction (15% of the symbol may be lost: a projector's glare, a finger);
# segno raises it further when that fits in the same size.
ERROR_LEVEL = "m"
DEFAULT_SCALE = 8  # pixels per module: a link's code (version 3 or 4) is about 300 px wide
QUIET_ZONE = 4  # modules of blank border, as the standard asks


def join_link(base_url: str, code: str) -> str:
    """``<base_url>/Live?room=<CODE>``: what a student's phone opens.

    Parameters
    ----------
    base_url : str
        The app's address, ``http(s)://host[:port][/path]`` (no query or fragment); a
        trailing slash is dropped.
    code : str
        A room code, as typed (normalised with :func:`ui.rooms.normalise_code`).

    Raises
    ------
    ValueError
        If ``base_url`` is not such an address (``NoSuchRoomError``, a ``LookupError``, if
        ``code`` is not a room code).
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"base_url must be an http(s) address without a query: {base_url!r}")
    base = base_url.strip().rstrip("/")
    return f"{base}/{JOIN_PAGE}?{urlencode({'room': normalise_code(code)})}"


def join_qr(link: str) -> segno.QRCode:
    """The QR code of ``link``: a full QR code (never a Micro QR, which phones rarely read),
    error correction ``ERROR_LEVEL`` or better."""
    return segno.make_qr(link, error=ERROR_LEVEL)


def join_qr_svg(base_url: str, code: str, *, scale: int = DEFAULT_SCALE) -> str:
    """The QR code of :func:`join_link` as a standalone SVG document (a string).

    Black modules on a white square with a quiet zone of ``QUIET_ZONE`` modules, so that it
    scans on a dark page too; ``scale`` pixels per module.
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= 40:
        raise ValueError("scale must be a whole number of pixels from 1 to 40")
    code = normalise_code(code)
    out = io.BytesIO()
    join_qr(join_link(base_url, code)).save(
        out,
        kind="svg",
        scale=scale,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        xmldecl=False,
        title=f"Join Softmax Lab room {code}",
    )
    return out.getvalue().decode("utf-8")


def alt_text(base_url: str, code: str) -> str:
    """What a screen reader says for the QR code image: the room and the link it opens."""
    return f"QR code that opens room {code}: {join_link(base_url, code)}"
