"""Email design: what laying a design out on MJML costs, and what each recipient then costs.

A typical order confirmation in blocks (logo, heading and text with variables, the order summary with
pictures, a tracking button, four recommended products with buttons, social links, footer) is compiled
cold (the template cache emptied each time), then rendered for up to 10,000 recipients (real demo orders, their
contexts built beforehand by campaigns.context, outside the timing) with `render_email(design=…)`, the
path dispatch takes; the same recipients are rendered through the HTML mode (`render_email` with the
default body in the branded layout, CSS inlined) for comparison. `mrml.to_html` is wrapped to count the
layouts mrml does during the run.
"""

import statistics
import time

from .report import Section, count, log, seconds

RECIPIENTS = 10_000  # a step sent to ten thousand buyers
COLD_COMPILES = 20

TYPICAL_DESIGN = [
    {"type": "header"},
    {"type": "heading", "text": 'Thank you, {{ customer.first_name|default:"friend" }}!'},
    {
        "type": "text",
        "html": "<p>We have your order <strong>{{ order.number }}</strong> and are packing it now. "
        'Questions? <a href="https://example.com/help">Read our help page</a>.</p>',
    },
    {"type": "order_summary", "show_images": True},
    {"type": "button", "link": "tracking", "label": "Track your order"},
    {"type": "products", "source": "recommendations", "title": "You might also like", "button_label": "View"},
    {"type": "social"},
    {"type": "footer"},
]


def _contexts(store, language: str) -> list[dict]:
    """Per recipient, the context dispatch would build for an order confirmation (recommendations: the first
    order's, for all, to keep the set-up short)."""
    from apps.campaigns.context import message_context
    from apps.campaigns.models import FlowKind, FlowStep, Message
    from apps.orders.models import Order
    from apps.orders.selectors import recommended_products

    step = FlowStep.objects.filter(store=store, flow__kind=FlowKind.ORDER_CONFIRMATION).first()
    orders = list(
        Order.objects.filter(store=store, customer__isnull=False)
        .exclude(email="")
        .select_related("customer")
        .prefetch_related("lines")
        .order_by("-placed_at", "-pk")[:RECIPIENTS]
    )
    if not orders:
        raise RuntimeError("the demo store has no orders with a customer")
    products = recommended_products(order=orders[0], limit=4)
    contexts = []
    for order in orders:
        message = Message(store=store, step=step, customer=order.customer, order=order, transactional=True)
        contexts.append(
            message_context(message, language=language, blocks=("recommendations",), recommendations=products)
        )
    return contexts


