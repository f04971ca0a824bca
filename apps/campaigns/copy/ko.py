LABELS = {
    "track": "배송 조회하기",
    "expected": "도착 예정일:",
    "your_order": "주문 내역",
    "total": "합계",
    "back_to_cart": "장바구니로 돌아가기",
    "valid_until": "사용 기한:",
    "nps_question": "친구나 지인에게 저희를 추천하실 의향이 얼마나 있으신가요?",
    "nps_low": "전혀 추천하지 않음",
    "nps_high": "적극 추천함",
    "recommended": "이런 상품은 어떠세요?",
    "questions": "궁금한 점이 있으신가요? 이 메일에 답장하시거나 다음 주소로 문의해 주세요:",
    "preferences": "이메일 수신 설정",
    "unsubscribe": "수신 거부",
    "percent_off": "다음 주문 {value}% 할인",
    "amount_off": "다음 주문 {value} 할인",
    "free_shipping": "다음 주문 무료 배송",
    "subtotal": "상품 금액",
    "discount": "할인",
    "shipping": "배송비",
    "tax": "부가세",
    "review": "리뷰 쓰기",
    "view": "자세히 보기",
    "shop": "지금 쇼핑하기",
    "cart_reason_question": "주문을 망설이신 이유가 무엇인가요?",
    "reason_price": "가격",
    "reason_shipping_cost": "배송비",
    "reason_delivery_time": "배송 기간",
    "reason_payment": "결제가 잘 안 됐어요",
    "reason_just_looking": "구경만 하고 있었어요",
    "reason_other": "기타",
}

