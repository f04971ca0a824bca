"""Each email of a batch goes to Postmark exactly as Anymail would send it alone, though a store's sender and
reply-to addresses are read once for the whole batch; an address that cannot be sent to is refused every time,
with Anymail's own words, and the emails around it still go, each with its own result."""

import json

import pytest
from anymail.backends.postmark import PostmarkPayload
from anymail.exceptions import AnymailInvalidAddress
from anymail.message import AnymailMessage
from django.core.mail import get_connection

from apps.campaigns.sending import transport
from tests.campaigns.batch_esp import TOKEN

SENDERS = [
    '"Northwind Coffee, Ltd." <hello@northwind.example>',
    "Чайная «Самовар» <shop@samovar.example>",
    "커피 <커피@bean.example>",
    "plain@example.com",
]


@pytest.fixture
def backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": TOKEN}
    return get_connection()


def email(sender: str, to: str, reply_to: list | None = None) -> AnymailMessage:
    message = AnymailMessage(subject="Hello", body="Hi", from_email=sender, to=[to], reply_to=reply_to)
    message.attach_alternative("<p>Hi</p>", "text/html")
    message.metadata, message.tags = {"message_id": "7"}, ["win_back"]
    return message


@pytest.mark.parametrize("sender", SENDERS)
def test_each_payload_is_the_one_anymail_builds_alone_however_often_the_sender_repeats(backend, sender):
    for n in range(3):
        message = email(sender, f"Buyer {n} <buyer{n}@example.com>", reply_to=[sender, "help@northwind.example"])
        alone = PostmarkPayload(message, backend.send_defaults, backend).data
        assert transport.PostmarkBatch(backend).payload(message) == alone


def test_an_invalid_sender_is_refused_each_time_with_the_field_named(backend):
    for _ in range(2):
        result = transport.PostmarkBatch(backend).payload(email("Shop <not an address>", "a@example.com"))
        assert result.kind == transport.INVALID and "from_email" in result.detail
    with pytest.raises(AnymailInvalidAddress):
        transport.RememberingPostmarkPayload(email("a@b.example", "x@example.com", reply_to=["@@"]), {}, backend)


def test_a_batch_with_an_unsendable_email_in_the_middle_sends_the_others_each_with_its_own_result(postmark):
    emails = [email("shop@northwind.example", f"buyer{n}@example.com") for n in range(3)]
    emails.insert(1, email("shop@northwind.example", "no-at-sign"))
    postmark.inactive.add("buyer2@example.com")

    results = transport.send_all(emails)

    assert [result.kind for result in results] == [transport.SENT, transport.INVALID, transport.SENT,
                                                   transport.REFUSED]  # fmt: skip
    assert [message["To"] for message in postmark.batches[0]] == [f"buyer{n}@example.com" for n in range(3)]
    assert results[0].esp_message_id != results[2].esp_message_id
    assert json.dumps(postmark.batches[0][0]["From"]) == '"shop@northwind.example"'
