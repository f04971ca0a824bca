"""What the carrier sources' own sub-status codes mean.

Every carrier event keeps the source's code beside the status it maps to (`TrackingEvent.source` and
`raw_status`): AfterShip's subtag (`InTransit_003`) or bare tag, EasyPost's `status:status_detail`, 17TRACK's
sub-status (`DeliveryFailure_NoBody`) or key stage, Shopify's shipment status. This table turns a documented
code into one of the meanings below; `apps.tracking.checkpoints` says each meaning in the buyer's language
(and the dashboard shows the same sentence to staff). A code nobody documented, or one that says nothing
more than "an update", has no meaning here: the carrier's own text is shown as it is.

Sources:
- AfterShip delivery sub-statuses: https://www.aftership.com/docs/tracking/enum/delivery-sub-statuses
  (tests/fixtures/aftership/aftership_delivery_statuses.json holds the first rows).
- EasyPost tracker `status` and `status_detail`: https://docs.easypost.com/docs/trackers
- 17TRACK v2.2 `sub_status` and `key_stage`: https://api.17track.net/en/doc?version=v2.2
- Shopify FulfillmentEventStatus: https://shopify.dev/docs/api/admin-graphql/latest/enums/FulfillmentEventStatus
"""

# --- Meanings -------------------------------------------------------------------------------------
# Before the carrier has the parcel
NO_INFORMATION_YET = "no_information_yet"
NUMBER_NOT_RECOGNISED = "number_not_recognised"
LABEL_CREATED = "label_created"
# On the road
IN_TRANSIT = "in_transit"
ACCEPTED = "accepted"
ARRIVED_AT_FACILITY = "arrived_at_facility"
DEPARTED_FACILITY = "departed_facility"
LEFT_ORIGIN_COUNTRY = "left_origin_country"
ARRIVED_IN_DESTINATION_COUNTRY = "arrived_in_destination_country"
ARRIVED_AT_DELIVERY_DEPOT = "arrived_at_delivery_depot"
CUSTOMS_STARTED = "customs_started"
CUSTOMS_CLEARED = "customs_cleared"
CUSTOMS_NEEDS_INFORMATION = "customs_needs_information"
PROBLEM_RESOLVED = "problem_resolved"
FORWARDED = "forwarded"
HANDED_TO_LOCAL_CARRIER = "handed_to_local_carrier"
ADDRESS_CORRECTED = "address_corrected"
# The last mile
OUT_FOR_DELIVERY = "out_for_delivery"
CUSTOMER_CONTACTED = "customer_contacted"
APPOINTMENT_SCHEDULED = "appointment_scheduled"
READY_FOR_PICKUP = "ready_for_pickup"
# A delivery that did not happen
ATTEMPT_FAILED = "attempt_failed"
NOBODY_AVAILABLE = "nobody_available"
BUSINESS_CLOSED = "business_closed"
SECURITY_ISSUE = "security_issue"
REFUSED = "refused"
ADDRESS_PROBLEM = "address_problem"
# Delivered
DELIVERED = "delivered"
COLLECTED = "collected"
SIGNED_FOR = "signed_for"
PAID_ON_DELIVERY = "paid_on_delivery"
LEFT_WITH_NEIGHBOUR = "left_with_neighbour"
# Problems
EXCEPTION = "exception"
RECIPIENT_MOVED = "recipient_moved"
CUSTOMS_DELAY = "customs_delay"
DELAYED = "delayed"
WEATHER_DELAY = "weather_delay"
HELD_FOR_PAYMENT = "held_for_payment"
HELD = "held"
NOT_COLLECTED = "not_collected"
REJECTED_BY_CARRIER = "rejected_by_carrier"
MISSORTED = "missorted"
DAMAGED = "damaged"
LOST = "lost"
DESTROYED = "destroyed"
CANCELLED = "cancelled"
RETURNING = "returning"
RETURNED = "returned"
TRACKING_EXPIRED = "tracking_expired"

MEANINGS = tuple(value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str))

