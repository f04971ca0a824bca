import factory
from django.contrib.auth import get_user_model

from apps.stores.models import Membership, Role, Store


class TenantFactory(factory.django.DjangoModelFactory):
    """A factory for a row that belongs to a store.

    Passing a parent that already exists (say `ShipmentFactory(order=order)`) puts the new row in the
    parent's store; passing `store=` puts the parent built for it there too. Either way parent and
    child share one store, as the tenancy rule requires.
    """

    # Keyword arguments whose object, when given and `store` is not, decides the store.
    _store_from: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy, params):
        if "store" not in params:
            for name in cls._store_from:
                parent = params.get(name)
                if parent is not None and hasattr(parent, "store_id"):
                    params = {**params, "store": parent.store}
                    break
        return super()._generate(strategy, params)


class UserFactory(factory.django.DjangoModelFactory):
    """A person who signs in by email; the username is that email, lower-cased. Password: "password"."""

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    username = factory.LazyAttribute(lambda o: o.email.strip().lower())
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("password")

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)


class StoreFactory(factory.django.DjangoModelFactory):
    slug = factory.Sequence(lambda n: f"store-{n}")
    name = factory.Sequence(lambda n: f"Harbour Goods {n}")
    website_url = factory.LazyAttribute(lambda o: f"https://{o.slug}.shop.example.com")
    primary_colour = "#1f2937"
    accent_colour = "#c2410c"
    background_colour = "#fafaf9"
    font_family = "Georgia, serif"
    sender_name = factory.SelfAttribute("name")
    sender_email = factory.LazyAttribute(lambda o: f"hello@{o.slug}.shop.example.com")
    reply_to_email = factory.LazyAttribute(lambda o: f"support@{o.slug}.shop.example.com")
    support_email = factory.SelfAttribute("reply_to_email")
    support_phone = "+39 02 0000 0000"
    support_url = factory.LazyAttribute(lambda o: f"{o.website_url}/help")
    postal_address = "Via Example 1\n20100 Milano MI\nItaly"
    social_links = factory.LazyAttribute(
        lambda o: {"instagram": f"https://instagram.com/{o.slug}", "facebook": f"https://facebook.com/{o.slug}"}
    )
    newsletter_url = factory.LazyAttribute(lambda o: f"{o.website_url}/newsletter")
    review_url = factory.LazyAttribute(lambda o: f"{o.website_url}/reviews")
    default_language = "en"
    languages = factory.LazyFunction(lambda: ["en", "it"])
    time_zone = "Europe/Rome"
    currency = "EUR"

    class Meta:
        model = Store


class MembershipFactory(factory.django.DjangoModelFactory):
    store = factory.SubFactory(StoreFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER

    class Meta:
        model = Membership

    class Params:
        owner = factory.Trait(role=Role.OWNER)
        manager = factory.Trait(role=Role.MANAGER)
        support = factory.Trait(role=Role.SUPPORT)
