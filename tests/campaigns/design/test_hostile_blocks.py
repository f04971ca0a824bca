"""A design written to attack the email or the server: every hostile setting is refused by validate_design with a
message naming the block (its index) and the field, or neutralised when compiled (shown as typed, stripped or
dropped), never executed."""

import re

import pytest
from django.utils.html import escape
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from apps.campaigns.design.blocks import DESIGN_MODELS, MAX_BLOCKS, DesignInvalid, validate_design
from apps.campaigns.design.compiler import DEFAULT_FONT, Brand, compile_design, fill, rich
from apps.campaigns.design.variables import VARIABLES, Token, split_tokens
from apps.core.contrast import DEFAULT_ACCENT, DEFAULT_PAGE, DEFAULT_PRIMARY

from .helpers import assert_well_formed, block, design_of, full_context, render, store, visible_text

SECRET = "settings-secret-canary-7f3a"


def refused(raw) -> list[tuple]:
    with pytest.raises(DesignInvalid) as caught:
        validate_design(raw)
    assert str(caught.value)  # a message a merchant can read
    return caught.value.problems


def body_of(page: str) -> str:
    return page.split("ag-preheader", 1)[1]


# --- Refused, naming the block and the field -------------------------------------------------------
@pytest.mark.parametrize(
    "raw, index, field, says",
    [
        (
            [block("heading", text="Hi"), block("heading", text="{{ settings.SECRET_KEY }}")],
            1,
            "text",
            "not a variable",
        ),
        ([block("text", html="<p>{{ request }}</p>")], 0, "html", "not a variable"),
        ([block("text", html="<p>{{request.user}}</p>")], 0, "html", "not a variable"),
        ([block("review", text="{{ store.name|safe }}")], 0, "text", "not a variable"),
        ([block("nps", high_label="{{ order.number|default:x }}")], 0, "high_label", "not a variable"),
        ([block("button", label="Go", link="custom", url="javascript:alert(1)")], 0, "url", "https://"),
        ([block("button", label="Go", link="custom", url="JaVaScRiPt:alert(1)")], 0, "url", "https://"),
        ([block("button", label="Go", link="custom", url="data:text/html;base64,PHNjcmlwdD4=")], 0, "url", "https://"),
        ([block("button", label="Go", link="custom", url="//evil.example/")], 0, "url", "https://"),
        ([block("image", src="data:image/svg+xml;base64,PHN2Zz4=")], 0, "src", "https://"),
        ([block("image", src="https://ok.example/a.png", href="javascript:alert(1)")], 0, "href", "https://"),
        ([block("image", src="https://ok.example/a\n.png", alt="x")], 0, "src", "https://"),
        ([block("heading", text="a\x00b")], 0, "text", "one line"),
        ([block("button", label="Go\x00")], 0, "label", "one line"),
        ([block("text", html="<p>a\x00b</p>")], 0, "html", "cannot be sent"),
        # Characters XML forbids: mrml would refuse to lay out the whole email at send time.
        ([block("heading", text="a\x01b")], 0, "text", "cannot be sent"),
        ([block("text", html="<p>a\x0bb</p>")], 0, "html", "cannot be sent"),
        ([block("button", label="Go\x1f")], 0, "label", "cannot be sent"),
        ([block("image", src="https://ok.example/a.png", alt="\uffff")], 0, "alt", "cannot be sent"),
        ([block("nps", low_label="\x08")], 0, "low_label", "cannot be sent"),
        ([block("heading", text="x" * 10_000_000)], 0, "text", "at most 300"),
        ([block("text", html="<p>" + "x" * 10_000_000 + "</p>")], 0, "html", "at most 6000"),
        ([{"type": "script"}], 0, "", "does not exist"),
        ([{"type": "heading", "text": "Hi", "onclick": "alert(1)"}], 0, "onclick", "does not exist"),
        ([{"type": "heading", "text": "Hi", "id": '"><script>'}], 0, "id", "pattern"),
        ([block("heading", text='{{ customer.first_name|default:"a"b" }}')], 0, "text", "not a variable"),
        ([block("heading", text='{{ customer.first_name|default:"a}b" }}')], 0, "text", "not a variable"),
        ([block("heading", text='{{ customer.first_name|default:"{% debug %}" }}')], 0, "text", "not a variable"),
        ([block("heading", text='{{ customer.first_name|default:"' + "x" * 61 + '" }}')], 0, "text", "at most 60"),
    ],
)
def test_a_hostile_setting_is_refused_naming_the_block_and_the_field(raw, index, field, says):
    (problem,) = refused(raw)
    assert problem[0] == index and problem[1] == field and says in problem[2], problem