# --- AfterShip: `subtag`, or the bare `tag` when a checkpoint has no subtag ---------------------------
AFTERSHIP_SUBTAGS: dict[str, str] = {
    "Pending_001": NO_INFORMATION_YET,
    "InfoReceived_001": LABEL_CREATED,
    "InTransit_001": IN_TRANSIT,
    "InTransit_002": ACCEPTED,
    "InTransit_003": ARRIVED_AT_FACILITY,
    "InTransit_004": ARRIVED_IN_DESTINATION_COUNTRY,
    "InTransit_005": CUSTOMS_CLEARED,
    "InTransit_006": CUSTOMS_STARTED,
    "InTransit_007": DEPARTED_FACILITY,
    "InTransit_008": PROBLEM_RESOLVED,
    "InTransit_009": FORWARDED,
    "OutForDelivery_001": OUT_FOR_DELIVERY,
    "OutForDelivery_003": CUSTOMER_CONTACTED,
    "OutForDelivery_004": APPOINTMENT_SCHEDULED,
    "AvailableForPickup_001": READY_FOR_PICKUP,
    "AttemptFail_001": ATTEMPT_FAILED,
    "AttemptFail_002": NOBODY_AVAILABLE,
    "AttemptFail_003": BUSINESS_CLOSED,
    "Delivered_001": DELIVERED,
    "Delivered_002": COLLECTED,
    "Delivered_003": SIGNED_FOR,
    "Delivered_004": PAID_ON_DELIVERY,
    "Delivered_005": LEFT_WITH_NEIGHBOUR,
    "Exception_001": EXCEPTION,
    "Exception_002": RECIPIENT_MOVED,
    "Exception_003": REFUSED,
    "Exception_004": CUSTOMS_DELAY,
    "Exception_005": DELAYED,
    "Exception_006": HELD_FOR_PAYMENT,
    "Exception_007": ADDRESS_PROBLEM,
    "Exception_008": NOT_COLLECTED,
    "Exception_009": REJECTED_BY_CARRIER,
    "Exception_010": RETURNING,
    "Exception_011": RETURNED,
    "Exception_012": DAMAGED,
    "Exception_013": LOST,
    "Expired_001": TRACKING_EXPIRED,
}
AFTERSHIP_TAGS: dict[str, str] = {
    "Pending": NO_INFORMATION_YET,
    "InfoReceived": LABEL_CREATED,
    "InTransit": IN_TRANSIT,
    "OutForDelivery": OUT_FOR_DELIVERY,
    "AvailableForPickup": READY_FOR_PICKUP,
    "AttemptFail": ATTEMPT_FAILED,
    "Delivered": DELIVERED,
    "Exception": EXCEPTION,
    "Expired": TRACKING_EXPIRED,
}

# --- EasyPost: `status:status_detail` (either alone when the other is missing) -----------------------
EASYPOST_DETAILS: dict[str, str] = {
    "label_created": LABEL_CREATED,
    "in_transit": IN_TRANSIT,
    "received_at_origin_facility": ACCEPTED,
    "arrived_at_facility": ARRIVED_AT_FACILITY,
    "departed_facility": DEPARTED_FACILITY,
    "departed_origin_facility": DEPARTED_FACILITY,
    "arrived_at_destination": ARRIVED_AT_DELIVERY_DEPOT,
    "received_at_destination_facility": ARRIVED_AT_DELIVERY_DEPOT,
    "transferred_to_destination_carrier": HANDED_TO_LOCAL_CARRIER,
    "address_correction": ADDRESS_CORRECTED,
    "out_for_delivery": OUT_FOR_DELIVERY,
    "arrived_at_pickup_location": READY_FOR_PICKUP,
    "delivery_exception": ATTEMPT_FAILED,
    "refused": REFUSED,
    "delayed": DELAYED,
    "weather_delay": WEATHER_DELAY,
    "held": HELD,
    "missorted": MISSORTED,
    "transit_exception": EXCEPTION,
    "damaged": DAMAGED,
    "lost": LOST,
    "cancelled": CANCELLED,
    "return": RETURNING,
    "expired": TRACKING_EXPIRED,
}
# The tracker's status, for an event whose detail is missing or says nothing more ("unknown", "status_update").
EASYPOST_STATUSES: dict[str, str] = {
    "pre_transit": LABEL_CREATED,
    "in_transit": IN_TRANSIT,
    "out_for_delivery": OUT_FOR_DELIVERY,
    "available_for_pickup": READY_FOR_PICKUP,
    "delivered": DELIVERED,
    "return_to_sender": RETURNING,
    "failure": EXCEPTION,
    "cancelled": CANCELLED,
}
EASYPOST_SAYS_NOTHING_MORE = {"", "unknown", "status_update"}

