"""Default email copy, one module per language. Every language has the same keys (a test checks).

`STEPS[(flow_kind, step_key)] = (subject, preheader, body)`: merchant-editable templates written for the
restricted engine (see rendering.py for the context they receive); the body is the HTML mode's copy (and what
migration 0008 recognises as untouched). `DESIGNS[(flow_kind, step_key)]` are the words of the step's default
blocks (heading, text, and a button's own label where it has one): the layout is design/defaults.py, the same in
every language. `LABELS` are the layout's words.
"""

from importlib import import_module

LANGUAGES = ("en", "ru", "it", "ko", "kk")


def copy_for(language: str):
    return import_module(f"{__name__}.{language if language in LANGUAGES else 'en'}")
