"""Tests of ``ui.escape`` and ``softmax_core.text.plain``: a value from a file or a link is
shown as its own characters, never as markup, in every medium the app writes.

Each medium is checked by a renderer: markdown by markdown-it-py (CommonMark with GitHub's
tables, strikethrough and autolinks, and math between dollars, as Streamlit's markdown has),
HTML by Python's HTML parser, plotly by a transcription of plotly.js's text parser, and
LaTeX by a transcription of KaTeX's lexer and text-mode rules, and by KaTeX itself (the copy
bundled with Streamlit, run by Node) when Node is installed. A hostile corpus for every
medium, then the same checks on any text (hypothesis): the escaped form renders as
``plain(text, None)``, which also shows that distinct values stay distinct.
"""

import json
import random
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser
from importlib.util import find_spec
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.dollarmath import dollarmath_plugin

from softmax_core.text import PLAIN_LENGTH, plain
from ui import escape

HOSTILE = [
    # markdown: an image loads from anywhere, links, emphasis, code, blocks, tables
    "![i](https://host/p.png)",
    "[click](javascript:alert(1))",
    "<https://host/x>",
    "**bold** __b__ *i* _i_ `code` ~~del~~",
    "# heading",
    "- item",
    "+ item",
    "1. item",
    "2) item",
    "> quote",
    "| a | b |",
    "---",
    "===",
    "```",
    "[ref]: https://host",
    "www.example.com",
    "https://example.com/a_b",
    "user@example.com",
    ":smile: :red[text] :blue-background[x] :material/home:",
    "\\*not\\* escaped",
    # HTML and entities
    "<a href='https://host'>link</a>",
    '<a href="javascript:alert(1)">x</a>',
    "<b>bold</b> <i>it</i> <em>em</em> <s>s</s> <u>u</u>",
    "<br> <br/> <BR >",
    "x<sup>2</sup> x<sub>2</sub>",
    "<span style='color:red'>red</span>",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<!-- comment -->",
    "<![CDATA[x]]>",
    "&amp; &lt; &gt; &quot; &#60; &#x3C; &nbsp; &mu; &deg; &bogus;",
    "R&D",
    "a & b < c > d",
    "\"double\" 'single'",
    # plotly's templates and TeX
    "50% off",
    "%{x}",
    "%{y:.2f} %{customdata[0]}",
    "<extra>trace</extra>",
    # KaTeX and TeX
    "$x^2$",
    "$$\\int$$",
    "\\(x\\)",
    "\\text{a}",
    "\\textbf{x}",
    "a_b^c~d#e{f}g$h&i%j\\k",
    "\\",
    "\\\\",
    "{",
    "}",
    "}{",
    "a--b---c",
    "''quoted'' ``quoted``",
    "'",
    "`",
    "?` !`",
    "\\verb|x|",
    "^^41",
    # whitespace and control characters
    "line\nbreak",
    "two\n\nparagraphs",
    "cr\rlf\r\n",
    "tab\there",
    "  leading and trailing  ",
    "    indented code",
    "\tindented",
    "hard  \nbreak",
    "nul\x00bell\x07esc\x1b",
    "del\x7f c1\x85\x9b",
    "form\x0cfeed\x0bvt",
    "\u2028line\u2029paragraph",
    # Unicode: right-to-left and invisible marks, scripts, accents, emoji
    "\u202eRTL override\u202c",
    "\u200fRLM\u200e LRM",
    "zero\u200bwidth\u200dj",
    "\ufeffBOM",
    "\ue000private\U000f0000",
    "lone \ud800 surrogate",
    "\u00a0no-break\u3000ideographic",
    "émigré naïve façade Ångström",
    "e\u0301 n\u0303 c\u0327 decomposed",
    "x\u0331 macron below",
    "\u0301 leading accent",
    "a \u0301 after a space",
    "&\u0301 ~\u0301 {\u0301 \\\u0301 --\u0301 -\u0301-",
    "i\u0307 j\u0301",
    "日本語 한국어 ไทย",
    "Ελληνικά Кириллица",
    "العربية עברית",
    "🙂 emoji 👩\u200d💻 🇫🇷",
    "x" * 5000,
    "&<" * 1000,
    "",
    " ",
    "\n",
]