def test_too_many_blocks_and_what_is_not_a_design_are_refused():
    assert refused([block("divider")] * (MAX_BLOCKS + 1)) == [
        (None, "", f"An email holds at most {MAX_BLOCKS} blocks.")
    ]
    validate_design([block("divider")] * MAX_BLOCKS)
    for raw in ({"type": "heading"}, "heading", None, [None], ["<script>"], [{"text": "no type"}]):
        assert refused(raw)


# --- Neutralised when compiled -------------------------------------------------------------------
def test_script_and_event_handlers_in_rich_text_are_stripped():
    design = design_of(
        block(
            "text",
            html='<p onclick="steal()">Hi<script>alert(1)</script><img src=x onerror="alert(2)">'
            '<svg onload="alert(3)"></svg><style>p{}</style><iframe src="https://e.example"></iframe>'
            '<a href="https://ok.example/" onmouseover="alert(4)">ok</a></p>',
        )
    )
    body = body_of(render(design, full_context()))
    for evil in ("<script", "onerror", "onclick", "onload", "onmouseover", "alert(", "<svg", "<iframe", '<img src="x'):
        assert evil not in body
    assert re.search(r'<a style="color:#[0-9a-f]+;" href="https://ok.example/" rel="noopener noreferrer">ok</a>', body)


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "java&#x09;script:alert(1)",
        "data:text/html,<script>",
        "vbscript:msgbox(1)",
        "/relative",
        "{{ customer.first_name }}",
        " {{ customer.first_name }}",
    ],
)
def test_a_link_in_rich_text_keeps_only_an_address_the_merchant_wrote(href):
    page = render(design_of(block("text", html=f'<p><a href="{href}">click</a></p>')), full_context())
    links = re.findall(r"<a [^>]*>click</a>", page)
    assert links and all("href" not in link for link in links), links


def test_a_variable_at_the_start_of_a_link_cannot_turn_a_recipients_value_into_a_script():
    """A first name, like any buyer's data, comes from the shop; it must not choose where a link leads."""
    context = full_context(customer={"first_name": "javascript:alert(document.cookie)"})
    page = render(design_of(block("text", html='<p><a href="{{ customer.first_name }}">Your page</a></p>')), context)
    assert "javascript:" not in page


def test_a_variable_in_the_path_of_a_link_is_filled_and_escaped():
    context = full_context(order={**full_context()["order"], "number": '1"><script>x</script>'})
    html = '<p><a href="https://northwind.example/orders/{{ order.number }}?src=mail&amp;x=1">order</a></p>'
    body = body_of(render(design_of(block("text", html=html)), context))
    assert 'href="https://northwind.example/orders/1&quot;&gt;&lt;script&gt;x&lt;/script&gt;?src=mail&amp;x=1"' in body
    assert "<script>" not in body


