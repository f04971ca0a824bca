"""An ESP double for worker processes: every email the ESP accepts is appended to a file, so a test can
kill a worker mid-send, break the ESP mid-batch, and count what really went out.

Delays come from the environment (FAULT_ESP_DELAY before accepting, FAULT_ESP_DELAY_AFTER after). The
ESP's mood comes from the file FAULT_ESP_MODE names, read on every send so a test can change it while
the workers run:
  accept               take everything (also when the file is missing or empty)
  503-after N          once N emails went out, answer 503 Service Unavailable without taking the email
  timeout-after N      once N emails went out, take the email but never answer (the client times out)
"""

import os
import time

import requests
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailRequestsAPIError


def accepted_count() -> int:
    with open(os.environ["FAULT_ESP_LOG"]) as log:
        return sum(1 for line in log if line.strip())


def mode() -> tuple[str, int]:
    path = os.environ.get("FAULT_ESP_MODE")
    text = []
    if path and os.path.exists(path):
        with open(path) as mode_file:
            text = mode_file.read().split()
    return (text[0], int(text[1])) if len(text) == 2 else ("accept", 0)


class RecordingBackend(AnymailTestBackend):
    def post_to_esp(self, payload, message):
        time.sleep(float(os.environ.get("FAULT_ESP_DELAY", "0")))  # before the ESP accepts
        kind, after = mode()
        if kind == "503-after" and accepted_count() >= after:
            response = requests.Response()
            response.status_code, response.reason, response._content = 503, "Service Unavailable", b"{}"
            raise AnymailRequestsAPIError("ESP unavailable", status_code=503, response=response)
        response = super().post_to_esp(payload, message)
        with open(os.environ["FAULT_ESP_LOG"], "a") as log:
            log.write(f"{message.to[0]}\n")
            log.flush()
        if kind == "timeout-after" and accepted_count() > after:
            raise AnymailRequestsAPIError("ESP did not answer") from requests.exceptions.ReadTimeout("read timed out")
        time.sleep(float(os.environ.get("FAULT_ESP_DELAY_AFTER", "0")))  # accepted, not yet recorded by us
        return response