STEPS = {
    ("order_confirmation", "confirmation"): (
        "주문해 주셔서 감사해요 (주문번호 {{ order.number }})",
        "주문이 접수되어 상품을 준비하고 있어요.",
        "<h1>{% if customer.first_name %}{{ customer.first_name }}님, {% endif %}감사해요!</h1>"
        "<p>주문(주문번호 {{ order.number }})이 접수되었어요. "
        "저희 팀이 정성껏 준비하고 있으니 조금만 기다려 주세요. "
        "상품이 출발하면 다시 메일로 알려 드릴게요.</p>"
        "<p>배송 조회 페이지에서 언제든지 진행 상황을 확인하실 수 있어요.</p>",
    ),
    ("shipment_confirmation", "shipped"): (
        "주문하신 상품이 출발했어요 (주문번호 {{ order.number }})",
        "{{ shipment.carrier }}에서 고객님께 안전하게 배송하고 있어요.",
        "<h1>{% if customer.first_name %}{{ customer.first_name }}님, {% endif %}반가운 소식이에요!</h1>"
        "<p>주문번호 {{ order.number }} 상품이 출고되어 지금 {{ shipment.carrier }}에서 배송 중이에요."
        "{% if shipment.estimated_delivery %} {{ shipment.estimated_delivery }}까지 "
        "도착할 예정이에요.{% endif %}</p>"
        "<p>배송 조회 페이지에서 모든 배송 과정을 확인해 보세요.</p>",
    ),
    ("shipment_update", "out-for-delivery"): (
        "오늘 도착 예정: 주문번호 {{ order.number }}",
        "상품이 배송 출발했어요.",
        "<h1>거의 다 왔어요!</h1><p>주문번호 {{ order.number }} 상품이 오늘 도착할 예정이에요. "
        "도착 알림이 오면 문 앞을 확인해 주세요.</p>",
    ),
    ("shipment_update", "delivered"): (
        "배송 완료: 주문번호 {{ order.number }}",
        "주문하신 상품이 도착했어요.",
        "<h1>주문하신 상품이 도착했어요</h1><p>{{ shipment.carrier }}에서 배송 완료를 알려 왔어요. "
        "마음에 드셨으면 좋겠어요. 혹시 문제가 있다면 이 메일에 바로 답장해 주세요.</p>",
    ),
    ("shipment_update", "attempt-failed"): (
        "배송을 완료하지 못했어요: 주문번호 {{ order.number }}",
        "택배사에서 상품을 전달하지 못했어요.",
        "<h1>배송 기사님이 고객님을 만나지 못했어요</h1>"
        "<p>{{ shipment.carrier }}에서 주문번호 {{ order.number }} 상품을 배송하려 했지만 "
        "전달하지 못했어요. 배송 조회 페이지에서 다음 진행 상황과 재배송 요청 방법을 확인해 주세요.</p>",
    ),
    ("shipment_update", "available-for-pickup"): (
        "수령 준비 완료: 주문번호 {{ order.number }}",
        "상품이 고객님을 기다리고 있어요.",
        "<h1>상품이 고객님을 기다리고 있어요</h1><p>주문번호 {{ order.number }} 상품을 지금 찾아가실 수 있어요. "
        "수령 장소 주소와 운영 시간은 배송 조회 페이지에서 확인해 주세요.</p>",
    ),
    ("shipment_update", "exception"): (
        "주문번호 {{ order.number }} 배송 관련 안내",
        "지금 바로 확인하고 있어요.",
        "<h1>배송에 문제가 생겼어요</h1>"
        "<p>{{ shipment.carrier }}에서 주문번호 {{ order.number }} 배송에 문제가 있다고 알려 왔어요. "
        "저희가 바로 확인하고 있으니 진행 상황은 계속 알려 드릴게요. 기다리게 해 드려 죄송해요.</p>",
    ),
    ("delivered_followup", "how-is-it"): (
        "주문하신 상품은 잘 사용하고 계신가요?",
        "궁금한 점은 언제든 물어보세요. 늘 감사해요!",
        "<h1>{% if customer.first_name %}{{ customer.first_name }}님, {% endif %}상품은 마음에 드시나요?</h1>"
        "<p>상품을 받아 보신 지 며칠이 지났네요. 상품에 대해 궁금한 점이 있으시면 "
        "이 메일에 답장만 해 주세요. 저희 팀이 바로 도와드릴게요.</p>",
    ),
    ("nps_survey", "survey"): (
        "주문번호 {{ order.number }} 주문에 대해 하나만 여쭤볼게요",
        "몇 초면 끝나요.",
        "<h1>저희 서비스는 어떠셨나요?</h1><p>고객님의 의견은 저희가 더 나아지는 데 큰 힘이 돼요. "
        "아래에서 점수를 하나 고른 뒤 보내기를 눌러 주세요.</p>",
    ),
    ("nps_survey", "reminder"): (
        "잠깐, 질문 하나만 드려도 될까요?",
        "주문(주문번호 {{ order.number }})은 어떠셨는지 들려주세요.",
        "<p>주문(주문번호 {{ order.number }})에 대한 고객님의 의견을 꼭 듣고 싶어요. "
        "아래에서 점수를 고른 뒤 보내기를 눌러 주세요.</p>",
    ),
    ("abandoned_cart", "reminder-1h"): (
        "장바구니에 담아 두신 상품이 있어요",
        "담아 두신 상품은 그대로 저장되어 있어요.",
        "<h1>아직 고민 중이신가요?</h1><p>장바구니를 그대로 저장해 두었어요. "
        "보시던 곳에서 바로 이어서 주문하실 수 있어요.</p>",
    ),
    ("abandoned_cart", "help-24h"): (
        "주문 전에 궁금한 점이 있으신가요?",
        "간편한 반품, 끝까지 확인할 수 있는 배송, 직접 답해 드리는 상담팀.",
        "<h1>도움이 필요하신가요?</h1><p>주문을 망설이게 한 부분이 있다면 언제든 말씀해 주세요. "
        "반품은 간편하고, 배송은 처음부터 끝까지 조회할 수 있으며, "
        "저희 팀이 모든 문의에 직접 답해 드려요.</p>"
        "{% if store.support_email %}<p>이 메일에 답장하시거나 이메일({{ store.support_email }})로 "
        "문의해 주세요.</p>{% endif %}",
    ),
    ("abandoned_cart", "coupon-72h"): (
        "주문을 마무리하실 수 있도록 작은 선물을 준비했어요",
        "쿠폰 코드가 곧 만료돼요.",
        "<h1>고객님만을 위한 작은 선물</h1><p>아래 쿠폰 코드로 주문을 완료해 보세요. "
        "고객님만 쓰실 수 있는 쿠폰이며 곧 만료돼요.</p>",
    ),
    ("replenishment", "running-low"): (
        "{{ product.name }}, 다시 채울 때가 되지 않으셨나요?",
        "다 떨어지기 전에 클릭 한 번으로 다시 주문하세요.",
        "<h1>다시 채울 때가 되었나요?</h1><p>저희 계산으로는 곧 {{ product.name }} 재구매가 필요하실 때예요. "
        "지금 주문하시면 다 떨어지기 전에 받아 보실 수 있어요.</p>"
        '<p><a href="{{ product.url }}">{{ product.name }} 다시 주문하기</a></p>',
    ),
    ("win_back", "offer"): (
        "{% if customer.first_name %}{{ customer.first_name }}님, {% endif %}보고 싶었어요",
        "다시 만나고 싶은 마음에 작은 선물을 준비했어요.",
        "<h1>오랜만이에요</h1><p>다시 뵙고 싶은 마음에 다음 주문에 사용하실 수 있는 웰컴백 선물을 준비했어요.</p>",
    ),
    ("win_back", "offer-vip"): (
        "{% if customer.first_name %}{{ customer.first_name }}님, {% endif %}특별히 준비한 감사 선물이에요",
        "가장 소중한 고객님께만 드리는 혜택이에요.",
        "<h1>늘 함께해 주셔서 감사해요</h1><p>그동안 여러 번 주문해 주셨는데 요즘 뵙지 못해 아쉬웠어요. "
        "감사의 마음을 담아 가장 소중한 고객님께만 드리는 선물을 준비했어요.</p>",
    ),
    ("win_back", "offer-one-time"): (
        "두 번째 주문, 어떠세요?",
        "다음 주문에 쓸 수 있는 선물을 드려요.",
        "<h1>처음 주문해 주셔서 감사해요</h1><p>첫 주문이 마음에 드셨기를 바라요. 다른 상품도 만나 보고 "
        "싶으시다면, 두 번째 주문을 더 즐겁게 만들어 줄 선물을 받아 보세요.</p>",
    ),
    ("win_back", "values"): (
        "그동안 이런 소식이 있었어요",
        "새로 나온 상품과 저희가 소중히 여기는 것들.",
        "<h1>지난 방문 이후 많은 일이 있었어요</h1><p>새로운 상품, 모든 주문에 담는 변함없는 정성, "
        "그리고 모든 메시지를 꼼꼼히 읽는 팀까지. 새로운 소식을 둘러보세요.</p>",
    ),
    ("win_back", "farewell"): (
        "이제 메일을 그만 보내 드릴까요?",
        "원하시는 경우에만 계속 메일을 보내 드릴게요.",
        "<h1>이제 작별 인사를 해야 할까요?</h1><p>한동안 소식이 없으셔서 앞으로는 혜택 메일을 보내지 않을게요. "
        "계속 소식을 받아 보고 싶으시면 이메일 수신 설정에서 변경해 주세요.</p>",
    ),
    ("delivery_apology", "apology"): (
        "죄송해요, 주문번호 {{ order.number }} 배송이 늦어지고 있어요",
        "저희가 계속 지켜보고 있어요.",
        "<h1>배송이 늦어져 죄송해요</h1><p>상품이 예상보다 느리게 이동하고 있어요. "
        "지금 {{ shipment.carrier }} 측과 연락하고 있으며, "
        "배송이 다시 정상적으로 진행되면 바로 알려 드릴게요.</p>",
    ),
}