@pytest.mark.parametrize(
    "typed",
    [
        "{% load static %}",
        "{% debug %}",
        "{%debug%}{% load i18n %}",
        "{ settings.SECRET_KEY }",
        "{{{ store.name }}}",
        "{% templatetag openvariable %} settings.SECRET_KEY {% templatetag closevariable %}",
        "{# a comment #}",
        "{% include '/etc/passwd' %}",
        "{% ssi '/etc/passwd' %}",
    ],
)
@pytest.mark.parametrize("where", ["heading", "text", "button", "review", "nps", "coupon", "products", "social"])
def test_template_code_typed_into_any_text_is_shown_as_typed_never_run(typed, where):
    field = {
        "heading": "text",
        "text": "html",
        "button": "label",
        "review": "text",
        "nps": "question",
        "coupon": "title",
        "products": "title",
        "social": "title",
    }[where]
    try:
        design = validate_design([block(where, **{field: typed})])
    except DesignInvalid as exc:  # `{{{ … }}}` reads as a variable gone wrong: refused, naming the field
        assert exc.problems[0][:2] == (0, field)
        return
    context = full_context(settings={"SECRET_KEY": SECRET}, SECRET_KEY=SECRET, request={"user": SECRET})
    page = render(design, context)
    assert SECRET not in page and "Traceback" not in page and "root:" not in page
    assert typed in visible_text(page)  # the merchant sees what they typed


def test_an_mjml_include_typed_into_text_never_includes_a_file():
    hostile = '</mj-text><mj-include path="/etc/passwd"/><mj-text>'
    design = design_of(
        block("heading", text=hostile),
        block("text", html=f"<p>before {hostile} after</p>"),
        block("button", label=hostile, link="store"),
    )
    page = render(design, full_context())
    assert_well_formed(page)
    assert "root:" not in page and "<mj-" not in page
    text = visible_text(page)
    assert text.count(hostile) == 2  # heading and button show it as typed
    assert "before after" in text  # the rich text drops the unknown tags


def test_private_use_markers_typed_into_rich_text_are_neither_swapped_nor_leaked():
    """The compiler marks variables with U+E000…U+E001 while nh3 cleans the text: a merchant's own markers must
    not become (or take the place of) a variable."""
    typed = "<p>A\ue000\ue0010\ue001B \ue0000\ue001 {{ customer.first_name }} \ue0001\ue001 \uf8ff</p>"
    html = rich(typed, link_colour="#000000")
    assert not re.search("[\ue000-\uf8ff]", html)
    assert html.count("{{") == 1 and "{{ customer.first_name }}" in html
    text = visible_text(render(design_of(block("text", html=typed)), full_context()))
    assert "A0B 0 Ana 1" in text


def test_fallbacks_with_quotes_and_markup_are_shown_as_typed():
    design = design_of(
        block("heading", text="""Hi {{ customer.first_name|default:"friend's <b>&amp;</b> 'pal'" }}!"""),
        block("text", html="""<p>{{ customer.last_name|default:"O'Brien & <i>co</i>" }}</p>"""),
    )
    page = render(design, full_context(customer={}))
    assert_well_formed(page)
    text = visible_text(page)
    assert "Hi friend's <b>&amp;</b> 'pal'!" in text
    assert "O'Brien & co" in text or "O'Brien & <i>co</i>" in text
    assert "<b>&amp;" not in page  # as text, never as markup


# --- The store's look -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field, value",
    [
        ("primary_colour", "red;}</style><script>alert(1)</script>"),
        ("accent_colour", "#fff} body{display:none"),
        ("background_colour", "#fff</style>"),
        ("primary_colour", "expression(alert(1))"),
        ("font_family", "Arial;} </style><script>alert(1)</script>"),
        ("font_family", 'Arial" onload="alert(1)'),
        ("font_family", "{{ settings.SECRET_KEY }}"),
        ("font_family", "Arial\\;}"),
        ("logo_url", "javascript:alert(1)"),
        ("logo_url", "data:image/png;base64,AAAA"),
    ],
)
def test_a_hostile_store_colour_font_or_logo_is_neutralised_by_brand_of(field, value):
    brand = Brand.of(store(**{field: value}))
    assert value not in (brand.primary, brand.accent, brand.background, brand.font, brand.logo_url)
    assert brand.primary == DEFAULT_PRIMARY or field != "primary_colour"
    assert brand.accent in (DEFAULT_ACCENT, "#2255ff") and brand.background in (DEFAULT_PAGE, "#f5f5f5")
    assert brand.font in (DEFAULT_FONT, "Georgia, serif") and brand.logo_url == ""
    page = render(design_of(block("header"), block("button", label="Go", link="store")), full_context(), brand=brand)
    assert "<script" not in page and "alert(" not in page and SECRET not in page
    assert_well_formed(page)


