"""The plain-text part of an email, written from its HTML: paragraphs on their lines, a link as
`label (address)`, table cells apart, nothing hidden (head, styles, the preheader).

For a block design the text is written once, from the compiled template itself (`text_template_source`),
so per recipient only its variables are filled, as for the HTML; `normalise` then tidies the spaces.
"""

import html
import re
from html.parser import HTMLParser

# A merchant's brace stays text in the text template, as it does in the HTML one (&#123; there).
_BRACES = {"{": "{% templatetag openbrace %}", "}": "{% templatetag closebrace %}"}
_HREF = re.compile(r'\shref\s*=\s*"([^"]*)"')
_OPEN_BRACE = re.compile(r"&#0*123;|&#x0*7b;|&lbrace;|&lcub;", re.IGNORECASE)
_CLOSE_BRACE = re.compile(r"&#0*125;|&#x0*7d;|&rbrace;|&rcub;", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "tr", "h1", "h2", "h3", "table", "br", "hr"}
    VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr"}
    HIDDEN = {"style", "head", "title", "script"}

    def __init__(self, *, template: bool = False):
        # In a template, character references are decoded by hand so an escaped brace stays escaped.
        super().__init__(convert_charrefs=not template)
        self.template = template
        self.parts: list[str] = []
        self.href: str | None = None
        self.open: list[tuple[str, bool]] = []  # (tag, hidden) of open elements

    @property
    def hidden(self) -> bool:
        return any(hidden for _, hidden in self.open)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag not in self.VOID:
            self.open.append((tag, tag in self.HIDDEN or attributes.get("data-text") == "skip"))
        if tag == "a":
            self.href = self._raw_href() if self.template else attributes.get("href")
        if tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "a" and self.href:
            # In a template, an address filled per recipient ({{ … }}) is shown like a written one.
            shown = ("http", "mailto", "{{") if self.template else ("http", "mailto")
            if not self.hidden and self.href.startswith(shown):
                self.parts.append(f" ({self.href})")
            self.href = None
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break
        if tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")  # cells of a row apart: "2 × Cup 8,00 €"

    def _raw_href(self) -> str | None:
        """The href as written: the parser decodes attributes, which would turn a merchant's escaped brace
        (&#123;) into template code; written, its template variables and escaped braces stay apart."""
        found = _HREF.search(self.get_starttag_text() or "")
        if found is None:
            return None
        value = _OPEN_BRACE.sub(_BRACES["{"], found.group(1))
        return html.unescape(_CLOSE_BRACE.sub(_BRACES["}"], value))

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)

    def handle_entityref(self, name):
        self.handle_data(self._escaped(html.unescape(f"&{name};")))

    def handle_charref(self, name):
        self.handle_data(self._escaped(html.unescape(f"&#{name};")))

    def _escaped(self, text: str) -> str:
        """Inside a template, a decoded brace must not become template code."""
        if not self.template:
            return text
        return "".join(_BRACES.get(char, char) for char in text) if ("{" in text or "}" in text) else text


# Two or more line breaks with nothing between them but spaces and lines holding only a spacer's (thin) space.
_PARAGRAPH_BREAK = re.compile(r"[ \t]*\n(?:[ \t\u00a0\u2009\u200a]*\n)+[ \t]*")
_LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*")
_SPACES = re.compile(r"[ \t]+")


def normalise(text: str) -> str:
    """Spaces and tabs to one space, none around a line break, at most one empty line between paragraphs.
    Non-breaking spaces inside a line stay: "39 000 ₽" must not break. (A layout's text is mostly blank
    lines: they go first, in one pass, before the rest is looked at.)"""
    text = _PARAGRAPH_BREAK.sub("\n\n", text)
    text = _LINE_BREAK.sub("\n", text)
    return _SPACES.sub(" ", text).strip() + "\n"


def html_to_text(page: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(page)
    return normalise("".join(extractor.parts))


def text_template_source(template_html: str) -> str:
    """The text part of a compiled email template, itself a template with the same variables: filled
    per recipient (autoescape off: it is text), then `normalise`d. Addresses keep their line breaks."""
    extractor = _TextExtractor(template=True)
    extractor.feed(template_html.replace("|linebreaksbr", ""))
    return "".join(extractor.parts)
