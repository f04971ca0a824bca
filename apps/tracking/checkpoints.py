"""A carrier checkpoint in people's words: the sentence for what its code means (apps.shipments.substatus),
in the active language. Buyer pages show it with the carrier's own text one tap away; the dashboard shows
it to staff beside the raw code. A code whose meaning is unknown gets no sentence: the carrier's text is
shown as it is, in whatever language the carrier wrote it."""

from django.utils.translation import pgettext_lazy

from apps.shipments import substatus as M

SENTENCES = {
    M.NO_INFORMATION_YET: pgettext_lazy("carrier checkpoint", "The carrier has no information about the parcel yet."),
    M.NUMBER_NOT_RECOGNISED: pgettext_lazy(
        "carrier checkpoint", "The carrier does not recognise the tracking number yet."
    ),
    M.LABEL_CREATED: pgettext_lazy(
        "carrier checkpoint", "The shipping label was created; the carrier will collect the parcel soon."
    ),
    M.IN_TRANSIT: pgettext_lazy("carrier checkpoint", "The parcel is on its way."),
    M.ACCEPTED: pgettext_lazy("carrier checkpoint", "The carrier has picked up the parcel."),
    M.ARRIVED_AT_FACILITY: pgettext_lazy("carrier checkpoint", "The parcel arrived at a sorting centre."),
    M.DEPARTED_FACILITY: pgettext_lazy("carrier checkpoint", "The parcel left a sorting centre."),
    M.LEFT_ORIGIN_COUNTRY: pgettext_lazy("carrier checkpoint", "The parcel has left the country it was sent from."),
    M.ARRIVED_IN_DESTINATION_COUNTRY: pgettext_lazy(
        "carrier checkpoint", "The parcel has arrived in the destination country."
    ),
    M.ARRIVED_AT_DELIVERY_DEPOT: pgettext_lazy("carrier checkpoint", "The parcel arrived at the delivery depot."),
    M.CUSTOMS_STARTED: pgettext_lazy("carrier checkpoint", "The parcel was handed to customs for clearance."),
    M.CUSTOMS_CLEARED: pgettext_lazy("carrier checkpoint", "The parcel has cleared customs."),
    M.CUSTOMS_NEEDS_INFORMATION: pgettext_lazy(
        "carrier checkpoint", "Customs need more information before they release the parcel."
    ),
    M.PROBLEM_RESOLVED: pgettext_lazy(
        "carrier checkpoint", "The earlier problem is resolved and the parcel is moving again."
    ),
    M.FORWARDED: pgettext_lazy("carrier checkpoint", "The parcel is being forwarded to a different address."),
    M.HANDED_TO_LOCAL_CARRIER: pgettext_lazy(
        "carrier checkpoint", "The parcel was handed to the local carrier for delivery."
    ),
    M.ADDRESS_CORRECTED: pgettext_lazy("carrier checkpoint", "The carrier corrected the delivery address."),
    M.OUT_FOR_DELIVERY: pgettext_lazy("carrier checkpoint", "The parcel is out for delivery."),
    M.CUSTOMER_CONTACTED: pgettext_lazy(
        "carrier checkpoint", "The carrier is contacting the recipient before delivery."
    ),
    M.APPOINTMENT_SCHEDULED: pgettext_lazy("carrier checkpoint", "A delivery appointment has been scheduled."),
    M.READY_FOR_PICKUP: pgettext_lazy("carrier checkpoint", "The parcel is waiting at a pickup point."),
    M.ATTEMPT_FAILED: pgettext_lazy("carrier checkpoint", "The courier tried to deliver the parcel but could not."),
    M.NOBODY_AVAILABLE: pgettext_lazy("carrier checkpoint", "Nobody was available to receive the parcel."),
    M.BUSINESS_CLOSED: pgettext_lazy("carrier checkpoint", "The business at the delivery address was closed."),
    M.SECURITY_ISSUE: pgettext_lazy("carrier checkpoint", "The parcel could not be delivered for security reasons."),
    M.REFUSED: pgettext_lazy("carrier checkpoint", "Delivery of the parcel was refused."),
    M.ADDRESS_PROBLEM: pgettext_lazy("carrier checkpoint", "The delivery address is incorrect or incomplete."),
    M.DELIVERED: pgettext_lazy("carrier checkpoint", "The parcel was delivered."),
    M.COLLECTED: pgettext_lazy("carrier checkpoint", "The parcel was collected from the pickup point."),
    M.SIGNED_FOR: pgettext_lazy("carrier checkpoint", "The parcel was delivered and signed for."),
    M.PAID_ON_DELIVERY: pgettext_lazy("carrier checkpoint", "The parcel was delivered and paid for on delivery."),
    M.LEFT_WITH_NEIGHBOUR: pgettext_lazy("carrier checkpoint", "The parcel was left with a neighbour."),
    M.EXCEPTION: pgettext_lazy("carrier checkpoint", "The carrier reported a problem with the delivery."),
    M.RECIPIENT_MOVED: pgettext_lazy(
        "carrier checkpoint", "The parcel could not be delivered because the recipient has moved."
    ),
    M.CUSTOMS_DELAY: pgettext_lazy("carrier checkpoint", "The parcel is held up in customs."),
    M.DELAYED: pgettext_lazy("carrier checkpoint", "The parcel is delayed."),
    M.WEATHER_DELAY: pgettext_lazy("carrier checkpoint", "The parcel is delayed by bad weather."),
    M.HELD_FOR_PAYMENT: pgettext_lazy("carrier checkpoint", "The parcel is held until a payment is made."),
    M.HELD: pgettext_lazy("carrier checkpoint", "The carrier is holding the parcel."),
    M.NOT_COLLECTED: pgettext_lazy("carrier checkpoint", "The parcel was not collected from the pickup point in time."),
    M.REJECTED_BY_CARRIER: pgettext_lazy("carrier checkpoint", "The carrier did not accept the parcel."),
    M.MISSORTED: pgettext_lazy(
        "carrier checkpoint", "The parcel was sent to the wrong sorting centre and is being redirected."
    ),
    M.DAMAGED: pgettext_lazy("carrier checkpoint", "The parcel was damaged on the way."),
    M.LOST: pgettext_lazy("carrier checkpoint", "The carrier reports the parcel as lost."),
    M.DESTROYED: pgettext_lazy("carrier checkpoint", "The carrier reports the parcel as destroyed."),
    M.CANCELLED: pgettext_lazy("carrier checkpoint", "The shipment was cancelled."),
    M.RETURNING: pgettext_lazy("carrier checkpoint", "The parcel is on its way back to the sender."),
    M.RETURNED: pgettext_lazy("carrier checkpoint", "The parcel was returned to the sender."),
    M.TRACKING_EXPIRED: pgettext_lazy(
        "carrier checkpoint", "The carrier has had no news of the parcel for a long time."
    ),
}


def checkpoint_sentence(event) -> str:
    """What a carrier event's code means, in the active language; "" when the meaning is unknown."""
    meaning = M.meaning(getattr(event, "source", ""), getattr(event, "raw_status", ""))
    sentence = SENTENCES.get(meaning)
    return str(sentence) if sentence is not None else ""