def test_a_logo_address_with_a_quote_stays_inside_its_attribute():
    brand = Brand.of(store(logo_url='https://cdn.example/a.png"onerror="alert(1)'))
    page = render(design_of(block("header")), full_context(), brand=brand)
    assert 'src="https://cdn.example/a.png&quot;onerror=&quot;alert(1)"' in page
    assert " onerror=" not in page


# --- A property: whatever words a merchant types ----------------------------------------------------
TEMPLATE_BITS = [
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{",
    "}",
    "|",
    '"',
    "'",
    "<",
    ">",
    "&",
    "\\",
    ":",
    "default",
    " settings.SECRET_KEY ",
    " request ",
    "debug",
    "load",
    "\ue000",
    "\ue001",
    "0",
    "\u00a0",
]
CANARY = "canary-c4n4ry"
words_typed = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(TEMPLATE_BITS), st.sampled_from([v.name for v in VARIABLES])),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(heading=words_typed, paragraph=words_typed, label=words_typed, with_variable=st.booleans())
@example(heading="{{customer.last_name}}", paragraph="", label="", with_variable=False)  # another real variable
def test_arbitrary_words_never_run_template_code_and_only_real_variables_fill(heading, paragraph, label, with_variable):
    if with_variable:
        heading += " {{ customer.first_name }}"
    raw = [
        {"type": "heading", "text": heading},
        {"type": "text", "html": f"<p>{paragraph}</p>"},
        {"type": "button", "label": label or "Go", "link": "store"},
    ]
    try:
        design = validate_design(raw)
    except DesignInvalid:
        event("refused")
        return  # the only way a design may fail: refused with reasons
    event("compiled")
    # Every name a template could reach holds the canary, and so does the one variable placed on purpose.
    context = full_context(customer={"first_name": CANARY})
    context.update(settings={"SECRET_KEY": CANARY}, request=CANARY, SECRET_KEY=CANARY, debug=CANARY, csrf_token=CANARY)
    template = compile_design(design, language="en", brand=Brand.of(context["store"]), labels=context["labels"])
    page = fill(template, context)
    placed = [
        piece
        for block in design
        for field in ("text", "html", "label")
        for piece in split_tokens(block.get(field, ""))
        if isinstance(piece, Token) and piece.name == "customer.first_name"
    ]
    assert page.count(CANARY) <= len(placed)  # nothing but a variable placed on purpose reaches a value
    # The first name placed in the heading fills (another variable there, say the last name, fills with its own value).
    heading_tokens = [piece for piece in split_tokens(design[0]["text"]) if isinstance(piece, Token)]
    if any(piece.name == "customer.first_name" for piece in heading_tokens):
        assert CANARY in page
    # No template code reaches the reader except as typed text (braces as entities).
    assert "{%" not in page and "{{" not in page


@pytest.mark.parametrize("url", ["https://x.example/a\\", 'https://x.example/a\\"b', "https://x.example/a%}{%b"])
def test_a_custom_address_that_ends_in_a_backslash_still_compiles(url):
    """A backslash before a closing quote once made the template fail to compile at send time, and mrml rewrites
    backslashes in attributes: the address is now filled like a variable, exactly as typed (HTML-escaped)."""
    page = render(design_of(block("button", label="Go", link="custom", url=url)), full_context())
    assert_well_formed(page.replace(escape(url), "https://x.example/"))  # the address's own braces are text
    assert f'href="{escape(url)}"' in page


