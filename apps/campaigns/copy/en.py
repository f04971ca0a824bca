LABELS = {
    "track": "Track your order",
    "expected": "Expected delivery:",
    "your_order": "Your order",
    "total": "Total",
    "back_to_cart": "Return to your cart",
    "valid_until": "Valid until",
    "nps_question": "How likely are you to recommend us to a friend?",
    "nps_low": "not at all likely",
    "nps_high": "extremely likely",
    "recommended": "You might also like",
    "questions": "Questions? Just reply or write to",
    "preferences": "Email preferences",
    "unsubscribe": "Unsubscribe",
    "percent_off": "{value}% off your next order",
    "amount_off": "{value} off your next order",
    "free_shipping": "Free shipping on your next order",
    "subtotal": "Subtotal",
    "discount": "Discount",
    "shipping": "Shipping",
    "tax": "Tax",
    "review": "Write a review",
    "view": "View",
    "shop": "Shop now",
    "cart_reason_question": "What stopped you from ordering?",
    "reason_price": "The price",
    "reason_shipping_cost": "The shipping cost",
    "reason_delivery_time": "The delivery time",
    "reason_payment": "Paying did not work out",
    "reason_just_looking": "I was just looking",
    "reason_other": "Something else",
}

STEPS = {
    ("order_confirmation", "confirmation"): (
        "Thank you for your order {{ order.number }}",
        "We have received it and are getting it ready.",
        "<h1>Thank you{% if customer.first_name %}, {{ customer.first_name }}{% endif %}!</h1>"
        "<p>We have received your order {{ order.number }} and our team is preparing it with care. "
        "You will get another email as soon as it is on its way.</p>"
        "<p>You can follow it at any time on your tracking page.</p>",
    ),
    ("shipment_confirmation", "shipped"): (
        "Your order {{ order.number }} is on its way",
        "{{ shipment.carrier }} is bringing it to you.",
        "<h1>Good news{% if customer.first_name %}, {{ customer.first_name }}{% endif %}!</h1>"
        "<p>Your order {{ order.number }} has left us and is travelling with {{ shipment.carrier }}."
        "{% if shipment.estimated_delivery %} It should arrive by {{ shipment.estimated_delivery }}.{% endif %}</p>"
        "<p>Follow every step of the journey on your tracking page.</p>",
    ),
    ("shipment_update", "out-for-delivery"): (
        "Arriving today: order {{ order.number }}",
        "Your parcel is out for delivery.",
        "<h1>It's nearly there!</h1><p>Your parcel with order {{ order.number }} is out for delivery today. "
        "Keep an eye on the door.</p>",
    ),
    ("shipment_update", "delivered"): (
        "Delivered: order {{ order.number }}",
        "Your parcel has arrived.",
        "<h1>Your order has arrived</h1><p>{{ shipment.carrier }} tells us your parcel was delivered. "
        "We hope you love it. If anything is not right, just reply to this email.</p>",
    ),
    ("shipment_update", "attempt-failed"): (
        "We missed you: order {{ order.number }}",
        "The carrier could not deliver your parcel.",
        "<h1>The courier missed you</h1><p>{{ shipment.carrier }} tried to deliver order {{ order.number }} but "
        "could not. Your tracking page shows what happens next and how to rearrange delivery.</p>",
    ),
    ("shipment_update", "available-for-pickup"): (
        "Ready for pickup: order {{ order.number }}",
        "Your parcel is waiting for you.",
        "<h1>Your parcel is waiting for you</h1><p>Order {{ order.number }} is ready to collect. "
        "Your tracking page has the address and opening hours.</p>",
    ),
    ("shipment_update", "exception"): (
        "An update on order {{ order.number }}",
        "We are looking into it.",
        "<h1>Your parcel has been held up</h1><p>{{ shipment.carrier }} reported a problem with order "
        "{{ order.number }}. We are on it and will keep you posted. Sorry for the wait.</p>",
    ),
    ("delivered_followup", "how-is-it"): (
        "How are you getting on with your order?",
        "We are here if you need anything, and thank you.",
        "<h1>Enjoying your order{% if customer.first_name %}, {{ customer.first_name }}{% endif %}?</h1>"
        "<p>It has been a few days since your parcel arrived. If you have any questions about your products, "
        "our team is one reply away.</p>",
    ),
    ("nps_survey", "survey"): (
        "One quick question about order {{ order.number }}",
        "It takes a few seconds.",
        "<h1>How did we do?</h1><p>Your opinion helps us get better. Pick a number below, then press Send.</p>",
    ),
    ("nps_survey", "reminder"): (
        "Still a moment for one quick question?",
        "Tell us how we did with order {{ order.number }}.",
        "<p>We would really value your opinion on order {{ order.number }}. Pick a number below, then press Send.</p>",
    ),
    ("abandoned_cart", "reminder-1h"): (
        "You left something in your cart",
        "Your items are saved for you.",
        "<h1>Still thinking it over?</h1><p>We saved your cart so you can pick up right where you left off.</p>",
    ),
    ("abandoned_cart", "help-24h"): (
        "Any questions before you order?",
        "Easy returns, tracked delivery and real people to help.",
        "<h1>Can we help?</h1><p>If something held you back, we are here: returns are easy, shipping is tracked "
        "all the way, and our team answers every message.</p>"
        "{% if store.support_email %}<p>Just reply to this email or write to {{ store.support_email }}.</p>{% endif %}",
    ),
    ("abandoned_cart", "coupon-72h"): (
        "A little something to complete your order",
        "Your code expires soon.",
        "<h1>A little gift, just for you</h1><p>Use the code below to complete your order. "
        "It is yours alone and expires soon.</p>",
    ),
    ("replenishment", "running-low"): (
        "Running low on {{ product.name }}?",
        "Reorder in a click before you run out.",
        "<h1>Time for a top-up?</h1><p>By our count your {{ product.name }} should be running low soon. "
        "Reorder now and it will arrive before you run out.</p>"
        '<p><a href="{{ product.url }}">Reorder {{ product.name }}</a></p>',
    ),
    ("win_back", "offer"): (
        "We miss you{% if customer.first_name %}, {{ customer.first_name }}{% endif %}",
        "Here is something to welcome you back.",
        "<h1>It has been a while</h1><p>We would love to see you again, so here is a welcome-back gift "
        "for your next order.</p>",
    ),
    ("win_back", "offer-vip"): (
        "A thank-you, just for you{% if customer.first_name %}, {{ customer.first_name }}{% endif %}",
        "You are one of our very best customers.",
        "<h1>You are one of our favourite people</h1><p>You have been with us through many orders, and we have "
        "missed you lately. As a thank-you, here is a gift we keep for our best customers.</p>",
    ),
    ("win_back", "offer-one-time"): (
        "Ready for a second order?",
        "A welcome-back gift for your next order.",
        "<h1>Glad you tried us</h1><p>We hope your first order made you smile. If you would like to try "
        "something else from us, here is a gift to make your second order a little sweeter.</p>",
    ),
    ("win_back", "values"): (
        "What we have been up to",
        "New arrivals, and what we care about.",
        "<h1>A lot has happened since your last visit</h1><p>New products, the same care in every order, and "
        "a team that reads every message. Have a look at what is new.</p>",
    ),
    ("win_back", "farewell"): (
        "Should we stop writing?",
        "We will only keep emailing if you want us to.",
        "<h1>Is this goodbye?</h1><p>We have not heard from you in a while, so we will stop sending you offers. "
        "If you would like to keep hearing from us, simply visit your email preferences.</p>",
    ),
    ("delivery_apology", "apology"): (
        "Sorry, order {{ order.number }} is taking longer",
        "We are keeping an eye on it for you.",
        "<h1>We are sorry for the delay</h1><p>Your parcel has not moved as quickly as it should. We are in touch "
        "with {{ shipment.carrier }} and will let you know as soon as it is back on track.</p>",
    ),
}

