"""A design (a list of blocks) compiled into an email template: blocks → MJML → responsive HTML → a Django
template whose only open parts are the recipient's variables and lists.

MJML (compiled in-process by mrml, the Rust port: no Node at run time) makes the HTML responsive and
Outlook-safe. The compiled template is cached per design, language and brand, so sending a campaign
compiles each step once and, per recipient, only fills variables (`render`). Merchant text never
becomes template code: it is escaped, every brace turned into an entity, and only the variables of
design.variables are put back as `{{ … }}`.
"""

import hashlib
import html
import json
import re
from dataclasses import astuple, dataclass, field
from functools import lru_cache

import mrml
import nh3
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils import translation
from django.utils.translation import gettext

from apps.core.contrast import DEFAULT_ACCENT, DEFAULT_PAGE, DEFAULT_PRIMARY, readable_text_on
from apps.core.safe_values import css_colour, css_font_family, web_url

from ..plaintext import normalise, text_template_source
from ..template_budget import TemplateError
from .prefill import prefilled
from .variables import Token, split_tokens, template_for

DEFAULT_FONT = "-apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans KR', Arial, sans-serif"

TEXT_COLOUR = "#1f2937"
MUTED_COLOUR = "#6b7280"
LINE_COLOUR = "#e5e7eb"

# The engine filling compiled templates. Their source is ours (merchant text is escaped), so Django's
# default tags are safe here; safe_values neutralises URLs that come from data.
ENGINE = Engine(builtins=["apps.core.templatetags.safe_values"], autoescape=True)

RICH_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "a", "ul", "ol", "li", "h2", "h3", "span"}
_PRIVATE = re.compile("[\ue000-\uf8ff]")


@dataclass(frozen=True)
class Brand:
    """The store's look, as compile-time constants (each neutralised: see core.safe_values)."""

    primary: str = DEFAULT_PRIMARY
    on_primary: str = "#ffffff"
    accent: str = DEFAULT_ACCENT
    on_accent: str = "#ffffff"
    background: str = DEFAULT_PAGE
    font: str = DEFAULT_FONT
    logo_url: str = ""

    @classmethod
    def of(cls, store: dict) -> "Brand":
        """From the email context's `store` (campaigns.context.store_context)."""
        primary = str(css_colour(store.get("primary_colour"), DEFAULT_PRIMARY))
        accent = str(css_colour(store.get("accent_colour"), DEFAULT_ACCENT))
        return cls(
            primary=primary,
            on_primary=readable_text_on(primary),
            accent=accent,
            on_accent=readable_text_on(accent),
            background=str(css_colour(store.get("background_colour"), DEFAULT_PAGE)),
            font=str(css_font_family(store.get("font_family"), DEFAULT_FONT)),
            logo_url=web_url(store.get("logo_url") or ""),
        )


# --- Escaping ----------------------------------------------------------------------------------
def _braces(text: str) -> str:
    """Every brace as an entity: a browser shows `{`, the template engine sees no tag."""
    return text.replace("{", "&#123;").replace("}", "&#125;")


def attribute(value: str) -> str:
    return _braces(html.escape(value, quote=True))


def words(text: str) -> str:
    """A one-line setting as HTML: escaped, with its variables as template variables."""
    return "".join(template_for(p) if isinstance(p, Token) else _braces(html.escape(p)) for p in split_tokens(text))


def _fixed_link(element: str, name: str, value: str) -> str | None:
    """A link keeps its address only when the merchant wrote where it leads: a variable may sit in its path,
    never begin it (a recipient's value, e.g. a first name "javascript:…", must not choose the scheme)."""
    if name == "href" and not value.lstrip().lower().startswith(("http://", "https://", "mailto:")):
        return None
    return value


