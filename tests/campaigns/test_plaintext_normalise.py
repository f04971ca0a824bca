"""The text part's spacing is tidied the way a reader expects, and the one-pass tidy (a layout's text is mostly
blank lines) gives exactly what tidying rule by rule gives, for any mix of spaces, tabs, spacers and words."""

import re

from hypothesis import example, given
from hypothesis import strategies as st

from apps.campaigns.plaintext import normalise


def rule_by_rule(text: str) -> str:
    """The rules one at a time, as they read."""
    text = re.sub(r"[ \t]+", " ", text)  # runs of spaces and tabs: one space
    text = re.sub(r" *\n *", "\n", text)  # no space around a line break
    text = re.sub(r"\n[\u00a0\u2009\u200a ]+(?=\n)", "\n", text)  # a line holding only a spacer's space: empty
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"  # at most one empty line


PIECES = st.sampled_from([" ", "  ", "\t", "\n", "\n\n", "\u00a0", "\u2009", "\u200a", "word", "39\u00a0000 ₽", "é"])


@given(st.lists(PIECES, max_size=40).map("".join))
@example("a \u00a0 \n\n b")
@example("a\n\u00a0\n\u00a0b")
@example("\u00a0\nHello\n \t\n\u200a\n\n\nBye\t \u00a0")
def test_the_one_pass_tidy_is_the_rules_applied_one_by_one(text):
    assert normalise(text) == rule_by_rule(text)


def test_a_layouts_blank_lines_collapse_and_prices_stay_unbroken():
    text = "\n\n \n\u200a\n  Northwind\tCoffee  \n \n\n\n Total:  39\u00a0000 ₽ \n\n\n\u2009\n"
    assert normalise(text) == "Northwind Coffee\n\nTotal: 39\u00a0000 ₽\n"
