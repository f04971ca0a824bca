"""An ESP double for worker processes: every accepted email is appended to a file, after an optional
delay, so a test can kill a worker mid-send and count what really went out."""

import os
import time

from anymail.backends.test import EmailBackend as AnymailTestBackend


class RecordingBackend(AnymailTestBackend):
    def post_to_esp(self, payload, message):
        time.sleep(float(os.environ.get("FAULT_ESP_DELAY", "0")))  # before the ESP accepts
        response = super().post_to_esp(payload, message)
        with open(os.environ["FAULT_ESP_LOG"], "a") as log:
            log.write(f"{message.to[0]}\n")
            log.flush()
        time.sleep(float(os.environ.get("FAULT_ESP_DELAY_AFTER", "0")))  # accepted, not yet recorded by us
        return response