def rich(fragment: str, *, link_colour: str, address=None) -> str:
    """The rich-text editor's HTML, sanitised (nh3), with its variables kept. `address` (Parts.address) turns
    each link's address into a filled value, so mrml never rewrites it."""
    fragment = _PRIVATE.sub("", fragment)
    tokens: list[Token] = []

    def keep(piece: str | Token) -> str:
        if isinstance(piece, Token):
            tokens.append(piece)
            return f"\ue000{len(tokens) - 1}\ue001"
        return piece

    marked = "".join(keep(piece) for piece in split_tokens(fragment))
    clean = nh3.clean(
        marked,
        tags=RICH_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=_fixed_link,
    )
    links: list[str] = []
    if address is not None:

        def mark(found: re.Match) -> str:
            if "\ue000" in found.group(1):
                return found.group(0)  # an address with a variable in it is filled as the variable
            links.append(address(html.unescape(found.group(1))))
            return f'href="\ue002{len(links) - 1}\ue003"'

        clean = re.sub(r'href="([^"]*)"', mark, clean)
    clean = _braces(clean).replace("<a ", f'<a style="color:{link_colour};" ')
    clean = re.sub("\ue002(\\d+)\ue003", lambda m: links[int(m.group(1))], clean)
    return re.sub("\ue000(\\d+)\ue001", lambda m: template_for(tokens[int(m.group(1))]), clean)


# --- Blocks -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parts:
    """What every block needs to write itself: the brand, the layout's words, the language."""

    brand: Brand
    labels: dict
    language: str
    # Web addresses the merchant typed (a custom button, an image, the logo): filled like variables, so they
    # never pass through mrml (which rewrites a backslash or a rare character in an attribute) nor sit in a
    # template tag (where a brace or quote in them could end the tag).
    addresses: dict = field(default_factory=dict)

    def label(self, key: str, fallback: str) -> str:
        return html.escape(str(self.labels.get(key) or fallback))

    def address(self, url: str) -> str:
        key = f"a{len(self.addresses)}"
        self.addresses[key] = url
        return f"{{{{ addresses.{key} }}}}"


def _section(content: str, *, padding: str = "0", css: str = "ag-card", background: str = "#ffffff") -> str:
    return (
        f'<mj-section padding="{padding}" background-color="{background}" css-class="{css}">'
        f"<mj-column>{content}</mj-column></mj-section>"
    )


def _if(condition: str, content: str) -> str:
    return f"<mj-raw>{{% if {condition} %}}</mj-raw>{content}<mj-raw>{{% endif %}}</mj-raw>"


def _button_markup(href: str, label_html: str, parts: Parts, *, align: str, small: bool) -> str:
    b = parts.brand
    look = (
        f'background-color="#ffffff" color="{b.accent}" border="2px solid {b.accent}" inner-padding="8px 16px" '
        'font-size="14px" padding="4px 12px 12px"'
        if small
        else f'background-color="{b.accent}" color="{b.on_accent}" inner-padding="14px 28px" font-size="16px"'
    )
    # The class tells the email's one call to action (ag-primary) from a product grid's buttons (ag-secondary).
    role = "ag-secondary" if small else "ag-primary"
    return (
        f'<mj-button href="{href}" align="{align}" {look} font-weight="700" border-radius="8px" css-class="{role}">'
        f"{label_html}</mj-button>"
    )


def _button(href_expression: str, label_html: str, parts: Parts, *, align: str = "center", small: bool = False) -> str:
    """A button to a link known only per recipient: hidden when the recipient has none. `small`: an outlined
    one, for the many buttons of a product grid beside the email's one call to action."""
    button = _button_markup("{{ button_url }}", label_html, parts, align=align, small=small)
    return (
        f"<mj-raw>{{% with button_url={href_expression}|web_url %}}{{% if button_url %}}</mj-raw>"
        f"{button}<mj-raw>{{% endif %}}{{% endwith %}}</mj-raw>"
    )


def header(block: dict, parts: Parts) -> str:
    b = parts.brand
    if block["show_logo"] and b.logo_url:
        inner = (
            f'<mj-image src="{parts.address(b.logo_url)}" alt="{{{{ store.name }}}}" width="160px" '
            f'align="{block["align"]}" padding="20px 24px" />'
        )
    else:
        inner = (
            f'<mj-text align="{block["align"]}" color="{b.on_primary}" font-size="20px" font-weight="700" '
            f'padding="20px 24px">{{{{ store.name }}}}</mj-text>'
        )
    return _section(inner, background=b.primary, css="ag-head")


