from django import forms
from django.utils.translation import gettext_lazy as _


class OrderLookupForm(forms.Form):
    number = forms.CharField(
        label=_("Order number"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    email_or_postcode = forms.CharField(
        label=_("Email or postcode"), max_length=254, widget=forms.TextInput(attrs={"autocomplete": "email"})
    )