def hostile_text():
    """Any text, with the characters that matter to some medium drawn often."""
    special = st.sampled_from(
        [
            *"\\{}$&#^_~%-'`<>[]()!*:@/\"=+.|;?, \n\r\t\x00\x1b\u00a0\u0301\u0331\u202e",
            *["&amp;", "&#37;", "<br>", "<b>", "%{x}", "\\text", "--", "''", "e\u0301"],
        ]
    )
    return st.lists(st.one_of(special, st.characters()), max_size=40).map("".join)


# ---------------------------------------------------------------- plain


@pytest.mark.parametrize(
    ("text", "limit", "shown"),
    [
        ("abc", 30, "abc"),
        ("x" * 30, 30, "x" * 30),
        ("x" * 31, 30, "x" * 29 + "…"),
        ("x" * 5000, 30, "x" * 29 + "…"),
        ("x" * 5000, None, "x" * 5000),
        ("x" * 5, 1, "…"),
        ("  two \t\n words \r\n", 30, "two words"),
        ("nul\x00esc\x1b\u202e\u200b", 30, "nul?esc???"),
        ("\u00a0\u3000\u2028", 30, ""),
        ("![](http://host/x.gif)", 10, "![](http:…"),
        ("e\u0301 日本 🙂", 30, "e\u0301 日本 🙂"),
    ],
)
def test_plain_examples(text, limit, shown):
    assert plain(text, limit) == shown


def test_plain_default_limit_is_30():
    assert PLAIN_LENGTH == 30
    assert plain("y" * 31) == "y" * 29 + "…"


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "30"])
def test_plain_limit_must_be_a_positive_integer(limit):
    with pytest.raises(ValueError, match="limit must be None or an integer of at least 1"):
        plain("text", limit)


@settings(max_examples=300, deadline=None)
@given(text=hostile_text(), limit=st.one_of(st.none(), st.integers(1, 50)))
def test_plain_is_one_short_printable_line_and_idempotent(text, limit):
    shown = plain(text, limit)
    assert shown.isprintable()
    assert shown == shown.strip(" ") and "  " not in shown
    assert limit is None or len(shown) <= limit
    assert plain(shown, limit) == shown
    full = plain(text, None)
    assert shown == full or (shown[:-1] == full[: len(shown) - 1] and shown[-1] == "…")
    if text.isprintable() and "  " not in text and text == text.strip(" "):
        assert full == text  # printable text is left as it is


# ---------------------------------------------------------------- markdown

# CommonMark, GitHub's tables, strikethrough and bare-URL autolinks, math between dollars.
MARKDOWN = MarkdownIt("gfm-like").use(dollarmath_plugin)