def heading(block: dict, parts: Parts) -> str:
    tag, size = ("h1", "26px") if block["level"] == 1 else ("h2", "20px")
    return _section(
        f'<mj-text align="{block["align"]}" padding="24px 24px 4px">'
        f'<{tag} style="margin:0;font-size:{size};line-height:1.25;font-weight:700;word-break:keep-all;">'
        f"{words(block['text'])}</{tag}>"
        "</mj-text>"
    )


def text(block: dict, parts: Parts) -> str:
    content = rich(block["html"], link_colour=parts.brand.accent, address=parts.address)
    return _section(f'<mj-text align="{block["align"]}">{content}</mj-text>')


BUTTON_TARGETS = {
    "tracking": "links.tracking",
    "cart": "cart.recovery_url",
    "store": "store.website_url",
    # Our review page for the order (apps.reviews) when the email is about one, else the store's own address.
    "review": "links.review|default:store.review_url",
    "product": "product.url",
}


def button(block: dict, parts: Parts) -> str:
    if not block["label"].strip():
        return ""  # a button with no words would be an empty coloured box that still leads somewhere
    if block["link"] == "custom":
        # An address of the merchant's own is known now (and validated): written into the email, never into a
        # template tag, where a brace, quote or backslash in it could end the tag.
        label = words(block["label"])
        markup = _button_markup(parts.address(block["url"]), label, parts, align=block["align"], small=False)
        return _section(markup, padding="8px 0")
    href = BUTTON_TARGETS[block["link"]]
    # The whole card goes when the recipient has no such link, not only the button in it (no empty card).
    return _if(
        f"{href}|web_url", _section(_button(href, words(block["label"]), parts, align=block["align"]), padding="8px 0")
    )


def image(block: dict, parts: Parts) -> str:
    if not block["src"]:
        return ""  # `<img src="">`: a broken picture (and, in some clients, a request for the page itself)
    link = f' href="{parts.address(block["href"])}"' if block["href"] else ""
    return _section(
        f'<mj-image src="{parts.address(block["src"])}" alt="{words(block["alt"])}" width="{block["width"]}px"'
        f'{link} padding="8px 24px" />'
    )


# Per source: the list in the context, and each item's name, picture, price and link fields.
PRODUCT_SOURCES = {
    "recommendations": ("recommendations", "name", "price", "url"),
    "cart": ("cart.lines", "title", "total", None),
    "order": ("order.lines", "title", "total", None),
    "product": ("product_list", "name", "price", "url"),
}