web_addresses = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]), max_size=40
).map(lambda rest: "https://shop.example/" + rest)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=web_addresses)
def test_any_address_validation_accepts_compiles_and_leads_where_it_says(url):
    try:
        design = validate_design([{"type": "button", "label": "Go", "link": "custom", "url": url}])
    except DesignInvalid:
        event("refused")
        return
    event("compiled")
    page = render(design, full_context())
    assert f'href="{escape(design[0]["url"])}"' in page  # filled as typed, never read as template code


TEXT_FIELDS = [
    (model.model_fields["type"].annotation.__args__[0], name)
    for model in DESIGN_MODELS
    for name, info in model.model_fields.items()
    if info.annotation is str and name not in ("id", "type", "url", "src", "href")
]


def test_every_text_field_of_every_block_is_checked():
    assert len(TEXT_FIELDS) == 17 and ("heading", "text") in TEXT_FIELDS and ("text", "html") in TEXT_FIELDS


@pytest.mark.parametrize("kind, field", TEXT_FIELDS, ids=lambda v: str(v))
@pytest.mark.parametrize(
    "code",
    [
        "{{ settings.SECRET_KEY }}",
        "{{ request }}",
        "{{ store.name.upper }}",
        '{{ customer.first_name|default:"x"|safe }}',
    ],
)
def test_code_in_double_braces_is_refused_in_every_text_field_naming_it(kind, field, code):
    settings = {"label": "Go"} if kind == "button" else {}
    (problem,) = refused([block("divider"), block(kind, **{**settings, field: f"Hi {code}"})])
    assert problem[:2] == (1, field) and "not a variable" in problem[2]


@pytest.mark.parametrize(
    "comment", ["<!--[if mso | IE]><table><tr><td><![endif]-->", "<!--[if !mso]><!-->", "<![endif]-->", "<!-- x -->"]
)
def test_outlook_conditional_comments_typed_into_text_cannot_unbalance_the_layout(comment):
    design = design_of(
        block("heading", text=comment),
        block("text", html=f"<p>a{comment}b</p>"),
        block("button", label=comment, link="store"),
    )
    page = render(design, full_context())
    assert_well_formed(page)
    assert visible_text(page).count(comment) == 2  # heading and button show it as typed; rich text drops it


def test_a_recipients_values_holding_template_code_or_markup_are_shown_as_text():
    """Second-order: a buyer's name or a product's title comes from the shop; filling it is the last step, so it
    is never read as a template, and it is escaped as HTML."""
    from apps.campaigns.rendering import render_email

    hostile = '{% debug %}{{ settings.SECRET_KEY }}</title><script>alert(1)</script><img src=x onerror="alert(2)">'
    context = full_context(customer={"first_name": hostile}, settings={"SECRET_KEY": SECRET})
    context["recommendations"] = [{**context["recommendations"][0], "name": hostile}]
    email = render_email(
        subject="Hi {{ customer.first_name }}",
        preheader="For {{ customer.first_name }}",
        body="",
        context=context,
        blocks=(),
        design=design_of(block("heading", text="Hi {{ customer.first_name }}"), block("products", limit=1)),
    )
    assert SECRET not in email.html and "<script>" not in email.html and "<img src=x" not in email.html
    assert "&lt;script&gt;" in email.html
    assert hostile in email.text and email.subject == f"Hi {hostile}"


def test_a_link_in_rich_text_arrives_as_typed_whatever_mrml_does_to_attributes():
    """mrml rewrites a backslash (doubled) and a rare character (as \\u{…}) in attribute values: a link in the
    text is filled like a variable, so the buyer's client gets the address the merchant typed."""
    typed = "https://x.example/a\\b\u00e9\ud7fc?q=1&r=2"
    page = render(design_of(block("text", html=f'<p><a href="{escape(typed)}">Our story</a></p>')), full_context())
    assert f'href="{escape(typed)}"' in page