# The words of each default email's blocks (layout: campaigns.design.defaults; see en.py). A buyer without a
# first name is 고객님.
DESIGNS = {
    ("order_confirmation", "confirmation"): {
        "heading": '{{ customer.first_name|default:"고객" }}님, 감사해요!',
        "text": "<p>주문(주문번호 {{ order.number }})이 접수되었어요. "
        "저희 팀이 정성껏 준비하고 있으니 조금만 기다려 주세요. 상품이 출발하면 다시 메일로 알려 드릴게요.</p>"
        "<p>배송 조회 페이지에서 언제든지 진행 상황을 확인하실 수 있어요.</p>",
    },
    ("shipment_confirmation", "shipped"): {
        "heading": '{{ customer.first_name|default:"고객" }}님, 반가운 소식이에요!',
        "text": "<p>주문번호 {{ order.number }} 상품이 출고되어 지금 {{ shipment.carrier }}에서 배송 중이에요.</p>"
        "<p>배송 조회 페이지에서 모든 배송 과정을 확인해 보세요.</p>",
    },
    ("shipment_update", "out-for-delivery"): {
        "heading": "거의 다 왔어요!",
        "text": "<p>주문번호 {{ order.number }} 상품이 오늘 도착할 예정이에요. "
        "도착 알림이 오면 문 앞을 확인해 주세요.</p>",
    },
    ("shipment_update", "delivered"): {
        "heading": "주문하신 상품이 도착했어요",
        "text": "<p>{{ shipment.carrier }}에서 배송 완료를 알려 왔어요. "
        "마음에 드셨으면 좋겠어요. 혹시 문제가 있다면 이 메일에 바로 답장해 주세요.</p>",
    },
    ("shipment_update", "attempt-failed"): {
        "heading": "배송 기사님이 고객님을 만나지 못했어요",
        "text": "<p>{{ shipment.carrier }}에서 주문번호 {{ order.number }} 상품을 배송하려 했지만 "
        "전달하지 못했어요. 배송 조회 페이지에서 다음 진행 상황과 재배송 요청 방법을 확인해 주세요.</p>",
    },
    ("shipment_update", "available-for-pickup"): {
        "heading": "상품이 고객님을 기다리고 있어요",
        "text": "<p>주문번호 {{ order.number }} 상품을 지금 찾아가실 수 있어요. "
        "수령 장소 주소와 운영 시간은 배송 조회 페이지에서 확인해 주세요.</p>",
    },
    ("shipment_update", "exception"): {
        "heading": "배송에 문제가 생겼어요",
        "text": "<p>{{ shipment.carrier }}에서 주문번호 {{ order.number }} 배송에 문제가 있다고 알려 왔어요. "
        "저희가 바로 확인하고 있으니 진행 상황은 계속 알려 드릴게요. 기다리게 해 드려 죄송해요.</p>",
    },
    ("delivered_followup", "how-is-it"): {
        "heading": '{{ customer.first_name|default:"고객" }}님, 상품은 마음에 드시나요?',
        "text": "<p>상품을 받아 보신 지 며칠이 지났네요. 상품에 대해 궁금한 점이 있으시면 "
        "이 메일에 답장만 해 주세요. 저희 팀이 바로 도와드릴게요.</p>",
    },
    ("nps_survey", "survey"): {
        "heading": "저희 서비스는 어떠셨나요?",
        "text": "<p>고객님의 의견은 저희가 더 나아지는 데 큰 힘이 돼요. "
        "아래에서 점수를 하나 고른 뒤 보내기를 눌러 주세요.</p>",
    },
    ("nps_survey", "reminder"): {
        "heading": "잠깐, 질문 하나만 드려도 될까요?",
        "text": "<p>주문(주문번호 {{ order.number }})에 대한 고객님의 의견을 꼭 듣고 싶어요. "
        "아래에서 점수를 고른 뒤 보내기를 눌러 주세요.</p>",
    },
    ("abandoned_cart", "reminder-1h"): {
        "heading": "아직 고민 중이신가요?",
        "text": "<p>장바구니를 그대로 저장해 두었어요. 보시던 곳에서 바로 이어서 주문하실 수 있어요.</p>",
    },
    ("abandoned_cart", "help-24h"): {
        "heading": "도움이 필요하신가요?",
        "text": "<p>주문을 망설이게 한 부분이 있다면 언제든 말씀해 주세요. "
        "반품은 간편하고, 배송은 처음부터 끝까지 조회할 수 있으며, 저희 팀이 모든 문의에 직접 답해 드려요.</p>",
    },
    ("abandoned_cart", "coupon-72h"): {
        "heading": "고객님만을 위한 작은 선물",
        "text": "<p>아래 쿠폰 코드로 주문을 완료해 보세요. 고객님만 쓰실 수 있는 쿠폰이며 곧 만료돼요.</p>",
    },
    ("replenishment", "running-low"): {
        "heading": "다시 채울 때가 되었나요?",
        "text": "<p>저희 계산으로는 곧 {{ product.name }} 재구매가 필요하실 때예요. "
        "지금 주문하시면 다 떨어지기 전에 받아 보실 수 있어요.</p>",
        "button": "다시 주문하기",
    },
    ("win_back", "offer"): {
        "heading": "오랜만이에요",
        "text": "<p>다시 뵙고 싶은 마음에 다음 주문에 사용하실 수 있는 웰컴백 선물을 준비했어요.</p>",
    },
    ("win_back", "offer-vip"): {
        "heading": "늘 함께해 주셔서 감사해요",
        "text": "<p>그동안 여러 번 주문해 주셨는데 요즘 뵙지 못해 아쉬웠어요. "
        "감사의 마음을 담아 가장 소중한 고객님께만 드리는 선물을 준비했어요.</p>",
    },
    ("win_back", "offer-one-time"): {
        "heading": "처음 주문해 주셔서 감사해요",
        "text": "<p>첫 주문이 마음에 드셨기를 바라요. 다른 상품도 만나 보고 싶으시다면, "
        "두 번째 주문을 더 즐겁게 만들어 줄 선물을 받아 보세요.</p>",
    },
    ("win_back", "values"): {
        "heading": "지난 방문 이후 많은 일이 있었어요",
        "text": "<p>새로운 상품, 모든 주문에 담는 변함없는 정성, 그리고 모든 메시지를 꼼꼼히 읽는 팀까지. "
        "새로운 소식을 둘러보세요.</p>",
        "button": "스토어 둘러보기",
    },
    ("win_back", "farewell"): {
        "heading": "이제 작별 인사를 해야 할까요?",
        "text": "<p>한동안 소식이 없으셔서 앞으로는 혜택 메일을 보내지 않을게요. "
        "계속 소식을 받아 보고 싶으시면 이메일 수신 설정에서 변경해 주세요.</p>",
        "button": "스토어 둘러보기",
    },
    ("delivery_apology", "apology"): {
        "heading": "배송이 늦어져 죄송해요",
        "text": "<p>상품이 예상보다 느리게 이동하고 있어요. 지금 {{ shipment.carrier }} 측과 연락하고 있으며, "
        "배송이 다시 정상적으로 진행되면 바로 알려 드릴게요.</p>",
    },
}