def products(block: dict, parts: Parts) -> str:
    listing, name, price, link = PRODUCT_SOURCES[block["source"]]
    columns = min(block["columns"], block["limit"])
    rows = -(-block["limit"] // columns)
    title = (
        _section(
            f'<mj-text padding="20px 24px 4px"><h2 style="margin:0;font-size:18px;">{words(block["title"])}</h2>'
            "</mj-text>"
        )
        if block["title"]
        else ""
    )
    button_html = words(block["button_label"])
    sections = []
    for row in range(rows):
        cells = []
        for column in range(columns):
            index = row * columns + column
            if index >= block["limit"]:
                break
            item = f"{listing}.{index}"
            quantity = "{% if item.quantity > 1 %}{{ item.quantity }} × {% endif %}" if link is None else ""
            price_html = (
                f'{{% if item.{price} %}}<br><span style="color:{MUTED_COLOUR};">{{{{ item.{price} }}}}</span>'
                "{% endif %}"
            )
            cell = (
                f"<mj-raw>{{% with item={item} %}}{{% if item %}}{{% with picture=item.image_url|web_url %}}"
                "{% if picture %}</mj-raw>"
                '<mj-image src="{{ picture }}" alt="" border-radius="8px" padding="8px 12px" />'
                "<mj-raw>{% endif %}{% endwith %}</mj-raw>"
                f'<mj-text padding="4px 12px" font-size="15px" line-height="1.4">'
                f"<strong>{quantity}{{{{ item.{name} }}}}</strong>"
                f"{price_html if block['show_price'] else ''}</mj-text>"
            )
            if link and block["button_label"]:
                cell += _button(f"item.{link}", button_html, parts, align="left", small=True)
            cell += "<mj-raw>{% endif %}{% endwith %}</mj-raw>"
            cells.append(f'<mj-column padding="4px 0">{cell}</mj-column>')
        # Two side by side stay so on a phone (mj-group); three stack.
        row_html = f"<mj-group>{''.join(cells)}</mj-group>" if columns == 2 else "".join(cells)
        section = f'<mj-section padding="0 12px" background-color="#ffffff" css-class="ag-card">{row_html}</mj-section>'
        sections.append(_if(f"{listing}.{row * columns}", section))
    return _if(listing, title + "".join(sections))


def coupon(block: dict, parts: Parts) -> str:
    accent = parts.brand.accent
    title = (
        f'<div style="font-size:15px;font-weight:700;margin-bottom:6px;">{words(block["title"])}</div>'
        if block["title"]
        else ""
    )
    box = (
        f'<mj-text align="center" padding="12px 24px"><div style="border:2px dashed {accent};border-radius:12px;'
        f'padding:18px 12px;">{title}<div>{{{{ coupon.description }}}}</div>'
        '<div style="font-size:24px;font-weight:700;letter-spacing:2px;margin:8px 0;'
        'font-family:Menlo,Consolas,monospace;">'
        "{{ coupon.code }}</div>"
        f'{{% if coupon.expires %}}<div style="color:{MUTED_COLOUR};font-size:14px;">'
        f"{parts.label('valid_until', 'Valid until')} "
        "{{ coupon.expires }}</div>{% endif %}</div></mj-text>"
    )
    return _if("coupon", _section(box))


def _money_row(label: str, value: str, *, strong: bool = False, condition: str = "") -> str:
    weight = "font-weight:700;font-size:17px;" if strong else ""
    border = f"border-top:1px solid {LINE_COLOUR};" if strong else ""
    row = (
        f'<tr><td colspan="2" style="padding:6px 0;{weight}{border}">{label}</td>'
        f'<td style="padding:6px 0;text-align:right;white-space:nowrap;{weight}{border}">{value}</td></tr>'
    )
    return f"{{% if {condition} %}}{row}{{% endif %}}" if condition else row


def order_summary(block: dict, parts: Parts) -> str:
    title = (
        words(block["title"]) if block["title"] else f"{parts.label('your_order', 'Your order')} {{{{ order.number }}}}"
    )
    line_style = f'style="padding:8px 0;border-bottom:1px solid {LINE_COLOUR};"'
    item = "{{ line.quantity }} × {{ line.title }}</td>"
    # A line without a picture gives its words the picture's room (no empty gap before them).
    described = (
        "{% with picture=line.image_url|web_url %}{% if picture %}"
        '<td width="64" style="padding:8px 12px 8px 0;vertical-align:middle;">'
        '<img src="{{ picture }}" width="56" height="56" alt="" '
        'style="display:block;border-radius:6px;object-fit:cover;">'
        f'</td><td {line_style}>{item}{{% else %}}<td colspan="2" {line_style}>{item}{{% endif %}}{{% endwith %}}'
        if block["show_images"]
        else f'<td colspan="2" {line_style}>{item}'
    )
    lines = (
        "{% for line in order.lines %}<tr>"
        + described
        + f'<td style="padding:8px 0;text-align:right;white-space:nowrap;border-bottom:1px solid {LINE_COLOUR};">'
        "{{ line.total }}</td></tr>{% endfor %}"
    )
    totals = (
        _money_row(parts.label("subtotal", "Subtotal"), "{{ order.subtotal }}", condition="order.subtotal")
        + _money_row(parts.label("discount", "Discount"), "−{{ order.discount }}", condition="order.discount")
        + _money_row(parts.label("shipping", "Shipping"), "{{ order.shipping }}", condition="order.shipping")
        + _money_row(parts.label("tax", "Tax"), "{{ order.tax }}", condition="order.tax")
        + _money_row(parts.label("total", "Total"), "{{ order.total }}", strong=True)
    )
    table = f'<mj-table padding="8px 24px 16px" font-size="15px" line-height="1.4">{lines}{totals}</mj-table>'
    head = f'<mj-text padding="20px 24px 4px"><h2 style="margin:0;font-size:18px;">{title}</h2></mj-text>'
    return _if("order.lines", _section(head + table))


def shipment(block: dict, parts: Parts) -> str:
    accent = parts.brand.accent
    progress = (
        '{% if shipment.progress %}<table role="presentation" width="100%" style="border-collapse:collapse;'
        'table-layout:fixed;margin:12px 0;"><tr>{% for step in shipment.progress %}'
        # The class names the step's state, as the HTML layout's does (a test reads both).
        f'<td class="step-{{{{ step.state }}}}" style="padding:6px 2px 0;font-size:12px;line-height:1.3;'
        "text-align:center;vertical-align:top;border-top:4px solid "
        "{% if step.state == 'problem' %}#b91c1c{% elif step.state == 'done' or "
        f"step.state == 'current' %}}{accent}{{% else %}}{LINE_COLOUR}{{% endif %}};"
        "{% if step.state == 'current' %}font-weight:700;{% endif %}\">{{ step.label }}</td>"
        "{% endfor %}</tr></table>{% endif %}"
        if block["show_progress"]
        else ""
    )
    body = (
        '<mj-text padding="20px 24px 4px"><h2 style="margin:0;font-size:18px;">{{ shipment.status_label }}</h2>'
        '{% if shipment.status_note %}<p style="margin:6px 0 0;">{{ shipment.status_note }}</p>{% endif %}'
        f"{progress}"
        f'<p style="margin:6px 0 0;color:{MUTED_COLOUR};">{{{{ shipment.carrier }}}}'
        "{% if shipment.tracking_number %} · {% with carrier_url=shipment.tracking_url|web_url %}"
        '{% if carrier_url %}<a href="{{ carrier_url }}" style="color:'
        + accent
        + ';">{{ shipment.tracking_number }}</a>'
        "{% else %}{{ shipment.tracking_number }}{% endif %}{% endwith %}{% endif %}"
        f"{{% if shipment.estimated_delivery %}}<br>{parts.label('expected', 'Expected delivery:')} "
        "<strong>{{ shipment.estimated_delivery }}</strong>{% endif %}</p></mj-text>"
    )
    label = words(block["button_label"]) if block["button_label"] else parts.label("track", "Track your order")
    return _if("shipment", _section(body + _button("links.tracking", label, parts), padding="0 0 8px"))


def nps(block: dict, parts: Parts) -> str:
    question = (
        words(block["question"])
        if block["question"]
        else parts.label("nps_question", "How likely are you to recommend us?")
    )
    low = words(block["low_label"]) if block["low_label"] else parts.label("nps_low", "not at all likely")
    high = words(block["high_label"]) if block["high_label"] else parts.label("nps_high", "extremely likely")
    # One row of eleven on a 360 px screen: 11 × 28 px fits the 312 px column.
    scale = (
        '{% for link in nps_links %}<td style="padding:0 1px;" align="center">'
        '<a href="{{ link.url }}" style="display:block;min-width:24px;padding:8px 0;border-radius:6px;'
        'background:#f3f4f6;color:#111827;text-decoration:none;font-weight:700;font-size:14px;text-align:center;">'
        "{{ link.score }}</a></td>"
        "{% endfor %}"
    )
    body = (
        f'<mj-text padding="20px 24px 8px"><h2 style="margin:0;font-size:18px;">{question}</h2></mj-text>'
        f'<mj-table padding="0 24px" table-layout="fixed" width="100%"><tr>{scale}</tr></mj-table>'
        f'<mj-table padding="6px 24px 16px" font-size="12px" color="{MUTED_COLOUR}"><tr><td>0 = {low}</td>'
        f'<td style="text-align:right;">10 = {high}</td></tr></mj-table>'
    )
    return _if("nps_links", _section(body))


CART_REASONS = (
    ("price", "The price"),
    ("shipping_cost", "The shipping cost"),
    ("delivery_time", "The delivery time"),
    ("payment", "Paying did not work out"),
    ("just_looking", "I was just looking"),
    ("other", "Something else"),
)


def cart_reason(block: dict, parts: Parts) -> str:
    question = (
        words(block["question"]) if block["question"] else parts.label("cart_reason_question", "What stopped you?")
    )
    # Two answers a row: each a finger-sized link on a 360 px screen.
    cells = [
        f'<td style="padding:3px;width:50%;" align="center"><a href="{{{{ cart_reason_links.{key} }}}}" '
        'style="display:block;padding:10px 6px;border-radius:8px;background:#f3f4f6;color:#111827;'
        f'text-decoration:none;font-weight:600;font-size:14px;text-align:center;">'
        f"{parts.label(f'reason_{key}', fallback)}</a></td>"
        for key, fallback in CART_REASONS
    ]
    rows = "".join(f"<tr>{cells[i]}{cells[i + 1]}</tr>" for i in range(0, len(cells), 2))
    body = (
        f'<mj-text padding="20px 24px 8px"><h2 style="margin:0;font-size:18px;">{question}</h2></mj-text>'
        f'<mj-table padding="0 21px 16px" table-layout="fixed" width="100%">{rows}</mj-table>'
    )
    return _if("cart_reason_links", _section(body))


def review(block: dict, parts: Parts) -> str:
    body = f'<mj-text align="center" padding="16px 24px 0">{words(block["text"])}</mj-text>' if block["text"] else ""
    label = words(block["button_label"]) or parts.label("review", "Write a review")
    # A review address that is not a web address (stored before validation) hides the card, not only its button.
    card = _section(body + _button(BUTTON_TARGETS["review"], label, parts), padding="0 0 8px")
    return _if(f"{BUTTON_TARGETS['review']}|web_url", card)


def reviews(block: dict, parts: Parts) -> str:
    """The store's best published reviews (the context's `reviews`, best first): stars, words, who wrote it."""
    title = words(block["title"]) if block["title"] else html.escape(gettext("What our customers say"))
    accent = parts.brand.accent
    items = (
        f'{{% for review in reviews|slice:":{block["limit"]}" %}}'
        f'<tr><td style="padding:10px 0;border-top:1px solid {LINE_COLOUR};">'
        f'<div style="color:{accent};font-size:18px;letter-spacing:2px;">{{{{ review.stars }}}}</div>'
        '{% if review.title %}<div style="font-weight:700;margin-top:2px;">{{ review.title }}</div>{% endif %}'
        '<div style="margin-top:2px;">{{ review.text }}</div>'
        f'<div style="color:{MUTED_COLOUR};font-size:13px;margin-top:4px;">{{{{ review.author }}}}'
        "{% if review.author and review.product %} · {% endif %}{{ review.product }}</div>"
        "</td></tr>{% endfor %}"
    )
    body = (
        f'<mj-text padding="20px 24px 4px"><h2 style="margin:0;font-size:18px;">{title}</h2></mj-text>'
        f'<mj-table padding="4px 24px 16px" font-size="15px" line-height="1.45">{items}</mj-table>'
    )
    return _if("reviews", _section(body))


def social(block: dict, parts: Parts) -> str:
    title = f"<strong>{words(block['title'])}</strong><br>" if block["title"] else ""
    links = (
        "{% for link in store.social %}"
        f'<a href="{{{{ link.url }}}}" style="color:{parts.brand.accent};text-decoration:none;font-weight:700;">'
        "{{ link.name }}</a>{% if not forloop.last %} · {% endif %}{% endfor %}"
    )
    return _if("store.social", _section(f'<mj-text align="center" padding="12px 24px">{title}{links}</mj-text>'))


def divider(block: dict, parts: Parts) -> str:
    return _section(f'<mj-divider border-width="1px" border-color="{LINE_COLOUR}" padding="12px 24px" />')


def spacer(block: dict, parts: Parts) -> str:
    return _section(f'<mj-spacer height="{block["height"]}px" />')


def footer(block: dict, parts: Parts) -> str:
    address = (
        "{% if store.postal_address %} · {{ store.postal_address|linebreaksbr }}{% endif %}"
        if block["show_address"]
        else ""
    )
    link = f'style="color:{MUTED_COLOUR};"'
    korean = (
        # Korea, 정보통신망법 §50: advertising mail tells, in Korean, how to refuse further mail. A legal line.
        '{% if links.unsubscribe %}<p style="margin:6px 0;">수신을 원하지 않으시면 '
        f'<a href="{{{{ links.unsubscribe }}}}" {link}>[수신 거부]</a>를 눌러 주세요.</p>{{% endif %}}'
        if parts.language == "ko"
        else ""
    )
    content = (
        f'<mj-text align="center" font-size="12px" line-height="1.5" color="{MUTED_COLOUR}" padding="20px 24px">'
        f'<p style="margin:6px 0;">{{{{ store.name }}}}{address}</p>'
        '{% if store.support_email %}<p style="margin:6px 0;">'
        f"{parts.label('questions', 'Questions? Just reply or write to')} "
        f'<a href="mailto:{{{{ store.support_email }}}}" {link}>{{{{ store.support_email }}}}</a></p>{{% endif %}}'
        '{% if links.preferences %}<p style="margin:6px 0;">'
        f'<a href="{{{{ links.preferences }}}}" {link}>{parts.label("preferences", "Email preferences")}</a>'
        f'{{% if links.unsubscribe %}} · <a href="{{{{ links.unsubscribe }}}}" {link}>'
        f"{parts.label('unsubscribe', 'Unsubscribe')}</a>"
        "{% endif %}</p>{% endif %}"
        f"{korean}</mj-text>"
    )
    return f'<mj-section padding="0" css-class="ag-foot"><mj-column>{content}</mj-column></mj-section>'


WRITERS = {
    "header": header,
    "heading": heading,
    "text": text,
    "button": button,
    "image": image,
    "products": products,
    "coupon": coupon,
    "order_summary": order_summary,
    "shipment": shipment,
    "nps": nps,
    "cart_reason": cart_reason,
    "review": review,
    "reviews": reviews,
    "social": social,
    "divider": divider,
    "spacer": spacer,
    "footer": footer,
}


# --- The whole email ----------------------------------------------------------------------------
def _head(parts: Parts) -> str:
    b = parts.brand
    return (
        "<mj-head>"
        f'<mj-attributes><mj-all font-family="{attribute(b.font)}" />'
        f'<mj-text font-size="16px" line-height="1.6" color="{TEXT_COLOUR}" padding="8px 24px" />'
        '<mj-section padding="0" /><mj-column padding="0" /></mj-attributes>'
        '<mj-raw><meta name="color-scheme" content="light dark">'
        '<meta name="supported-color-schemes" content="light dark"></mj-raw>'
        "<mj-style>:root { color-scheme: light dark; }"
        "@media (prefers-color-scheme: dark) {"
        " .ag-card, .ag-card > table { background: #111827 !important; }"
        " .ag-card div, .ag-card td, .ag-card h1, .ag-card h2 { color: #e5e7eb !important; }"
        " .ag-page { background: #030712 !important; } .ag-foot div { color: #9ca3af !important; } }"
        # Korean breaks lines between words (eojeol), never inside one: "소식이에/요" reads badly. (MJML writes
        # word-break:break-word on each cell, hence !important; a word longer than the line still breaks.)
        f"{' td { word-break: keep-all !important; overflow-wrap: anywhere; }' if parts.language == 'ko' else ''}"
        "</mj-style>"
        "<mj-title>{{ subject }}</mj-title>"
        "</mj-head>"
    )


def mjml_source(blocks: list[dict], parts: Parts) -> str:
    """The MJML of a design. Every email ends with a footer, and shows an issued coupon even when the design
    has no coupon block (the buyer was promised it)."""
    blocks = list(blocks)
    if not any(block["type"] == "coupon" for block in blocks):
        at = next((i for i, block in enumerate(blocks) if block["type"] in ("footer", "social")), len(blocks))
        blocks.insert(at, {"type": "coupon", "title": ""})
    if not any(block["type"] == "footer" for block in blocks):
        blocks.append({"type": "footer", "show_address": True})
    card = [WRITERS[block["type"]](block, parts) for block in blocks if block["type"] not in ("footer",)]
    footers = [footer(block, parts) for block in blocks if block["type"] == "footer"][:1]
    b = parts.brand
    language = attribute(parts.language)
    return (
        f'<mjml lang="{language}" dir="ltr">{_head(parts)}'
        f'<mj-body background-color="{b.background}" width="600px" css-class="ag-page">'
        '<mj-raw><div class="ag-preheader" data-text="skip" style="display:none;max-height:0;overflow:hidden;'
        'opacity:0;mso-hide:all;">{{ preheader }}</div></mj-raw>'
        '<mj-section padding="12px 0"><mj-column><mj-spacer height="4px" /></mj-column></mj-section>'
        f'<mj-wrapper padding="0" border-radius="12px" background-color="#ffffff" css-class="ag-card">{"".join(card)}'
        f"</mj-wrapper>{''.join(footers)}</mj-body></mjml>"
    )


class CompileError(TemplateError):
    """A design that cannot be laid out: a TemplateError, so dispatch fails the message with the reason (it
    would otherwise escape message_send and leave the message `sending`, for the sweeper to call `unknown`)."""


@dataclass(frozen=True)
class CompiledEmail:
    """A design's HTML template and the text part's, each filled per recipient."""

    html: Template
    text: Template
    addresses: dict


@lru_cache(maxsize=512)
def _compiled(source: str, addresses: tuple[tuple[str, str], ...] = ()) -> CompiledEmail:
    try:
        output = mrml.to_html(
            source,
            parser_options=mrml.ParserOptions(include_loader=mrml.noop_loader()),  # never read a file or URL
            render_options=mrml.RenderOptions(disable_comments=True, fonts={}),  # no web fonts fetched
        )
    except Exception as exc:  # mrml raises OSError and ValueError with a position
        raise CompileError(f"The email could not be laid out: {exc}") from exc
    try:
        return CompiledEmail(
            html=ENGINE.from_string(output.content),
            text=ENGINE.from_string(text_template_source(output.content)),
            addresses=dict(addresses),
        )
    except TemplateSyntaxError as exc:
        raise CompileError(f"The email could not be laid out: {exc}") from exc


def compile_design(blocks: list[dict], *, language: str, brand: Brand, labels: dict) -> CompiledEmail:
    """The design's templates (cached: the same design, language, brand and words compile once)."""
    parts = Parts(brand=brand, labels=labels, language=language)
    with translation.override(language):
        source = mjml_source(blocks, parts)
    return _compiled(source, tuple(parts.addresses.items()))


def design_key(blocks: list[dict], *, language: str, brand: Brand) -> str:
    """A short fingerprint of what compile_design depends on (for measuring and logging)."""
    raw = json.dumps([blocks, language, astuple(brand)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def fill(compiled: CompiledEmail, context: dict) -> str:
    """The email's HTML for one recipient (what all recipients share filled in once: prefill)."""
    values = {**context, "addresses": compiled.addresses}
    return prefilled(compiled.html, values, autoescape=True).render(Context(values, autoescape=True))


def fill_text(compiled: CompiledEmail, context: dict) -> str:
    """The email's text part for one recipient: the same variables, unescaped (it is text)."""
    values = {**context, "addresses": compiled.addresses}
    return normalise(prefilled(compiled.text, values, autoescape=False).render(Context(values, autoescape=False)))
