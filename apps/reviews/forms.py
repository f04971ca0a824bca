"""The review page's form: one block per order line (stars, title, text, photos), each optional, so a buyer
may review some products and skip others."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import MAX_PHOTOS, RATINGS
from .photos import PhotoRefused, prepare_photo
from .services import ReviewInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several files under one name (Django's documented pattern); each is checked in LineReviewForm."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class LineReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(rating, str(rating)) for rating in RATINGS],
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose from 1 to 5 stars.")},
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=120)
    text = forms.CharField(
        label=_("Your review"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = MultiplePhotoField(label=_("Photos"), required=False)
    remove_photos = forms.TypedMultipleChoiceField(
        label=_("Remove"), required=False, coerce=int, choices=(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, existing=None, **kwargs):
        self.existing = existing
        super().__init__(*args, **kwargs)
        photos = list(existing.photos.all()) if existing else []
        self.fields["remove_photos"].choices = [(photo.pk, str(photo.pk)) for photo in photos]
        self.existing_photo_count = len(photos)

    def clean_photos(self):
        uploads = self.cleaned_data.get("photos") or []
        if len(uploads) > MAX_PHOTOS:  # refused before any is decoded: decoding is what costs
            raise forms.ValidationError(self.too_many_photos())
        prepared = []
        for upload in uploads:
            try:
                prepared.append(prepare_photo(upload))
            except PhotoRefused as exc:
                raise forms.ValidationError(str(exc)) from None
        return prepared

    def clean(self):
        cleaned = super().clean()
        rating = cleaned.get("rating")
        wrote = cleaned.get("title") or (cleaned.get("text") or "").strip() or cleaned.get("photos")
        if rating in (None, "") and wrote and "rating" not in self.errors:
            self.add_error("rating", _("Choose from 1 to 5 stars."))
        if rating not in (None, "") and not (cleaned.get("text") or "").strip() and "text" not in self.errors:
            self.add_error("text", _("Tell other buyers a few words about it."))
        kept = self.existing_photo_count - len(cleaned.get("remove_photos") or [])
        room = MAX_PHOTOS - kept
        if len(cleaned.get("photos") or []) > room and "photos" not in self.errors:
            self.add_error("photos", self.too_many_photos())
        return cleaned

    @staticmethod
    def too_many_photos() -> str:
        return ngettext(
            "You can add at most %(count)d photo to a review.",
            "You can add at most %(count)d photos to a review.",
            MAX_PHOTOS,
        ) % {"count": MAX_PHOTOS}

    @property
    def is_filled(self) -> bool:
        """Whether the buyer reviewed this product (a valid form with a rating)."""
        return self.cleaned_data.get("rating") not in (None, "")

    def review_input(self) -> ReviewInput:
        data = self.cleaned_data
        return ReviewInput(
            rating=data["rating"],
            title=data["title"].strip(),
            text=data["text"].strip(),
            photos=data["photos"],
            remove_photo_ids=list(data["remove_photos"]),
        )
