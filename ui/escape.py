"""A value from a file or a link, shown as plain text in each medium the app writes.

Plain Python, no Streamlit. One helper per medium; each first makes the value one line of
printable characters with :func:`plain` (whitespace runs as one space, other unprintable
characters as ``?``), then escapes what the medium would read as markup, so that the reader
sees the value's characters and nothing else: no image fetched, no link, no bold, no
formula, no error.

- :func:`markdown`: Streamlit's markdown (``st.markdown``, ``st.caption``, ``st.toast``,
  ``st.error`` and the other alerts, widget labels and help), GitHub-flavoured with math
  between dollars, emoji shortcodes and ``:color[...]`` directives.
- :func:`html`: HTML text or a quoted attribute value.
- :func:`plotly`: any text plotly.js draws (trace names in legends, hover texts and
  templates, titles, tick labels). plotly.js reads the tags ``<br>``, ``<b>``, ``<i>``,
  ``<em>``, ``<s>``, ``<u>``, ``<sup>``, ``<sub>``, ``<span style>`` and ``<a href>``, the
  entities ``&amp;`` ``&lt;`` ``&gt;`` ``&nbsp;`` ``&mu;`` ``&times;`` ``&plusmn;``
  ``&deg;`` and numeric ones, ``%{...}`` in templates and ``$...$`` as TeX.
- :func:`latex_text`: the inside of ``\\text{...}`` for KaTeX (``st.latex`` and math in
  markdown).

To cut a value short, cut it first: ``markdown(plain(name, 40))``.
"""

from __future__ import annotations

import html as _html
import re

from softmax_core.text import PLAIN_LENGTH, plain

__all__ = ["PLAIN_LENGTH", "html", "latex_text", "markdown", "plain", "plotly"]

# Every character Streamlit's markdown could read as markup, backslash-escaped (CommonMark
# lets any ASCII punctuation be). ':' stops emoji shortcodes, :color[...] and :material/...:
# directives and autolinks; '$' stops math. The list is ui.settings.escape_markdown's, which
# the app tests' unescaping mirrors.
MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~$:=^\"'&%@/"
_MARKDOWN = re.compile("([" + re.escape(MARKDOWN_SPECIAL) + "])")

# '&' '<' '>' as entities leave plotly.js no tag and no entity; '%' and '$' as numeric
# entities leave it no %{...} template and no $...$ TeX (entities are decoded only when
# the text is drawn, after templates and TeX are looked for).
_PLOTLY = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "%": "&#37;", "$": "&#36;"}
_PLOTLY_SPECIAL = re.compile("[" + re.escape("".join(_PLOTLY)) + "]")

# KaTeX text mode: the ASCII characters it reads as commands, groups, math, comments,
# alignment, parameters, sub- and superscripts or a no-break space, written as commands
# that draw them. A command word ends with {} so that it keeps the space or letter after it.
_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\textdollar{}",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "%": r"\%",
}
# KaTeX joins -- and --- into dashes and '' and `` into curly double quotes.
_LIGATURES = frozenset("-'`")
# Combining marks KaTeX's lexer joins to the character before; it draws those below as
# accents (any other, or one after a space, a command or a brace, is a parse error).
_COMBINING = re.compile("[\u0300-\u036f]")
# KaTeX 0.18's table: grave, acute, circumflex, tilde, macron, breve, dot, diaeresis, ring,
# double acute, caron, cedilla.
_KATEX_ACCENTS = frozenset(
    "\u0300\u0301\u0302\u0303\u0304\u0306\u0307\u0308\u030a\u030b\u030c\u0327"
)


def markdown(text: str) -> str:
    """``text`` as plain text in Streamlit markdown.

    Every character of ``MARKDOWN_SPECIAL`` gets a backslash; no line break, tab or run of
    spaces is left to start a paragraph, a code block or a hard break.

    Parameters
    ----------
    text : str

    Returns
    -------
    escaped : str
        Rendered, it reads ``plain(text, None)``.
    """
    return _MARKDOWN.sub(r"\\\1", plain(text, None))


def html(text: str) -> str:
    """``text`` as HTML text, also safe inside a single- or double-quoted attribute.

    Parameters
    ----------
    text : str

    Returns
    -------
    escaped : str
        ``& < > " '`` as character references; it reads ``plain(text, None)``.
    """
    return _html.escape(plain(text, None), quote=True)


def plotly(text: str) -> str:
    """``text`` as plain text in anything plotly.js draws, templates included.

    Parameters
    ----------
    text : str

    Returns
    -------
    escaped : str
        ``&`` ``<`` ``>`` ``%`` ``$`` as entities; drawn, it reads ``plain(text, None)``.
        (plotly.js cuts long trace names in hover labels without regard to entities: cut
        the value before escaping it.)
    """
    return _PLOTLY_SPECIAL.sub(lambda match: _PLOTLY[match.group()], plain(text, None))


def latex_text(text: str) -> str:
    """``text`` for the inside of ``\\text{...}`` in KaTeX.

    The ten characters KaTeX reads as syntax (``\\ { } $ & # ^ _ ~ %``) become the commands
    that draw them; a ``{}`` goes between the two characters of ``--``, ``''`` and ``````
    so that they are not joined into a dash or a curly quote. Other characters, letters of
    every script included, are copied: KaTeX draws them in text mode (a single ``'`` and
    ````` in its fonts' curly shapes, as TeX does). A combining accent is kept if KaTeX
    knows it and it follows a copied character; any other becomes ``?``, as KaTeX would
    stop with a parse error.

    Parameters
    ----------
    text : str

    Returns
    -------
    escaped : str
        No line break and no ``$`` (safe in display math and in markdown's ``$...$`` too).
    """
    out: list[str] = []
    attachable = False  # whether KaTeX would join a combining accent here to what precedes
    bare = ""  # the character just copied, if no accent followed it
    for ch in plain(text, None):
        if _COMBINING.fullmatch(ch):
            if attachable and ch in _KATEX_ACCENTS:
                out.append(ch)
            else:
                out.append("?")
                attachable = True
            bare = ""
        elif ch in _LATEX:
            out.append(_LATEX[ch])
            attachable, bare = False, ""
        elif ch == " ":
            out.append(" ")
            attachable, bare = False, ""
        else:
            if ch == bare and ch in _LIGATURES:
                out.append("{}")
            out.append(ch)
            attachable, bare = True, ch
    return "".join(out)
