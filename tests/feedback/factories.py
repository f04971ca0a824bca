import factory

from apps.feedback.models import NpsResponse
from tests.orders.factories import OrderFactory
from tests.stores.factories import StoreFactory, TenantFactory


class NpsResponseFactory(TenantFactory):
    _store_from = ("order",)

    store = factory.SubFactory(StoreFactory)
    order = factory.SubFactory(OrderFactory, store=factory.SelfAttribute("..store"))
    customer = factory.SelfAttribute("order.customer")
    score = 9

    class Meta:
        model = NpsResponse

    class Params:
        detractor = factory.Trait(score=3)
        passive = factory.Trait(score=7)
