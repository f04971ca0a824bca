"""Coupon pools: codes made in the merchant's shop, uploaded as CSV, each handed to one buyer only.

A file is read and checked whole before anything is saved: a bad file is refused with the first few bad
lines named, and a good one goes in through the campaigns services in one transaction.
"""

import csv
import io

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.campaigns.models import Coupon
from apps.campaigns.selectors import coupon_pool_for_store, coupon_pools_for_store
from apps.campaigns.services.coupons import coupon_pool_add_codes, coupon_pool_create

from .access import member_required

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_CODES = 100_000
CODE_MAX_LENGTH = Coupon._meta.get_field("code").max_length
# Column names a code may sit under, first match wins: Shopify's exports say "Code" (bulk codes) or "Name".
CODE_HEADERS = ("code", "discount code", "coupon code", "name")
PROBLEMS_SHOWN = 5


def codes_from_csv(data: bytes) -> list[str]:
    """The codes of an uploaded file, in file order (repeats kept, so the caller can count them).

    One code per line, or a column named Code / Discount Code / Name; a header row is optional for a single
    column. Spaces around a code are stripped and empty lines skipped. Raises ValidationError naming the
    first few bad lines.
    """
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than 2 MB. Split it and upload the parts one after another."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")) from None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # Comma, or what a spreadsheet in a comma-decimal language writes instead (semicolon, tab).
    delimiter = next((mark for mark in (",", ";", "\t") if mark in first_line), ",")
    codes: list[str] = []
    problems: list[str] = []
    column: int | None = None
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for row in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in row]
            filled = [cell for cell in cells if cell]
            if not filled:
                continue
            if column is None:  # the first line with anything on it: a header, or already a code
                names = [cell.casefold() for cell in cells]
                column = next((names.index(name) for name in CODE_HEADERS if name in names), None)
                if column is not None:
                    continue
                if len(filled) > 1:
                    raise ValidationError(
                        _(
                            "The file has several columns but none is named Code, Discount Code or Name. "
                            "Name the column of codes, or upload one code per line."
                        )
                    )
                column = -1  # no header: one code per line
            if column == -1:
                code = filled[0]
                if len(filled) > 1:
                    problems.append(_("Line %(line)d: more than one value") % {"line": line})
                    continue
            else:
                code = cells[column] if column < len(cells) else ""
                if not code:
                    continue
            if len(code) > CODE_MAX_LENGTH:
                problems.append(
                    _("Line %(line)d: longer than %(max)d characters") % {"line": line, "max": CODE_MAX_LENGTH}
                )
            elif not code.isprintable():
                problems.append(_("Line %(line)d: holds a control character") % {"line": line})
            else:
                codes.append(code)
            if len(codes) > MAX_CODES:
                raise ValidationError(
                    _("The file holds more than %(max)s codes. Split it and upload the parts one after another.")
                    % {"max": number_format(MAX_CODES, force_grouping=True)}
                )
    except csv.Error as exc:
        raise ValidationError(_("The file cannot be read as CSV: %(error)s") % {"error": exc}) from None
    if problems:
        shown = problems[:PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        if more:
            shown.append(ngettext("…and %(n)d more bad line.", "…and %(n)d more bad lines.", more) % {"n": more})
        raise ValidationError(
            [_("Some lines cannot be codes, so nothing was saved. Fix them and upload the file again."), *shown]
        )
    if not codes:
        raise ValidationError(_("The file holds no codes."))
    return codes


class CouponCodesForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file of codes"),
        help_text=gettext_lazy(
            "One code per line, or a column named Code, Discount Code or Name. Up to 2 MB and 100,000 codes."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            try:
                cleaned["codes"] = codes_from_csv(upload.read(MAX_FILE_BYTES + 1))
            except ValidationError as exc:
                self.add_error("file", exc)
        return cleaned


class CouponPoolCreateForm(CouponCodesForm):
    name = forms.CharField(
        label=gettext_lazy("Pool name"),
        max_length=120,
        help_text=gettext_lazy("For you to recognise it, e.g. “Shopify spring codes”."),
    )
    field_order = ["name", "file"]

    def __init__(self, *args, taken_names: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.taken_names = taken_names

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if name.casefold() in self.taken_names:
            raise ValidationError(_("A pool of this name exists: add the codes to it on its page instead."))
        return name


def _say_added(request, *, added: int, total: int) -> None:
    message = ngettext("%(added)d code added.", "%(added)d codes added.", added) % {"added": added}
    skipped = total - added
    if skipped:
        message += " " + ngettext(
            "%(skipped)d skipped: already in your store or repeated in the file.",
            "%(skipped)d skipped: already in your store or repeated in the file.",
            skipped,
        ) % {"skipped": skipped}
    messages.success(request, message)


@member_required("edit_flows")
def coupon_pool_list(request):
    pools = list(coupon_pools_for_store(store=request.store))
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    form = CouponPoolCreateForm(*data, taken_names={pool.name.casefold() for pool in pools})
    if request.method == "POST" and form.is_valid():
        codes = form.cleaned_data["codes"]
        with transaction.atomic():  # a pool and its codes, or neither
            pool = coupon_pool_create(store=request.store, name=form.cleaned_data["name"])
            added = coupon_pool_add_codes(pool=pool, codes=codes)
        _say_added(request, added=added, total=len(codes))
        return redirect("dashboard:coupon_pool_detail", pk=pool.pk)
    context = {"pools": pools, "form": form}
    return render(request, "dashboard/coupon_pool_list.html", context, status=400 if form.errors else 200)


@member_required("edit_flows")
def coupon_pool_detail(request, pk: int):
    pool = coupon_pool_for_store(store=request.store, pk=pk)
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    form = CouponCodesForm(*data)
    if request.method == "POST" and form.is_valid():
        codes = form.cleaned_data["codes"]
        added = coupon_pool_add_codes(pool=pool, codes=codes)
        _say_added(request, added=added, total=len(codes))
        return redirect("dashboard:coupon_pool_detail", pk=pool.pk)
    context = {"pool": pool, "form": form}
    return render(request, "dashboard/coupon_pool_detail.html", context, status=400 if form.errors else 200)
