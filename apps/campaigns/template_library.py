"""The only tags and filters merchant templates may use: no loading, no includes, no debug, no URLs."""

from django.template import Library, defaultfilters, defaulttags

register = Library()

for _tag in ("if", "for", "with", "firstof", "filter", "spaceless", "now", "comment", "cycle"):
    register.tags[_tag] = defaulttags.register.tags[_tag]

for _filter in (
    "default", "default_if_none", "upper", "lower", "title", "capfirst", "date", "time", "floatformat",
    "truncatechars", "truncatewords", "linebreaksbr", "linebreaks", "length", "pluralize", "join", "first",
    "last", "yesno", "add", "cut", "escape", "urlencode", "striptags", "wordcount",
):  # fmt: skip
    register.filters[_filter] = defaultfilters.register.filters[_filter]
