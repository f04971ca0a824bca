"""A fake Postmark batch endpoint for pytest-httpserver, answering with the shapes in
tests/fixtures/outbound/esp/ (see its SOURCES.md): one result per message, in order."""

import json
import uuid
from pathlib import Path

from werkzeug import Response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "outbound" / "esp"
TOKEN = "server token"  # as in postmark_email_batch.headers.json


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


ACCEPTED = fixture("postmark_email_batch.response.json")[0]
INACTIVE = fixture("postmark_email_batch_partial_failure.derived.response.json")[1]


class FakePostmark:
    """Records every batch it gets; `inactive` addresses are refused as Postmark refuses a hard-bounced
    recipient (ErrorCode 406), `throttled` ones get an error code a retry may fix."""

    def __init__(self):
        self.batches: list[list[dict]] = []
        self.inactive: set[str] = set()
        self.throttled: set[str] = set()

    def __call__(self, request) -> Response:
        assert request.headers["X-Postmark-Server-Token"] == TOKEN
        messages = json.loads(request.data)
        self.batches.append(messages)
        return Response(json.dumps([self.answer(message) for message in messages]), 200,
                        content_type="application/json")  # fmt: skip

    def answer(self, message: dict) -> dict:
        if message["To"] in self.inactive:
            return {**INACTIVE, "Message": INACTIVE["Message"].replace("hardbounce@example.com", message["To"])}
        if message["To"] in self.throttled:
            return {"ErrorCode": 405, "Message": "Not allowed to send: you have run out of credits."}
        return {**ACCEPTED, "To": message["To"], "MessageID": str(uuid.uuid4())}

    @property
    def sent_to(self) -> list[str]:
        return [message["To"] for batch in self.batches for message in batch]