# --- 17TRACK: `sub_status`, else the event's key `stage` ----------------------------------------------
SEVENTEENTRACK_CODES: dict[str, str] = {
    "NotFound_Other": NO_INFORMATION_YET,
    "NotFound_InvalidCode": NUMBER_NOT_RECOGNISED,
    "InfoReceived": LABEL_CREATED,
    "InTransit_PickedUp": ACCEPTED,
    "InTransit_Other": IN_TRANSIT,
    "InTransit_Departure": LEFT_ORIGIN_COUNTRY,
    "InTransit_Arrival": ARRIVED_IN_DESTINATION_COUNTRY,
    "InTransit_CustomsProcessing": CUSTOMS_STARTED,
    "InTransit_CustomsReleased": CUSTOMS_CLEARED,
    "InTransit_CustomsRequiringInformation": CUSTOMS_NEEDS_INFORMATION,
    "Expired_Other": TRACKING_EXPIRED,
    "AvailableForPickup_Other": READY_FOR_PICKUP,
    "OutForDelivery_Other": OUT_FOR_DELIVERY,
    "DeliveryFailure_Other": ATTEMPT_FAILED,
    "DeliveryFailure_NoBody": NOBODY_AVAILABLE,
    "DeliveryFailure_Security": SECURITY_ISSUE,
    "DeliveryFailure_Rejected": REFUSED,
    "DeliveryFailure_InvalidAddress": ADDRESS_PROBLEM,
    "Delivered_Other": DELIVERED,
    "Exception_Other": EXCEPTION,
    "Exception_Returning": RETURNING,
    "Exception_Returned": RETURNED,
    "Exception_NoBody": NOBODY_AVAILABLE,
    "Exception_Security": SECURITY_ISSUE,
    "Exception_Damage": DAMAGED,
    "Exception_Rejected": REFUSED,
    "Exception_Delayed": DELAYED,
    "Exception_Lost": LOST,
    "Exception_Destroyed": DESTROYED,
    "Exception_Cancel": CANCELLED,
    # key stages (milestones), on events that carry no sub-status
    "PickedUp": ACCEPTED,
    "Departure": LEFT_ORIGIN_COUNTRY,
    "Arrival": ARRIVED_IN_DESTINATION_COUNTRY,
    "AvailableForPickup": READY_FOR_PICKUP,
    "OutForDelivery": OUT_FOR_DELIVERY,
    "Delivered": DELIVERED,
    "Returning": RETURNING,
    "Returned": RETURNED,
}

# --- Shopify: the fulfillment's shipment status (compared lower-case) ---------------------------------
SHOPIFY_STATUSES: dict[str, str] = {
    "label_printed": LABEL_CREATED,
    "label_purchased": LABEL_CREATED,
    "confirmed": LABEL_CREATED,
    "carrier_picked_up": ACCEPTED,
    "in_transit": IN_TRANSIT,
    "delayed": DELAYED,
    "out_for_delivery": OUT_FOR_DELIVERY,
    "attempted_delivery": ATTEMPT_FAILED,
    "ready_for_pickup": READY_FOR_PICKUP,
    "picked_up": COLLECTED,
    "delivered": DELIVERED,
    "failure": EXCEPTION,
}


def _aftership(code: str) -> str:
    return AFTERSHIP_SUBTAGS.get(code) or ("" if "_" in code else AFTERSHIP_TAGS.get(code, ""))


def _easypost(code: str) -> str:
    status, _sep, detail = code.lower().partition(":") if ":" in code else ("", "", code.lower())
    if detail not in EASYPOST_SAYS_NOTHING_MORE:
        # A detail alone (no status before it) may also be a bare status: "in_transit", "delivered".
        return EASYPOST_DETAILS.get(detail) or ("" if status else EASYPOST_STATUSES.get(detail, ""))
    return EASYPOST_STATUSES.get(status, "")


def _seventeentrack(code: str) -> str:
    return SEVENTEENTRACK_CODES.get(code, "")


def _shopify(code: str) -> str:
    return SHOPIFY_STATUSES.get(code.lower(), "")


READERS = {"aftership": _aftership, "easypost": _easypost, "17track": _seventeentrack, "shopify": _shopify}


def meaning(source: str, code: str) -> str:
    """The meaning of a source's code (one of MEANINGS), or "" when it is not documented or says nothing more.

    An unknown AfterShip subtag (AfterShip adds new ones) has no meaning, even though its tag has one:
    the carrier's text says more than the tag would.
    """
    reader = READERS.get((source or "").strip().lower())
    code = (code or "").strip()
    return reader(code) if reader and code else ""
