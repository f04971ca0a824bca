"""An ESP double on top of Anymail's test backend: scripted failures, then success."""

from anymail.backends.test import EmailBackend as AnymailTestBackend

SCRIPT: list = []  # exceptions to raise on the next sends, in order; empty = accept


class ScriptedBackend(AnymailTestBackend):
    def post_to_esp(self, payload, message):
        if SCRIPT:
            message.anymail_test_response = SCRIPT.pop(0)
        return super().post_to_esp(payload, message)


def esp_error(status_code: int, text: str = '{"message": "scripted"}'):
    """The error Anymail raises when the ESP's API answers with an HTTP error."""
    import requests
    from anymail.exceptions import AnymailRequestsAPIError

    response = requests.Response()
    response.status_code, response.reason, response._content = status_code, "Scripted", text.encode()
    return AnymailRequestsAPIError("send failed", status_code=status_code, response=response)
