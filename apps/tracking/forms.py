from django import forms
from django.utils.translation import gettext_lazy as _


class OrderLookupForm(forms.Form):
    number = forms.CharField(
        label=_("Order number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}),
    )
    email_or_postcode = forms.CharField(
        label=_("Email or postcode"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


class NewsletterForm(forms.Form):
    consent = forms.BooleanField(
        label=_("Yes, email me news and offers. I can unsubscribe at any time."),
        error_messages={"required": _("Tick the box to say yes, then press Subscribe.")},
    )