def run(data) -> Section:
    from apps.campaigns.defaults import default_content
    from apps.campaigns.design import compiler
    from apps.campaigns.design.blocks import validate_design
    from apps.campaigns.flows import definition_for
    from apps.campaigns.models import FlowKind
    from apps.campaigns.rendering import render_email

    section = Section("7. Email design (blocks → MJML → template)", ["figure", "detail"], align_left=True)
    language = data.store.default_language if data.store.default_language in ("en", "ru", "it", "ko", "kk") else "en"
    design = validate_design(TYPICAL_DESIGN)
    log(f"building {RECIPIENTS:,} order-confirmation contexts (not timed)")
    contexts = _contexts(data.store, language)
    brand = compiler.Brand.of(contexts[0]["store"])
    labels = contexts[0]["labels"]

    # 1. Cold compile: blocks → MJML source → mrml → Django template, the cache emptied before each.
    cold, mrml_only = [], []
    real_to_html = compiler.mrml.to_html

    def timed_to_html(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real_to_html(*args, **kwargs)
        finally:
            mrml_only.append(time.perf_counter() - started)

    compiler.mrml.to_html = timed_to_html
    try:
        for _ in range(COLD_COMPILES):
            compiler._compiled.cache_clear()
            started = time.perf_counter()
            compiler.compile_design(design, language=language, brand=brand, labels=labels)
            cold.append(time.perf_counter() - started)
    finally:
        compiler.mrml.to_html = real_to_html
    source = compiler.mjml_source(design, compiler.Parts(brand=brand, labels=labels, language=language))
    section.row(
        "compile, cold (blocks → HTML template)",
        f"median {seconds(statistics.median(cold))}",
        f"min {seconds(min(cold))}, max {seconds(max(cold))} over {COLD_COMPILES}; "
        f"of which mrml median {seconds(statistics.median(mrml_only))}",
    )
    template_size = len(compiler._compiled(source).html.source)
    section.row("  MJML source / compiled template", f"{len(source):,} chars", f"{template_size:,} chars of HTML")
    warm = []
    for _ in range(200):
        started = time.perf_counter()
        compiler.compile_design(design, language=language, brand=brand, labels=labels)
        warm.append(time.perf_counter() - started)
    section.row(
        "compile_design, cached (paid per recipient)",
        f"median {seconds(statistics.median(warm))}",
        "the MJML source is rebuilt and looked up in the cache on every call",
    )

    # 2. Per recipient: the design path, counting mrml layouts, from a cold cache.
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return real_to_html(*args, **kwargs)

    def render_all(**kwargs) -> tuple[float, list[float], list]:
        each, emails = [], []
        started = time.perf_counter()
        for context in contexts:
            one = time.perf_counter()
            emails.append(
                render_email(
                    subject="Your order {{ order.number }}",
                    preheader="Thank you, {{ customer.first_name }}",
                    context=context,
                    **kwargs,
                )
            )
            each.append(time.perf_counter() - one)
        return time.perf_counter() - started, each, emails

    compiler._compiled.cache_clear()
    compiler.mrml.to_html = counted
    log(f"render_email with the design, {len(contexts):,} recipients")
    try:
        total, each, emails = render_all(body="", blocks=(), design=design)
    finally:
        compiler.mrml.to_html = real_to_html
    distinct = len({email.html for email in emails})
    section.row(
        f"render_email, design ({len(contexts):,} recipients)",
        f"{len(contexts) / total:,.0f} renders/s",
        f"{seconds(total)} in all; per recipient median {seconds(statistics.median(each))}, "
        f"p95 {seconds(sorted(each)[int(len(each) * 0.95)])}; the first (which compiles) {seconds(each[0])}",
    )
    section.row(
        "  mrml layouts during those renders",
        count(len(calls)),
        f"{distinct:,} distinct HTML bodies for {len(contexts):,} recipients; "
        f"{sum(len(email.html) for email in emails) // len(emails):,} chars of HTML each on average",
    )

    # Where a recipient's time goes on the design path: filling the HTML template, then the text part's.
    template = compiler.compile_design(design, language=language, brand=brand, labels=labels)
    filling, reading = [], []
    for context in contexts[:200]:
        started = time.perf_counter()
        compiler.fill(template, {**context, "subject": "s", "preheader": "p"})
        filling.append(time.perf_counter() - started)
        started = time.perf_counter()
        compiler.fill_text(template, {**context, "subject": "s", "preheader": "p"})
        reading.append(time.perf_counter() - started)
    section.row(
        "  of which: fill / text part",
        f"{seconds(statistics.median(filling))} / {seconds(statistics.median(reading))}",
        "median per recipient: filling the compiled HTML template / the compiled text template",
    )

    # 3. The same recipients through the HTML mode (the path before designs): default body, branded layout.
    kind = FlowKind.ORDER_CONFIRMATION
    _, _, body = default_content(kind, "confirmation")
    old_body = body.get(language) or body.get("en") or ""
    log(f"render_email through the HTML mode, {len(contexts):,} recipients")
    old_total, old_each, _ = render_all(body=old_body, blocks=definition_for(kind).blocks)
    section.row(
        f"render_email, HTML mode ({len(contexts):,} recipients)",
        f"{len(contexts) / old_total:,.0f} renders/s",
        f"{seconds(old_total)} in all; per recipient median {seconds(statistics.median(old_each))}, "
        f"p95 {seconds(sorted(old_each)[int(len(old_each) * 0.95)])}",
    )
    section.row(
        "  design vs HTML mode, per recipient",
        f"{statistics.median(each) / statistics.median(old_each):.2f}×",
        "median time of the design path over the HTML mode's (below 1: the design is faster)",
    )
    section.note(
        f"Language {language}; {len(contexts):,} of the demo store's newest orders as recipients. Subject and "
        "preheader go through the restricted merchant engine on both paths; the HTML mode also sanitises the body "
        "and inlines CSS per recipient, which the design path did once, in mrml."
    )
    return section