def markdown_text(source: str) -> str:
    """The text markdown renders ``source`` to; fails if any of it is markup."""
    tokens = MARKDOWN.parse(source)
    if not tokens:
        return ""
    assert [token.type for token in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    children = tokens[1].children or []
    assert [child.type for child in children] == ["text"] * len(children), children
    text = "".join(child.content for child in children)
    assert MARKDOWN.render(source) == f"<p>{escapeHtml(text)}</p>\n"
    return text


def is_backslash_escaped(source: str) -> bool:
    """Whether every markup character of ``source`` has a backslash before it, and no
    whitespace but single spaces is left."""
    if re.search(r"\s", source.replace(" ", "")) or "  " in source:
        return False
    i = 0
    while i < len(source):
        if source[i] == "\\":
            if i + 1 == len(source) or source[i + 1] not in escape.MARKDOWN_SPECIAL:
                return False
            i += 2
        elif source[i] in escape.MARKDOWN_SPECIAL:
            return False
        else:
            i += 1
    return True


def test_markdown_escapes_the_same_characters_as_before():
    # The app tests unescape toasts and notices with this list (tests/apptest/conftest.py).
    assert set(escape.MARKDOWN_SPECIAL) == set("\\`*_{}[]()#+-.!|<>~$:=^\"'&%@/")
    assert escape.markdown("![](http://host/x.gif)") == r"\!\[\]\(http\:\/\/host\/x\.gif\)"
    assert escape.markdown("<img src=x>") == r"\<img src\=x\>"


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_renders_hostile_text_as_itself(text):
    escaped = escape.markdown(text)
    assert is_backslash_escaped(escaped)
    assert markdown_text(escaped) == plain(text, None)


def backslashes_only(text: str) -> str:
    """What ui.settings.escape_markdown did before: backslashes, and line feeds as spaces."""
    return re.sub(
        "([" + re.escape(escape.MARKDOWN_SPECIAL) + "])", r"\\\1", text.replace("\n", " ")
    )


@pytest.mark.parametrize(
    ("text", "blocks"),
    [
        ("    indented code", ["code_block"]),
        ("\tindented code", ["code_block"]),
        ("two\r\rparagraphs", ["paragraph_open", "inline", "paragraph_close"] * 2),
    ],
)
def test_markdown_leaves_no_whitespace_that_makes_a_block(text, blocks):
    # Backslashes alone leave a code block or two paragraphs.
    assert [token.type for token in MARKDOWN.parse(backslashes_only(text))] == blocks
    assert markdown_text(escape.markdown(text)) == plain(text, None)


def test_markdown_in_a_list_item_and_after_other_text():
    for text in HOSTILE:
        shown = plain(text, None)
        if not shown:
            continue
        tokens = MARKDOWN.parse(f"- {escape.markdown(text)}")
        assert [token.type for token in tokens] == [
            "bullet_list_open", "list_item_open", "paragraph_open", "inline",
            "paragraph_close", "list_item_close", "bullet_list_close",
        ]  # fmt: skip
        assert [child.type for child in tokens[3].children] == ["text"]
        assert tokens[3].children[0].content == shown
        assert markdown_text(f"Could not use {escape.markdown(text)}.") == f"Could not use {shown}."


@settings(max_examples=300, deadline=None)
@given(text=hostile_text())
def test_markdown_renders_any_text_as_itself(text):
    escaped = escape.markdown(text)
    assert is_backslash_escaped(escaped)
    assert markdown_text(escaped) == plain(text, None)


# ---------------------------------------------------------------- HTML


class Collector(HTMLParser):
    """Text and markup of an HTML fragment, character references decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.markup: list[tuple] = []

    def handle_data(self, data):
        self.text.append(data)

    def handle_starttag(self, tag, attrs):
        self.markup.append(("start", tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.markup.append(("startend", tag, attrs))

    def handle_endtag(self, tag):
        self.markup.append(("end", tag))

    def handle_comment(self, data):
        self.markup.append(("comment", data))

    def handle_decl(self, decl):
        self.markup.append(("decl", decl))

    def handle_pi(self, data):
        self.markup.append(("pi", data))

    def unknown_decl(self, data):
        self.markup.append(("unknown", data))


def html_parts(source: str) -> tuple[str, list[tuple]]:
    collector = Collector()
    collector.feed(source)
    collector.close()
    return "".join(collector.text), collector.markup


def check_html(text: str) -> None:
    escaped = escape.html(text)
    assert not set(escaped) & set("<>\"'")
    assert html_parts(escaped) == (plain(text, None), [])
    for quote in "\"'":
        _, markup = html_parts(f"<span title={quote}{escaped}{quote}>")
        assert markup == [("start", "span", [("title", plain(text, None))])]


@pytest.mark.parametrize("text", HOSTILE)
def test_html_renders_hostile_text_as_itself(text):
    check_html(text)


@settings(max_examples=300, deadline=None)
@given(text=hostile_text())
def test_html_renders_any_text_as_itself(text):
    check_html(text)


# ---------------------------------------------------------------- plotly

# plotly.js 4.1.1 (the bundle of plotly 7.1.0), src/lib/svg_text_utils.js: convertToTspans
# and buildSVGText, and src/lib/index.js: TEMPLATE_STRING_REGEX, transcribed.
PLOTLY_NEWLINES = re.compile(r"(\r\n?|\n)")
PLOTLY_SPLIT_TAGS = re.compile(r"(<[^<>]*>)")
PLOTLY_ONE_TAG = re.compile(r"<(/?)([^ >]*)(\s+(.*))?>", re.IGNORECASE)
PLOTLY_TAG_STYLES = {"sup", "sub", "s", "u", "b", "i", "a", "span", "em"}
PLOTLY_ENTITY = re.compile(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);")
PLOTLY_ENTITIES = {
    "mu": "μ",
    "amp": "&",
    "lt": "<",
    "gt": ">",
    "nbsp": "\xa0",
    "times": "×",
    "plusmn": "±",
    "deg": "°",
}
PLOTLY_TEMPLATE = re.compile(r"%{([^\s%{}:]*)([:|\|][^}]*)?}")
PLOTLY_TEX = re.compile(r"([^$]*)([$]+[^$]*[$]+)([^$]*)")


def plotly_entity(match: re.Match) -> str:
    name = match.group(1)
    if name.startswith("#"):
        code = int(name[2:], 16) if name[1:2] == "x" else int(name[1:])
        return chr(code) if code <= 0x10FFFF else match.group()
    return PLOTLY_ENTITIES.get(name, match.group())


def plotly_text(source: str) -> str:
    """What plotly.js draws for ``source``; fails on a tag, a template field or TeX."""
    assert not PLOTLY_TEMPLATE.search(source), source
    assert not PLOTLY_TEX.search(source), source
    drawn = []
    for part in PLOTLY_SPLIT_TAGS.split(PLOTLY_NEWLINES.sub(" ", source)):
        match = PLOTLY_ONE_TAG.search(part)
        tag = match.group(2).lower() if match else None
        assert tag != "br" and tag not in PLOTLY_TAG_STYLES, part
        drawn.append(PLOTLY_ENTITY.sub(plotly_entity, part))
    return "".join(drawn)


def test_the_plotly_model_reads_markup_as_plotly_does():
    assert (
        plotly_text("R&amp;D &lt;b&gt; &#37;{x} &#36; &mu; &bogus;") == "R&D <b> %{x} $ μ &bogus;"
    )
    for markup in ["<b>x</b>", "a<br>b", "<a href='https://h'>x</a>", "<SPAN style='x'>y"]:
        with pytest.raises(AssertionError):
            plotly_text(markup)
    for field in ["%{x}", "50% and $x$"]:
        with pytest.raises(AssertionError):
            plotly_text(field)
    assert plotly_text("<img src=x>") == "<img src=x>"  # a tag plotly.js does not know


def check_plotly(text: str) -> None:
    escaped = escape.plotly(text)
    assert re.fullmatch(r"([^<>&%$]|&amp;|&lt;|&gt;|&#37;|&#36;)*", escaped), escaped
    assert plotly_text(escaped) == plain(text, None)
    # In a hover template, as ui/figures.py writes them: only the template's own fields.
    template = f"x=%{{x:.3f}}<br>P({escaped})=%{{y:.4f}}<extra>scratch</extra>"
    assert PLOTLY_TEMPLATE.findall(template) == [("x", ":.3f"), ("y", ":.4f")]


@pytest.mark.parametrize("text", HOSTILE)
def test_plotly_draws_hostile_text_as_itself(text):
    check_plotly(text)


@settings(max_examples=300, deadline=None)
@given(text=hostile_text())
def test_plotly_draws_any_text_as_itself(text):
    check_plotly(text)


# ---------------------------------------------------------------- LaTeX (KaTeX)

# KaTeX 0.18.10 (bundled with Streamlit 1.67), src/Lexer.js, transcribed. A JavaScript
# string holds a character beyond U+FFFF as two surrogates; Python as one code point.
_ACCENT_MARKS = "[\u0300-\u036f]"
KATEX_TOKEN = re.compile(
    r"([ \r\n\t]+)"
    r"|\\(\n|[ \r\t]+\n?)[ \r\t]*"
    r"|([!-\[\]-\u2027\u202a-\ud7ff\uf900-\uffff]" + _ACCENT_MARKS + "*"
    r"|[\U00010000-\U0010ffff]" + _ACCENT_MARKS + "*"
    r"|\\verb\*([\s\S]).*?\4"
    r"|\\verb([^*a-zA-Z]).*?\5"
    r"|(\\[a-zA-Z@]+)[ \r\n\t]*"
    r"|\\[^\ud800-\udfff\U00010000-\U0010ffff])"
)
# What KaTeX's text mode draws for the commands the escaper writes.
KATEX_COMMANDS = {
    r"\textbackslash": "\\",
    r"\textasciitilde": "~",
    r"\textasciicircum": "^",
    r"\textdollar": "$",
    r"\&": "&",
    r"\%": "%",
    r"\#": "#",
    r"\_": "_",
    r"\{": "{",
    r"\}": "}",
}
# Its text-mode accents (src/unicodeAccents.js); any other combining mark is an error.
KATEX_ACCENTS = set("\u0300\u0301\u0302\u0303\u0304\u0306\u0307\u0308\u030a\u030b\u030c\u0327")
# ASCII characters text mode reads as syntax (\ is always a command): group, math shift,
# comment, alignment, parameter, superscript, subscript, no-break space.
KATEX_SYNTAX = set("{}$%&#^_~")
KATEX_GLYPHS = {"'": "’", "`": "‘"}  # TeX's fonts draw these two as curly quotes


def katex_text(content: str) -> tuple[str, str]:
    """The characters ``\\text{content}`` stands for, and what KaTeX draws of them.

    Fails wherever KaTeX would stop with a parse error, read syntax (a group other than an
    empty ``{}``, math, a comment, ...), drop a space after a command, or join two
    characters into a dash or a curly quote.
    """
    source, drawn = [], []
    previous = None  # the last token, if a bare character a ligature could join
    position = 0
    while position < len(content):
        match = KATEX_TOKEN.match(content, position)
        assert match, f"KaTeX: unexpected character {content[position]!r} in {content!r}"
        token = match.group(6) or match.group(3) or (" " if match.group(1) else None)
        assert token is not None, f"a control space in {content!r}"
        assert not match.group(6) or match.group() == token, f"a command ate a space: {content!r}"
        position = match.end()
        if token == " ":
            source.append(" ")
            drawn.append(" ")
            previous = None
        elif token == "{":
            assert content.startswith("}", position), f"a group in {content!r}"
            position += 1
            previous = None
        elif token.startswith("\\"):
            assert token in KATEX_COMMANDS, f"command {token!r} in {content!r}"
            source.append(KATEX_COMMANDS[token])
            drawn.append(KATEX_COMMANDS[token])
            previous = None
        else:
            # As Parser.parseSymbol does: the combining marks at the end are accents.
            base = token.rstrip("".join(map(chr, range(0x300, 0x370))))
            marks = token[len(base) :]
            assert base, f"an accent without a letter in {content!r}"
            assert base not in KATEX_SYNTAX, f"syntax {base!r} in {content!r}"
            assert set(marks) <= KATEX_ACCENTS, f"unknown accent in {token!r}"
            assert not (base in "-'`" and previous == base), f"ligature in {content!r}"
            source.append(token)
            drawn.append(KATEX_GLYPHS.get(base, base) + marks)
            previous = base if not marks else None
    return "".join(source), "".join(drawn)


def latex_expected(text: str) -> str:
    """``plain(text, None)`` with every combining mark KaTeX cannot draw where it is (not
    one of its accents, or not after a character copied as it is) as ``?``."""
    out: list[str] = []
    for ch in plain(text, None):
        if "\u0300" <= ch <= "\u036f":
            after = out[-1] if out else " "
            drawable = (
                ch in KATEX_ACCENTS and after != " " and after not in "\\" + "".join(KATEX_SYNTAX)
            )
            out.append(ch if drawable else "?")
        else:
            out.append(ch)
    return "".join(out)


def test_the_katex_model_refuses_what_katex_refuses():
    # Each of these is a ParseError, a different drawing or syntax in KaTeX 0.18.10.
    for content in [
        "R&D", "a_b", "x^2", "#1", "50%", "$x$", "{a}", "}", "a~b", "\\b", "\\textbackslash a",
        "a--b", "''", "``", "e\u0331", "\u0301", "\u2028", "\ue000", "\x07",
    ]:  # fmt: skip
        with pytest.raises(AssertionError):
            katex_text(content)
    assert katex_text(r"R\&D \textbackslash{} it's") == ("R&D \\ it's", "R&D \\ it’s")


def check_latex(text: str) -> None:
    escaped = escape.latex_text(text)
    assert "\n" not in escaped and "$" not in escaped
    expected = latex_expected(text)
    source, drawn = katex_text(escaped)
    assert source == expected
    assert drawn == "".join(KATEX_GLYPHS.get(ch, ch) for ch in expected)


@pytest.mark.parametrize("text", HOSTILE)
def test_latex_draws_hostile_text_as_itself(text):
    check_latex(text)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("R&D", r"R\&D"),
        ("a_b^c", r"a\_b\textasciicircum{}c"),
        ("C:\\temp", r"C:\textbackslash{}temp"),
        ("~50% of $5", r"\textasciitilde{}50\% of \textdollar{}5"),
        ("#{x}", r"\#\{x\}"),
        ("a--b---c", "a-{}-b-{}-{}-c"),
        ("''``", "'{}'`{}`"),
        ("naïve e\u0301", "naïve e\u0301"),
        ("x\u0331 \u0301", "x? ?"),
        ("&\u0301", r"\&?"),
    ],
)
def test_latex_examples(text, escaped):
    assert escape.latex_text(text) == escaped


@settings(max_examples=300, deadline=None)
@given(text=hostile_text())
def test_latex_draws_any_text_as_itself(text):
    check_latex(text)


def _katex_bundle() -> Path | None:
    spec = find_spec("streamlit")
    if spec is None or spec.origin is None:
        return None
    found = sorted((Path(spec.origin).parent / "static" / "static" / "js").glob("katex.*.js"))
    return found[0] if found else None


_KATEX_RUNNER = """
import fs from "fs";
import katex from "./katex.mjs";
const bodies = JSON.parse(fs.readFileSync(0, "utf8"));
const results = bodies.map((body) => {
  try {
    return {mathml: katex.renderToString(body, {throwOnError: true, strict: "ignore",
                                                output: "mathml"})};
  } catch (error) {
    return {error: String(error.message)};
  }
});
process.stdout.write(JSON.stringify(results));
"""


def render_with_katex(bodies: list[str], workdir: Path) -> list[dict]:
    """KaTeX's MathML for each body, or its error, rendered by Node in one run."""
    node, bundle = shutil.which("node"), _katex_bundle()
    if node is None or bundle is None:
        pytest.skip("needs Node and the KaTeX bundled with Streamlit (the model above runs)")
    shutil.copyfile(bundle, workdir / "katex.mjs")
    (workdir / "render.mjs").write_text(_KATEX_RUNNER, encoding="utf-8")
    done = subprocess.run(
        [node, "render.mjs"],
        cwd=workdir,
        input=json.dumps(bodies),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


def mathml_text(node: ElementTree.Element, accents: dict[str, str]) -> str:
    """The characters of KaTeX's MathML, an accent drawn over a letter as a combining mark."""
    tag = node.tag.rsplit("}", 1)[-1]
    if tag == "annotation":
        return ""
    if tag == "mover" and node.get("accent") == "true":
        base, accent = (mathml_text(child, accents) for child in node)
        base = {"ı": "i", "ȷ": "j"}.get(base, base)  # KaTeX drops the dot under an accent
        return base + accents[accent]
    return (node.text or "") + "".join(
        mathml_text(child, accents) + (child.tail or "") for child in node
    )


def parse_mathml(mathml: str) -> ElementTree.Element:
    return ElementTree.fromstring(
        mathml.removeprefix('<span class="katex">').removesuffix("</span>")
    )


def test_katex_itself_draws_every_escaped_text_as_itself(tmp_path):
    """The hostile corpus and 400 random texts, in \\text{...}, as Streamlit's KaTeX renders
    them (rehype-katex renders first with throwOnError, falling back to an error message)."""
    rng = random.Random(0)
    alphabet = [*"\\{}$&#^_~%-'`<> ab1\u00e9\u0301\u0331\u202e\u65e5", "\U0001f642"]
    randoms = ["".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(400)]
    texts = HOSTILE + randoms
    accent_bodies = [f"\\text{{a{mark}}}" for mark in sorted(KATEX_ACCENTS)]
    bodies = accent_bodies + [f"\\text{{{escape.latex_text(text)}}}" for text in texts]
    results = render_with_katex(bodies, tmp_path)
    assert len(results) == len(bodies)
    errors = [(b, r["error"]) for b, r in zip(bodies, results, strict=True) if "error" in r]
    assert errors == []
    # KaTeX's glyph for each accent, read from its own drawing of a + the accent.
    accents = {}
    for mark, result in zip(sorted(KATEX_ACCENTS), results, strict=False):
        (over,) = parse_mathml(result["mathml"]).iter("{http://www.w3.org/1998/Math/MathML}mo")
        accents[over.text] = mark
    assert len(accents) == len(KATEX_ACCENTS)
    for text, result in zip(texts, results[len(accent_bodies) :], strict=True):
        drawn = mathml_text(parse_mathml(result["mathml"]), accents).replace("\xa0", " ")
        expected = "".join(KATEX_GLYPHS.get(ch, ch) for ch in latex_expected(text))
        assert unicodedata.normalize("NFC", drawn) == unicodedata.normalize("NFC", expected), text


# ---------------------------------------------------------------- every medium

MEDIA = {
    "markdown": (escape.markdown, markdown_text),
    "html": (escape.html, lambda source: html_parts(source)[0]),
    "plotly": (escape.plotly, plotly_text),
    "latex": (escape.latex_text, lambda source: katex_text(source)[0]),
}


@settings(max_examples=200, deadline=None)
@given(labels=st.lists(hostile_text(), min_size=2, max_size=10))
def test_distinct_labels_stay_distinct_in_every_medium(labels):
    """Labels that differ as plain text differ once escaped: each escaped form reads back as
    its plain text (for LaTeX, with the combining marks KaTeX cannot draw as ?)."""
    for name, (escaper, reader) in MEDIA.items():
        escaped = [escaper(label) for label in labels]
        shown = [
            latex_expected(label) if name == "latex" else plain(label, None) for label in labels
        ]
        assert [reader(each) for each in escaped] == shown
        assert len(set(escaped)) == len(set(shown)), name


@pytest.mark.parametrize("name", list(MEDIA))
def test_escaping_a_cut_value_keeps_the_cut(name):
    escaper, reader = MEDIA[name]
    assert reader(escaper(plain("R&D <b>" * 20, 12))) == "R&D <b>R&D …"
