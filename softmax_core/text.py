"""Text from a file or a link, as one short line of printable characters.

:func:`plain` is the one place that decides how such a value is shown: the core's error
messages quote file content with it, and the app's escapers (``ui.escape``) start from it
before they escape for markdown, HTML, plotly or LaTeX.
"""

from __future__ import annotations

import re

PLAIN_LENGTH = 30

_WHITESPACE = re.compile(r"\s+")


def plain(text: str, limit: int | None = PLAIN_LENGTH) -> str:
    """``text`` as one line of printable characters, cut to ``limit`` characters.

    Every run of whitespace (spaces, tabs, line breaks, no-break and other Unicode spaces)
    becomes one space, and the ends are stripped; every other character that Python does
    not count as printable (control and format characters such as a NUL, an escape or a
    right-to-left override, unassigned and private-use code points, lone surrogates)
    becomes ``?``. Nothing else changes: markup characters stay, for the escaper of the
    medium to deal with.

    Parameters
    ----------
    text : str
        Anything else is turned into a string first.
    limit : int or None, default ``PLAIN_LENGTH`` (30)
        At least 1. A longer result keeps its first ``limit - 1`` characters and ends with
        ``…``. None: no limit.

    Returns
    -------
    shown : str
        ``plain(shown, limit) == shown``: applying it again changes nothing.

    Raises
    ------
    ValueError
        If ``limit`` is not None or an integer of at least 1.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be None or an integer of at least 1, got {limit!r}")
    text = str(text)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() or ch.isspace() else "?" for ch in text)
    text = _WHITESPACE.sub(" ", text).strip(" ")
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
