"""Paging for dashboard lists without COUNT(*): one query per page however large the store."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import render

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    has_previous: bool
    has_next: bool

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1


def page_of(queryset: QuerySet, page_param: str | None, size: int = PAGE_SIZE) -> Page:
    try:
        number = max(1, int(page_param or 1))
    except ValueError:
        number = 1
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return Page(items=rows[:size], number=number, has_previous=number > 1, has_next=len(rows) > size)


def list_response(request, template: str, context: dict):
    """Full page normally; only the results block when htmx asks (search as you type)."""
    if request.htmx and request.htmx.target == "results":
        template = template.replace(".html", "_results.html")
    return render(request, template, context)
