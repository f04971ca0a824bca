"""Signed links are built from a route looked up once (links.token_path): each must be what reverse gives."""

import pytest
from django.urls import reverse, set_script_prefix

from apps.feedback import links

TOKENS = ["MQ:1u2v3w:AbC-_dEf", "eyJhIjoxfQ:1t:x", "odd token ü%", "a:b@c~d"]


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize(
    ("name", "others"),
    [("feedback:preferences", {}), ("feedback:unsubscribe", {}), ("feedback:nps", {"score": 7}),
     ("feedback:nps", {"score": 10}), ("feedback:cart_reason", {"reason": "shipping_cost"})],
)  # fmt: skip
def test_a_link_is_what_reverse_gives(name, others, token):
    assert links.token_path(name, token, **others) == reverse(name, kwargs={"token": token, **others})


def test_a_script_prefix_is_kept_apart():
    """Behind a proxy that mounts the site under a path, the same link carries that path, and the plain one
    still does not (the route is remembered per prefix)."""
    plain = links.token_path("feedback:preferences", "T0K")
    try:
        set_script_prefix("/shop/")
        prefixed = links.token_path("feedback:preferences", "T0K")
        assert prefixed == reverse("feedback:preferences", kwargs={"token": "T0K"})
        assert prefixed.startswith("/shop/")
    finally:
        set_script_prefix("/")
    assert links.token_path("feedback:preferences", "T0K") == plain
    assert not plain.startswith("/shop/")
