"""Korean register: 해요체 in pages and emails, 합니다체 only for errors and legal lines (locale/GLOSSARY.md).

The default emails may not use 합니다체 at all. In the buyer catalogue, an entry in 합니다체 must be one of
the errors and legal lines listed here: a new one fails until a person decides it is an error or a legal
line (then it is added here) or rewrites it in 해요체."""

import re
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings

from apps.campaigns.copy import copy_for

FORMAL_ENDING = re.compile(r"(?:습니다|합니다|됩니다|입니다|십시오|습니까)(?=[.!?)\s]|$)")

# Errors (forms, imports, feeds, links) and the consent checkbox, a legal line: each by its first 70 characters.
FORMAL_ALLOWED = {
    "You can add at most %(count)d photo to a review.",
    "A photo can be at most 8 MB.",
    "This file is not a photo we can read. Upload a JPEG, PNG, WebP or GIF.",
    "The time to change this review has ended, so nothing was changed.",
    "A review holds at most 3 photos. Remove one to add another.",
    "Some answers need a look. Nothing was sent yet.",
    "This form can only be sent from the order's own page.",
    "%(email)s is already a member of this store.",
    "%(host)s did not answer within %(seconds)s seconds. Check that the fee",
    "A percentage is between 0 and 100; an amount is not negative.",
    "A step tests at most %(count)s subjects at once.",
    "A store keeps at least one owner: make someone else owner first.",
    "A whole number from %(low)s to %(high)s.",
    "Afterglow could not reach %(host)s. Check the feed's address (a typing",
    "An account with this email already exists. Sign in instead.",
    "An account with this email exists: sign in to accept.",
    "Cases can only be assigned to members of this store.",
    "Confidence is between %(low)s and %(high)s (50 %% to 99.9 %%).",
    "Coupons are valid for 1 to 365 days.",
    "Empty, and every row needs it: fill it in and import the file again.",
    "No Shopify app is configured.",
    "Only the store's owner can connect a shop.",
    "Resolve the case first; the re-survey asks whether it was made right.",
    "Say what was done: the resolution note is required.",
    "Social links map a network to its address.",
    "The Review / NPS flow (or its re-survey step) is switched off: switch ",
    "The address %(slug)s is taken by another store: choose another.",
    "The default language must be one of the languages offered.",
    "The delay must be between 0 and 365 days.",
    "The feed is empty: the address answered with no content. Check the fee",
    "The feed is larger than %(size)s MB, more than Afterglow reads. Ask yo",
    "The feed is not valid XML: it breaks off or is damaged at line %(line)",
    "The feed's server answered “%(answer)s” instead of the feed. Check the",
    "The feed's server had a problem (“%(answer)s”). Nothing was changed; A",
    "The file is empty. Export the data again and upload the CSV file.",
    "The first row holds data (%(value)s), not the names of the columns. Ad",
    "The first row is empty: it must name the columns (Email, Order id…). A",
    "The holdout is a whole number from 0 to 50 %.",
    "The import stopped on an error on our side, not in your file. The rows",
    "The last owner cannot be removed: make someone else owner first.",
    "The new order must list each step of this flow once.",
    "The order has no email address to ask.",
    "The order has no email address to write to.",
    "The store's default language needs this (other languages fall back to ",
    "There is no feed at this address: the server answered “%(answer)s”. Co",
    "This case is already resolved.",
    "This invitation is for another email address.",
    "This invitation was already used or has expired.",
    "This is a spreadsheet workbook, not a CSV file. In your spreadsheet, s",
    "This link is not valid.",
    "This buyer's address is suppressed (%(reason)s): email cannot reach th",
    "Too many attempts. Please wait a few minutes and try again.",
    "Transactional emails always go out: they have no holdout.",
    "Unknown kind of incentive.",
    "Unknown role.",
    'Use font names separated by commas, such as Georgia, "Times New Roman"',
    "We could not find an order with those details.",
    "Yes, email me news and offers. I can unsubscribe at any time.",
    "Your role cannot connect a shop.",
    "“%(value)s” is negative: amounts are 0 or more.",
    "“%(value)s” is not a date an order can have: it must be after 2000 and",
}


def strings_of(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in strings_of(item)]
    return []


def test_the_korean_default_emails_speak_haeyo():
    copy = copy_for("ko")
    texts = strings_of(copy.LABELS) + strings_of(copy.STEPS) + strings_of(getattr(copy, "DESIGNS", {}))
    formal = [text for text in texts if FORMAL_ENDING.search(text)]
    assert formal == []


def test_korean_pages_use_hamnida_only_for_errors_and_legal_lines():
    path = Path(settings.BASE_DIR) / "locale" / "ko" / "LC_MESSAGES" / "django.po"
    with open(path, "rb") as po:
        catalogue = [message for message in read_po(po, locale="ko") if message.id]
    formal = set()
    for message in catalogue:
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if any(FORMAL_ENDING.search(text or "") for text in strings_of(message.string)):
            formal.add(msgid[:70])
    assert sorted(formal - FORMAL_ALLOWED) == []