# The words of each default email's blocks (the layout, the same in every language: campaigns.design.defaults).
# `heading` and `text` (rich HTML with variables, never template tags); `button` when the email's call to
# action says something of its own (otherwise the layout names a LABELS key).
DESIGNS = {
    ("order_confirmation", "confirmation"): {
        "heading": "Thank you!",
        "text": "<p>We have received your order {{ order.number }} and our team is preparing it with care. "
        "You will get another email as soon as it is on its way.</p>"
        "<p>You can follow it at any time on your tracking page.</p>",
    },
    ("shipment_confirmation", "shipped"): {
        "heading": "Good news!",
        "text": "<p>Your order {{ order.number }} has left us and is travelling with {{ shipment.carrier }}.</p>"
        "<p>Follow every step of the journey on your tracking page.</p>",
    },
    ("shipment_update", "out-for-delivery"): {
        "heading": "It's nearly there!",
        "text": "<p>Your parcel with order {{ order.number }} is out for delivery today. Keep an eye on the door.</p>",
    },
    ("shipment_update", "delivered"): {
        "heading": "Your order has arrived",
        "text": "<p>{{ shipment.carrier }} tells us your parcel was delivered. "
        "We hope you love it. If anything is not right, just reply to this email.</p>",
    },
    ("shipment_update", "attempt-failed"): {
        "heading": "The courier missed you",
        "text": "<p>{{ shipment.carrier }} tried to deliver order {{ order.number }} but could not. "
        "Your tracking page shows what happens next and how to rearrange delivery.</p>",
    },
    ("shipment_update", "available-for-pickup"): {
        "heading": "Your parcel is waiting for you",
        "text": "<p>Order {{ order.number }} is ready to collect. "
        "Your tracking page has the address and opening hours.</p>",
    },
    ("shipment_update", "exception"): {
        "heading": "Your parcel has been held up",
        "text": "<p>{{ shipment.carrier }} reported a problem with order {{ order.number }}. "
        "We are on it and will keep you posted. Sorry for the wait.</p>",
    },
    ("delivered_followup", "how-is-it"): {
        "heading": "Enjoying your order?",
        "text": "<p>It has been a few days since your parcel arrived. If you have any questions about your products, "
        "our team is one reply away.</p>",
    },
    ("nps_survey", "survey"): {
        "heading": "How did we do?",
        "text": "<p>Your opinion helps us get better. Pick a number below, then press Send.</p>",
    },
    ("nps_survey", "reminder"): {
        "heading": "Still a moment for one quick question?",
        "text": "<p>We would really value your opinion on order {{ order.number }}. "
        "Pick a number below, then press Send.</p>",
    },
    ("abandoned_cart", "reminder-1h"): {
        "heading": "Still thinking it over?",
        "text": "<p>We saved your cart so you can pick up right where you left off.</p>",
    },
    ("abandoned_cart", "help-24h"): {
        "heading": "Can we help?",
        "text": "<p>If something held you back, we are here: returns are easy, shipping is tracked all the way, "
        "and our team answers every message.</p>",
    },
    ("abandoned_cart", "coupon-72h"): {
        "heading": "A little gift, just for you",
        "text": "<p>Use the code below to complete your order. It is yours alone and expires soon.</p>",
    },
    ("replenishment", "running-low"): {
        "heading": "Time for a top-up?",
        "text": "<p>By our count your {{ product.name }} should be running low soon. "
        "Reorder now and it will arrive before you run out.</p>",
        "button": "Reorder",
    },
    ("win_back", "offer"): {
        "heading": "It has been a while",
        "text": "<p>We would love to see you again, so here is a welcome-back gift for your next order.</p>",
    },
    ("win_back", "offer-vip"): {
        "heading": "You are one of our favourite people",
        "text": "<p>You have been with us through many orders, and we have missed you lately. "
        "As a thank-you, here is a gift we keep for our best customers.</p>",
    },
    ("win_back", "offer-one-time"): {
        "heading": "Glad you tried us",
        "text": "<p>We hope your first order made you smile. If you would like to try something else from us, "
        "here is a gift to make your second order a little sweeter.</p>",
    },
    ("win_back", "values"): {
        "heading": "A lot has happened since your last visit",
        "text": "<p>New products, the same care in every order, and a team that reads every message. "
        "Have a look at what is new.</p>",
        "button": "Visit the store",
    },
    ("win_back", "farewell"): {
        "heading": "Is this goodbye?",
        "text": "<p>We have not heard from you in a while, so we will stop sending you offers. "
        "If you would like to keep hearing from us, simply visit your email preferences.</p>",
        "button": "Visit the store",
    },
    ("delivery_apology", "apology"): {
        "heading": "We are sorry for the delay",
        "text": "<p>Your parcel has not moved as quickly as it should. We are in touch with {{ shipment.carrier }} "
        "and will let you know as soon as it is back on track.</p>",
    },
}
