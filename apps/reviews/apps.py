from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "apps.reviews"
    label = "reviews"
    verbose_name = _("Product reviews")

    def ready(self) -> None:
        from apps.campaigns.block_content import block_content_register
        from apps.campaigns.links import links_register
        from apps.customers.privacy import personal_data_register

        from .links import review_url
        from .privacy import PERSONAL_DATA
        from .selectors import reviews_for_email

        personal_data_register(PERSONAL_DATA)  # its part of a buyer's GDPR export and erasure
        links_register(review_url=review_url)  # the review button of emails
        block_content_register(reviews=reviews_for_email)  # the reviews block of emails
