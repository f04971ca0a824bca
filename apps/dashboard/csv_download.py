"""CSV files the dashboard hands out (insights, import errors): UTF-8 with a BOM, and no cell a spreadsheet
would run as a formula (a buyer's comment or a shop's value starting with = + - @ is written as text)."""

import csv

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> object:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvDownload(HttpResponse):
    def __init__(self, filename: str):
        super().__init__(content_type="text/csv; charset=utf-8")
        self["Content-Disposition"] = f'attachment; filename="{filename}"'
        self.write("\ufeff")  # UTF-8 with BOM: spreadsheets then read accents and Cyrillic right
        self.writer = csv.writer(self)

    def row(self, values) -> None:
        self.writer.writerow([csv_cell(v) for v in values])
