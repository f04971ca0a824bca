"""Product reviews: staff read what buyers wrote, approve or reject it, and answer in public. Also the
coupon promised for a review. Every review is reached through the request's store (another store's is 404)."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from apps.campaigns.models import IncentiveKind
from apps.reviews.links import widget_url
from apps.reviews.models import ReviewIncentive, ReviewStatus
from apps.reviews.selectors import review_counts, review_for_store, reviews_for_store
from apps.reviews.services import review_incentive_set, review_moderate, review_reply
from apps.stores.permissions import can

from .access import member_required
from .listing import page_of

STATUS_FILTERS = (
    ("pending", pgettext_lazy("reviews filter", "Waiting for approval")),
    ("published", pgettext_lazy("reviews filter", "Published")),
    ("rejected", pgettext_lazy("reviews filter", "Rejected")),
    ("all", pgettext_lazy("reviews filter", "All")),
)
MODERATIONS = {"approve": ReviewStatus.PUBLISHED, "reject": ReviewStatus.REJECTED}


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=gettext_lazy("Public reply"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Shown under the review wherever it is published. Leave empty to remove it."),
    )


class IncentiveForm(forms.ModelForm):
    class Meta:
        model = ReviewIncentive
        fields = ("active", "kind", "value", "valid_days")
        labels = {
            "active": gettext_lazy("Give a coupon for a review"),
            "kind": gettext_lazy("Coupon"),
            "value": gettext_lazy("Value"),
            "valid_days": gettext_lazy("Valid for (days)"),
        }
        help_texts = {
            "active": gettext_lazy(
                "The buyer sees the promise on the review page; the code is made once their review is in, "
                "whether or not you publish it."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(v, label) for v, label in IncentiveKind.choices if v]
        self.fields["value"].min_value = 0
        self.fields["valid_days"].min_value = 1

    def clean(self):
        cleaned = super().clean()
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind == IncentiveKind.PERCENT and value is not None and not 0 < value <= 100:
            self.add_error("value", _("A percentage is more than 0 and at most 100."))
        if kind == IncentiveKind.FIXED and value is not None and value <= 0:
            self.add_error("value", _("Give an amount greater than 0."))
        return cleaned


def _rating_filter(value: str) -> int | None:
    return int(value) if value in {"1", "2", "3", "4", "5"} else None


@member_required("moderate_reviews")
def review_list(request):
    store = request.store
    status = request.GET.get("status", "pending")
    if status not in dict(STATUS_FILTERS):
        status = "pending"
    rating = _rating_filter(request.GET.get("rating", ""))
    reviews = reviews_for_store(store=store, status="" if status == "all" else status, rating=rating)
    incentive = ReviewIncentive.objects.filter(store=store).first()
    context = {
        "page": page_of(reviews, request.GET.get("page")),
        "filters": {"status": status, "rating": rating},
        "status_filters": STATUS_FILTERS,
        "ratings": [5, 4, 3, 2, 1],
        "counts": review_counts(store=store),
        "feed_url": request.build_absolute_uri(reverse("reviews:google_feed", kwargs={"store_slug": store.slug})),
        "incentive_form": IncentiveForm(instance=incentive) if can(request.membership, "edit_flows") else None,
    }
    return render(request, "dashboard/reviews/review_list.html", context)


def _review_or_404(request, pk: int):
    review = review_for_store(store=request.store, pk=pk)
    if review is None:
        raise Http404
    return review


@member_required("moderate_reviews")
def review_detail(request, pk: int):
    review = _review_or_404(request, pk)
    context = {
        "review": review,
        "reply_form": ReplyForm(initial={"reply": review.reply}),
        "widget_url": widget_url(request.store, review.product) if review.product else "",
    }
    return render(request, "dashboard/reviews/review_detail.html", context)


@require_POST
@member_required("moderate_reviews")
def review_moderate_view(request, pk: int):
    review = _review_or_404(request, pk)
    status = MODERATIONS.get(request.POST.get("action", ""))
    if status is None:
        messages.error(request, _("Choose to approve or reject the review."))
        return redirect("dashboard:review_detail", pk=review.pk)
    review_moderate(review=review, status=status, by=request.user)
    if status == ReviewStatus.PUBLISHED:
        messages.success(request, _("The review is published."))
    else:
        messages.success(request, _("The review is rejected; it is not shown anywhere."))
    if request.POST.get("next") == "list":  # moderated from the list: stay on it, for the next one
        return redirect(f"{reverse('dashboard:review_list')}?status={ReviewStatus.PENDING}")
    return redirect("dashboard:review_detail", pk=review.pk)


@require_POST
@member_required("moderate_reviews")
def review_reply_view(request, pk: int):
    review = _review_or_404(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return render(
            request, "dashboard/reviews/review_detail.html", {"review": review, "reply_form": form}, status=400
        )
    review_reply(review=review, text=form.cleaned_data["reply"], by=request.user)
    messages.success(request, _("Your reply is saved.") if form.cleaned_data["reply"].strip() else _("Reply removed."))
    return redirect("dashboard:review_detail", pk=review.pk)


@require_POST
@member_required("edit_flows")
def review_incentive(request):
    store = request.store
    form = IncentiveForm(request.POST, instance=ReviewIncentive.objects.filter(store=store).first())
    if not form.is_valid():
        messages.error(request, _("The coupon for reviews was not saved: %(errors)s") % {"errors": _errors(form)})
        return redirect("dashboard:review_list")
    data = form.cleaned_data
    review_incentive_set(
        store=store, active=data["active"], kind=data["kind"], value=data["value"], valid_days=data["valid_days"]
    )
    messages.success(request, _("The coupon for reviews is saved."))
    return redirect("dashboard:review_list")


def _errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)
