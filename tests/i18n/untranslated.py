"""Finds words a person would read in a template that are not inside a translation tag.

The template is rebuilt with every template tag and variable replaced by a mark that is not a word, and
every `{% blocktranslate %}…{% endblocktranslate %}` by one mark; then it is read as HTML. A word in the text
between tags, or in an attribute people read (title, aria-label, placeholder, alt), is English for everyone.
What sits in <script>, <style>, <code> or <pre> is not read.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

MARK = " § "
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description", "aria-roledescription"}
UNREAD_ELEMENTS = {"script", "style", "code", "pre", "svg"}
WORD = re.compile(r"[^\W\d_]{2,}")
# Names that read the same in every language here.
PROPER = {
    "Afterglow", "Shopify", "WooCommerce", "AfterShip", "EasyPost", "TRACK", "API", "CSV", "JSON", "NPS",
    "RFM", "SPF", "DKIM", "DMARC", "TXT", "URL", "ESP", "HTML", "OAuth", "UTC", "SKU", "ms", "px",
    "YML", "XML", "IP", "ID", "PNG", "SVG", "Google", "Yandex", "Anymail", "Postmark", "WordPress", "myshopify",
    "com", "https", "http", "dig", "TLS", "SMTP", "HTTP",
}  # fmt: skip


def without_template_code(source: str) -> str:
    parts: list[str] = []
    depth = 0
    for token in Lexer(source).tokenize():
        name = token.contents.split()[0] if token.token_type == TokenType.BLOCK and token.contents else ""
        if name in ("blocktranslate", "blocktrans"):
            depth += 1
            parts.append(MARK)
        elif name in ("endblocktranslate", "endblocktrans"):
            depth -= 1
        elif depth:
            continue
        elif token.token_type == TokenType.TEXT:
            parts.append(token.contents)
        else:
            parts.append(MARK)
    return "".join(parts)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self.unread = 0

    def handle_starttag(self, tag, attrs):
        if tag in UNREAD_ELEMENTS:
            self.unread += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._read(value)

    def handle_endtag(self, tag):
        if tag in UNREAD_ELEMENTS and self.unread:
            self.unread -= 1

    def handle_data(self, data):
        if not self.unread:
            self._read(data)

    def _read(self, text: str) -> None:
        self.words += [word for word in WORD.findall(text) if word not in PROPER]


def unmarked_words(source: str) -> list[str]:
    reader = _Reader()
    reader.feed(without_template_code(source))
    reader.close()
    return reader.words


def template_problems(paths: list[Path]) -> dict[str, list[str]]:
    problems = {}
    for path in paths:
        words = unmarked_words(path.read_text())
        if words:
            problems[str(path)] = words
    return problems
