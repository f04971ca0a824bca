"""An email-client lint: what Gmail, Outlook and Apple Mail do to an email's HTML, as rules a test can apply.

Each rule is a documented client behaviour (caniemail.com, Gmail's and Outlook's own notes):
- Gmail clips a message whose HTML passes 102 KB ("[Message clipped]", the rest behind a link), and drops
  a <style> block over 16 KB, with its media queries;
- Gmail and Outlook strip <script>, <form>, <iframe>, <object>, <embed>, <svg>, <video>, <audio>;
- no client but Apple Mail loads a stylesheet <link> or an @import; Gmail ignores CSS variables and
  `position`;
- Outlook sizes an image by its width attribute, not by CSS: every image has one, and an alt text for
  the many readers who block images;
- a link that is not absolute (https, http, mailto) leads nowhere from a mail client, and javascript:
  is blocked or worse;
- the document says its language, its charset and a viewport (screen readers, phones).
"""

import re
from html.parser import HTMLParser

GMAIL_CLIP_BYTES = 102 * 1024
GMAIL_STYLE_BYTES = 16 * 1024
STRIPPED_TAGS = {"script", "form", "iframe", "object", "embed", "svg", "video", "audio"}
UNSUPPORTED_CSS = (
    (re.compile(r"(?<![-\w])position\s*:", re.I), "position (Gmail ignores it)"),
    (re.compile(r"var\(\s*--", re.I), "CSS variables (Gmail ignores them)"),
    (re.compile(r"@import", re.I), "@import (no client but Apple Mail loads it)"),
    (re.compile(r"expression\s*\(|behavior\s*:", re.I), "IE expressions"),
)
ABSOLUTE_LINK = re.compile(r"^(https?://[^\s/]+|mailto:)", re.I)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.styles: list[str] = []
        self.inline_styles: list[str] = []
        self.in_style = False
        self.html_lang = None
        self.has_charset = self.has_viewport = self.has_title = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in STRIPPED_TAGS:
            self.problems.append(f"<{tag}> is stripped by Gmail and Outlook")
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "title":
            self.has_title = True
        if tag == "meta":
            if attributes.get("charset") or "charset" in (attributes.get("content") or "").lower():
                self.has_charset = True
            if attributes.get("name") == "viewport":
                self.has_viewport = True
        if tag == "link" and "stylesheet" in (attributes.get("rel") or ""):
            self.problems.append("a stylesheet <link> (only Apple Mail loads it)")
        if tag == "style":
            self.in_style = True
        if tag == "img":
            if "alt" not in attributes:
                self.problems.append(f"an image without alt text: {attributes.get('src', '')[:60]}")
            if not attributes.get("width"):
                self.problems.append(f"an image without a width attribute (Outlook): {attributes.get('src', '')[:60]}")
        if tag == "a":
            href = attributes.get("href")
            if href is not None and not ABSOLUTE_LINK.match(href.strip()):
                self.problems.append(f"a link that is not absolute: {href[:60]!r}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an event handler attribute: {name}")
            if name == "style" and value:
                self.inline_styles.append(value)

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            self.styles.append(data)


def lint(page: str) -> list[str]:
    """What a mail client would break or drop in this HTML email; [] when nothing."""
    reader = _Reader()
    reader.feed(page)
    problems = list(reader.problems)
    size = len(page.encode())
    if size > GMAIL_CLIP_BYTES:
        problems.append(f"{size} bytes: Gmail clips messages over {GMAIL_CLIP_BYTES}")
    style_bytes = sum(len(style.encode()) for style in reader.styles)
    if style_bytes > GMAIL_STYLE_BYTES:
        problems.append(f"{style_bytes} bytes of <style>: Gmail drops style over {GMAIL_STYLE_BYTES}")
    for css in [*reader.styles, *reader.inline_styles]:
        for pattern, name in UNSUPPORTED_CSS:
            if pattern.search(css):
                problems.append(f"unsupported CSS: {name}")
    if not reader.html_lang:
        problems.append("<html> has no lang")
    if not reader.has_charset:
        problems.append("no charset")
    if not reader.has_viewport:
        problems.append("no viewport meta")
    if not reader.has_title:
        problems.append("no <title>")
    return sorted(set(problems))
