"""The demo stores behind `manage.py seed_demo`: a believable shop with customers, orders, shipments and carts.

Store `demo` (Northwind Coffee Roasters) gets `scale` customers; store `demo-tea` a few, so the store
switcher has something to show. demo@example.com owns both; manager@example.com and
support@example.com help in `demo`. Every password is "demo".

The store, the people and their roles go through `apps.stores.services`; the catalogue is built with
factory-boy; the bulk rows (customers, consent history, orders, lines, shipments, carrier events,
carts) are plain tuples written with `apps.core.bulk` (binary COPY on PostgreSQL, batched INSERTs
elsewhere), a chunk of customers at a time, so a million customers take minutes rather than hours.
That is the one place where rows are written without the domain services: replaying millions of
webhooks through them is what the seed exists to avoid. Big loads on PostgreSQL build and encode
chunks in worker processes and load the tables without their indexes and foreign keys, which are
rebuilt and checked before the single transaction commits.

Customers follow RFM-like behaviours (champions, loyal, regulars, new, at risk, hibernating, lost),
their aggregates (`orders_count`, `total_spent`, `first_order_at`, `last_order_at`) count every order
that is not cancelled, as `apps.orders.selectors.order_stats_for_customer` does. Order numbers rise
with `placed_at`. Shipments cover every normalised status, each with 2-6 carrier events ending in it.
Every chunk has its own random generator and id ranges, so the same `seed` gives the same rows
however the chunks are built (apart from tracking tokens, which stay unguessable).
"""

import gc
import logging
import multiprocessing
import multiprocessing.util
import os
import random
import time
import unicodedata
from array import array
from bisect import bisect
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate, pairwise
from typing import TextIO

import factory
from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.core.bulk import (
    BulkWriter,
    constraints_deferred,
    copy_encoded,
    copy_plan,
    encode_copy,
    lock_tables,
    next_id,
    reset_sequences,
)
from apps.customers.models import ConsentEvent, ConsentSource, Customer, SuppressionReason
from apps.orders.models import Cart, CartLine, Order, OrderLine, OrderSource, OrderStatus, Product, new_tracking_token
from apps.shipments.carriers import CARRIERS
from apps.shipments.models import Shipment, ShipmentStatus, TrackingEvent
from apps.stores.models import Role, Store
from apps.stores.services import membership_grant, store_create, user_get_or_create

DEMO_SLUG = "demo"
TEA_SLUG = "demo-tea"
DEMO_PASSWORD = "demo"
OWNER_EMAIL = "demo@example.com"
MANAGER_EMAIL = "manager@example.com"
SUPPORT_EMAIL = "support@example.com"
DEFAULT_SCALE = 300
DEFAULT_SEED = 20_240_601
TEA_CUSTOMERS = 25
CHUNK_CUSTOMERS = 10_000
DEFER_INDEXES_FROM = 20_000  # customers: from here on, load without indexes and rebuild them after
PARALLEL_FROM = 20_000  # customers: from here on (and on PostgreSQL), build chunks in worker processes
MAX_WORKERS = 4

logger = logging.getLogger(__name__)

DAY = 86_400
HOUR = 3_600
HISTORY_DAYS = 548  # eighteen months

# The tables the seed fills, parents first: ids are handed out from each table's max(id) + 1.
BULK_MODELS: list[type[models.Model]] = [
    Customer,
    ConsentEvent,
    Order,
    OrderLine,
    Shipment,
    TrackingEvent,
    Cart,
    CartLine,
]

CUSTOMER_FIELDS = [
    "id", "store", "external_id", "email", "first_name", "last_name", "phone", "locale", "time_zone",
    "marketing_consent", "consent_source", "consent_at", "suppressed_at", "suppression_reason",
    "orders_count", "total_spent", "first_order_at", "last_order_at", "created_at", "modified_at",
]  # fmt: skip
CONSENT_FIELDS = ["id", "store", "customer", "granted", "source", "occurred_at", "note", "created_at", "modified_at"]
ORDER_FIELDS = [
    "id", "store", "external_id", "number", "customer", "email", "locale", "source", "status", "placed_at",
    "cancelled_at", "currency", "subtotal", "discount_total", "shipping_total", "tax_total", "total",
    "discount_codes", "order_status_url", "tracking_token", "shipping_name", "shipping_city",
    "shipping_postcode", "shipping_country", "created_at", "modified_at",
]  # fmt: skip
LINE_FIELDS = [
    "id", "store", "order", "product", "external_id", "title", "variant_title", "sku", "quantity",
    "unit_price", "image_url", "created_at", "modified_at",
]  # fmt: skip
SHIPMENT_FIELDS = [
    "id", "store", "order", "external_id", "carrier", "carrier_name", "tracking_number", "tracking_url",
    "status", "raw_status", "status_source", "shipped_at", "estimated_delivery", "delivered_at",
    "last_event_at", "created_at", "modified_at",
]  # fmt: skip
EVENT_FIELDS = [
    "id", "store", "shipment", "occurred_at", "status", "raw_status", "source", "message", "city", "region",
    "postal_code", "country", "dedupe_key", "created_at", "modified_at",
]  # fmt: skip
CART_FIELDS = [
    "id", "store", "external_id", "customer", "email", "currency", "subtotal", "recovery_url", "updated_at",
    "converted_order", "converted_at", "created_at", "modified_at",
]  # fmt: skip
CART_LINE_FIELDS = [
    "id", "store", "cart", "product", "title", "variant_title", "quantity", "unit_price", "image_url",
    "created_at", "modified_at",
]  # fmt: skip


# --- The stores ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One catalogue entry; prices in minor units of the store's currency."""

    name: str
    category: str
    price: int
    weight: float
    replenishment_days: int | None = None
    variants: tuple[str, ...] = ()
    in_stock: bool = True


BEANS = ("Whole bean", "Espresso grind", "Filter grind", "Moka grind")
MUGS = ("Charcoal", "Cream", "Sage")
COFFEE_CATALOGUE = [
    Item("Ethiopia Yirgacheffe · 250 g", "Coffee beans", 1450, 10, 30, BEANS),
    Item("Ethiopia Yirgacheffe · 1 kg", "Coffee beans", 4900, 3, 90, BEANS),
    Item("Colombia Huila · 250 g", "Coffee beans", 1290, 10, 30, BEANS),
    Item("Colombia Huila · 1 kg", "Coffee beans", 4400, 3, 90, BEANS),
    Item("Brazil Cerrado · 250 g", "Coffee beans", 1150, 8, 30, BEANS),
    Item("Brazil Cerrado · 1 kg", "Coffee beans", 3900, 3, 90, BEANS),
    Item("Guatemala Antigua · 250 g", "Coffee beans", 1350, 6, 30, BEANS),
    Item("Kenya Nyeri AA · 250 g", "Coffee beans", 1690, 5, 30, BEANS),
    Item("Sumatra Mandheling · 250 g", "Coffee beans", 1390, 4, 30, BEANS),
    Item("Costa Rica Tarrazú · 250 g", "Coffee beans", 1490, 4, 30, BEANS),
    Item("Rwanda Nyamasheke · 250 g", "Coffee beans", 1590, 3, 30, BEANS, in_stock=False),
    Item("Northwind House Espresso · 250 g", "Coffee beans", 1190, 12, 30, BEANS),
    Item("Northwind House Espresso · 1 kg", "Coffee beans", 3990, 5, 90, BEANS),
    Item("Milano Blend · 250 g", "Coffee beans", 1090, 9, 30, BEANS),
    Item("Milano Blend · 1 kg", "Coffee beans", 3690, 3, 90, BEANS),
    Item("Decaf Colombia Swiss Water · 250 g", "Coffee beans", 1390, 3, 30, BEANS),
    Item("Cold Brew Blend · 500 g", "Coffee beans", 1890, 3, 45, ("Coarse grind", "Whole bean")),
    Item("Single-Origin Tasting Box · 3 × 100 g", "Coffee beans", 2490, 3),
    Item("Espresso Subscription · 2 × 250 g monthly", "Subscriptions", 2290, 3, 30, BEANS),
    Item("Filter Subscription · 250 g every two weeks", "Subscriptions", 1290, 2, 14, BEANS),
    Item("Roaster's Choice Subscription · monthly", "Subscriptions", 1990, 2, 30, BEANS),
    Item("Hario V60 Dripper 02", "Brewing gear", 2390, 3, None, ("White ceramic", "Clear plastic")),
    Item("Chemex Classic · 6 cups", "Brewing gear", 4990, 1.5),
    Item("AeroPress Original", "Brewing gear", 3990, 2.5),
    Item("Bialetti Moka Express · 6 cups", "Brewing gear", 3490, 2.5),
    Item("Bodum Chambord French Press · 1 L", "Brewing gear", 3290, 1.5),
    Item("Fellow Stagg EKG Kettle", "Brewing gear", 16900, 0.6, None, ("Matte black", "Polished steel")),
    Item("Acaia Pearl Scale", "Brewing gear", 14900, 0.5),
    Item("Rhinowares Milk Pitcher · 600 ml", "Brewing gear", 2290, 0.8),
    Item("Baratza Encore Grinder", "Grinders", 15900, 0.6),
    Item("Comandante C40 Hand Grinder", "Grinders", 25900, 0.3, None, (), False),
    Item("Hario Skerton Pro Hand Grinder", "Grinders", 5990, 0.8),
    Item("Hario V60 Paper Filters 02 · 100 pcs", "Filters & care", 650, 4, 60),
    Item("Chemex Bonded Filters · 100 pcs", "Filters & care", 1190, 1.5, 75),
    Item("AeroPress Micro-Filters · 350 pcs", "Filters & care", 690, 2, 120),
    Item("Descaling Tablets · 8 pcs", "Filters & care", 990, 1.5, 90),
    Item("Espresso Machine Cleaning Tablets · 100 pcs", "Filters & care", 1490, 1, 60),
    Item("Barista Oat Drink · 6 × 1 L", "Filters & care", 1590, 2, 14),
    Item("Northwind Stoneware Mug", "Gifts & merch", 1890, 1.5, None, MUGS),
    Item("Enamel Camp Mug", "Gifts & merch", 1490, 1, None, MUGS),
    Item("Canvas Tote Bag", "Gifts & merch", 1290, 0.8),
    Item("Gift Card · €25", "Gifts & merch", 2500, 0.8),
    Item("Gift Card · €50", "Gifts & merch", 5000, 0.5),
]

TEA_LEAF = ("Loose leaf", "Pyramid bags")
TEA_CATALOGUE = [
    Item("Almaty Apple Black Tea · 100 g", "Tea", 390000, 10, 30, TEA_LEAF),
    Item("Zhetysu Mountain Herbs · 100 g", "Tea", 420000, 6, 30, TEA_LEAF),
    Item("Kazakh Milk Tea Blend · 250 g", "Tea", 540000, 8, 30),
    Item("Jasmine Green · 100 g", "Tea", 450000, 6, 30, TEA_LEAF),
    Item("Sencha Fukamushi · 100 g", "Tea", 680000, 3, 30),
    Item("Earl Grey Cream · 100 g", "Tea", 410000, 5, 30, TEA_LEAF),
    Item("Rooibos Vanilla · 100 g", "Tea", 380000, 4, 30, TEA_LEAF),
    Item("Tea Sampler · 8 × 10 g", "Tea", 790000, 3),
    Item("Tea Subscription · monthly", "Subscriptions", 990000, 2, 30),
    Item("Glass Teapot · 1 L", "Teaware", 1290000, 1),
    Item("Cast-Iron Tetsubin · 0.8 L", "Teaware", 3490000, 0.4),
    Item("Porcelain Kese Bowls · set of 4", "Teaware", 1590000, 1),
]

RELATED_CATEGORIES = {
    "Coffee beans": ("Coffee beans", "Brewing gear", "Filters & care"),
    "Subscriptions": ("Coffee beans", "Brewing gear", "Tea", "Teaware"),
    "Brewing gear": ("Filters & care", "Coffee beans", "Grinders"),
    "Grinders": ("Coffee beans", "Brewing gear"),
    "Filters & care": ("Brewing gear", "Coffee beans"),
    "Gifts & merch": ("Gifts & merch", "Coffee beans"),
    "Tea": ("Tea", "Teaware"),
    "Teaware": ("Tea", "Teaware"),
}


@dataclass(frozen=True)
class Shipping:
    """Flat-rate shipping in minor units: free above a threshold, domestic and abroad."""

    country: str
    domestic_fee: int
    domestic_free_from: int
    abroad_fee: int
    abroad_free_from: int


@dataclass(frozen=True)
class Profile:
    slug: str
    name: str
    site: str
    brand: dict
    catalogue: list[Item]
    locales: dict[str, float]  # customer locale -> share
    origin: tuple[str, str]  # warehouse city, country
    domestic_hub: tuple[str, str]
    export_hub: tuple[str, str]
    shipping: Shipping
    discount_codes: tuple[tuple[str, int], ...]  # code, percent off
    sku_prefix: str


COFFEE = Profile(
    slug=DEMO_SLUG,
    name="Northwind Coffee Roasters",
    site="https://demo.afterglow.localhost",
    brand={
        "website_url": "https://demo.afterglow.localhost",
        "primary_colour": "#3b2417",
        "accent_colour": "#c8742b",
        "background_colour": "#fbf7f2",
        "font_family": 'Georgia, "Times New Roman", serif',
        "sender_name": "Northwind Coffee Roasters",
        "sender_email": "hello@northwind-coffee.example.com",
        "reply_to_email": "support@northwind-coffee.example.com",
        "support_email": "support@northwind-coffee.example.com",
        "support_phone": "+39 02 8295 4410",
        "support_url": "https://demo.afterglow.localhost/pages/help",
        "postal_address": "Northwind Coffee Roasters S.r.l.\nVia Tortona 27\n20144 Milano MI\nItaly",
        "social_links": {
            "instagram": "https://www.instagram.com/northwind.coffee.example",
            "facebook": "https://www.facebook.com/northwind.coffee.example",
            "tiktok": "https://www.tiktok.com/@northwind.coffee.example",
            "youtube": "https://www.youtube.com/@northwind-coffee-example",
            "telegram": "https://t.me/northwind_coffee_example",
        },
        "newsletter_url": "https://demo.afterglow.localhost/pages/newsletter",
        "review_url": "https://demo.afterglow.localhost/pages/reviews",
        "default_language": "en",
        "languages": ["en", "ru", "it", "ko", "kk"],
        "time_zone": "Europe/Rome",
        "currency": "EUR",
    },
    catalogue=COFFEE_CATALOGUE,
    locales={"en": 0.34, "it": 0.30, "ru": 0.16, "ko": 0.10, "kk": 0.10},
    origin=("Milano", "IT"),
    domestic_hub=("Piacenza", "IT"),
    export_hub=("Milano Malpensa", "IT"),
    shipping=Shipping("IT", 490, 3900, 990, 6000),
    discount_codes=(("WELCOME10", 10), ("NORTHWIND15", 15), ("COMEBACK20", 20)),
    sku_prefix="NW",
)

TEA = Profile(
    slug=TEA_SLUG,
    name="Steppe & Leaf Tea Co.",
    site="https://demo-tea.afterglow.localhost",
    brand={
        "website_url": "https://demo-tea.afterglow.localhost",
        "primary_colour": "#1f4d3a",
        "accent_colour": "#d4a017",
        "background_colour": "#f6f8f4",
        "font_family": "system-ui, sans-serif",
        "sender_name": "Steppe & Leaf",
        "sender_email": "hello@steppe-leaf.example.com",
        "reply_to_email": "care@steppe-leaf.example.com",
        "support_email": "care@steppe-leaf.example.com",
        "support_phone": "+7 727 355 0142",
        "support_url": "https://demo-tea.afterglow.localhost/pages/help",
        "postal_address": "Steppe & Leaf LLP\nDostyk Ave 132\nAlmaty 050051\nKazakhstan",
        "social_links": {
            "instagram": "https://www.instagram.com/steppe.leaf.example",
            "telegram": "https://t.me/steppe_leaf_example",
            "vk": "https://vk.com/steppe_leaf_example",
        },
        "newsletter_url": "https://demo-tea.afterglow.localhost/pages/newsletter",
        "review_url": "https://demo-tea.afterglow.localhost/pages/reviews",
        "default_language": "kk",
        "languages": ["kk", "ru", "en"],
        "time_zone": "Asia/Almaty",
        "currency": "KZT",
    },
    catalogue=TEA_CATALOGUE,
    locales={"kk": 0.45, "ru": 0.35, "en": 0.20},
    origin=("Алматы", "KZ"),
    domestic_hub=("Қарағанды", "KZ"),
    export_hub=("Алматы", "KZ"),
    shipping=Shipping("KZ", 150000, 2000000, 450000, 5000000),
    discount_codes=(("STEPPE10", 10), ("CHAI15", 15)),
    sku_prefix="SL",
)


# --- People and places -------------------------------------------------------------------------

# Transliteration for email addresses: Russian and Kazakh Cyrillic, Hangul by syllable parts.
# fmt: off
CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ә": "a", "ғ": "g",
    "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
}
HANGUL_INITIAL = [
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "_", "j", "jj", "ch", "k", "t", "p",
    "h",
]
HANGUL_MEDIAL = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
]
HANGUL_FINAL = [
    "_", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p",
    "t", "t", "ng", "t", "t", "k", "t", "p", "t",
]
KOREAN_SURNAMES = {
    "김": "kim", "이": "lee", "박": "park", "최": "choi", "정": "jung", "강": "kang", "조": "cho",
    "윤": "yoon", "장": "jang", "임": "lim", "한": "han", "오": "oh", "서": "seo", "신": "shin",
    "권": "kwon", "황": "hwang", "안": "ahn", "송": "song", "류": "ryu", "전": "jeon", "홍": "hong",
    "고": "ko", "문": "moon", "양": "yang", "손": "son", "배": "bae", "백": "baek", "유": "yoo",
}

KAZAKH_MEN = [
    "Нұрлан", "Ерлан", "Асхат", "Дәурен", "Ержан", "Бауыржан", "Қайрат", "Серік", "Мұрат", "Айдос",
    "Темірлан", "Әлихан", "Ернұр", "Арман", "Дархан", "Жандос", "Бекзат", "Нұрсұлтан", "Азамат",
    "Ғалым", "Санжар", "Ақжол", "Ерасыл", "Мирас",
]
KAZAKH_WOMEN = [
    "Айгерім", "Әсем", "Гүлнар", "Жансая", "Дана", "Меруерт", "Ақмарал", "Айжан", "Сәуле",
    "Динара", "Әйгерім", "Гүлжан", "Аружан", "Томирис", "Жұлдыз", "Камила", "Ботагөз", "Мөлдір",
    "Назерке", "Інжу", "Балжан", "Аяулым",
]
KAZAKH_SURNAMES = [
    "Нұрланов", "Серікбаев", "Жұмабаев", "Омаров", "Сейітов", "Тоқаев", "Әбдірахманов", "Қасымов",
    "Исабеков", "Ахметов", "Бекмұхамедов", "Сұлтанов", "Мұхаметжанов", "Байжанов", "Есенов",
    "Құдайбергенов", "Әлиев", "Төлеуов", "Оспанов", "Иманов", "Жақсыбеков", "Мамыров",
]
# fmt: on

# locale -> [(city, postcode, country, time zone)]
PLACES = {
    "en": [
        ("New York", "10001", "US", "America/New_York"),
        ("Brooklyn", "11201", "US", "America/New_York"),
        ("Austin", "78701", "US", "America/Chicago"),
        ("Chicago", "60601", "US", "America/Chicago"),
        ("Seattle", "98101", "US", "America/Los_Angeles"),
        ("San Francisco", "94103", "US", "America/Los_Angeles"),
        ("London", "EC1V 9HX", "GB", "Europe/London"),
        ("London", "SE1 7PB", "GB", "Europe/London"),
        ("Manchester", "M1 1AE", "GB", "Europe/London"),
        ("Bristol", "BS1 4DJ", "GB", "Europe/London"),
        ("Edinburgh", "EH1 1YZ", "GB", "Europe/London"),
        ("Dublin", "D02 X285", "IE", "Europe/Dublin"),
    ],
    "it": [
        ("Milano", "20121", "IT", "Europe/Rome"),
        ("Milano", "20144", "IT", "Europe/Rome"),
        ("Roma", "00184", "IT", "Europe/Rome"),
        ("Roma", "00153", "IT", "Europe/Rome"),
        ("Torino", "10121", "IT", "Europe/Rome"),
        ("Bologna", "40121", "IT", "Europe/Rome"),
        ("Firenze", "50122", "IT", "Europe/Rome"),
        ("Napoli", "80133", "IT", "Europe/Rome"),
        ("Verona", "37121", "IT", "Europe/Rome"),
        ("Padova", "35121", "IT", "Europe/Rome"),
        ("Palermo", "90133", "IT", "Europe/Rome"),
        ("Genova", "16121", "IT", "Europe/Rome"),
    ],
    "ru": [
        ("Москва", "101000", "RU", "Europe/Moscow"),
        ("Москва", "119019", "RU", "Europe/Moscow"),
        ("Санкт-Петербург", "191186", "RU", "Europe/Moscow"),
        ("Казань", "420111", "RU", "Europe/Moscow"),
        ("Нижний Новгород", "603005", "RU", "Europe/Moscow"),
        ("Новосибирск", "630099", "RU", "Asia/Novosibirsk"),
        ("Екатеринбург", "620014", "RU", "Asia/Yekaterinburg"),
    ],
    "ko": [
        ("서울", "04524", "KR", "Asia/Seoul"),
        ("서울", "06236", "KR", "Asia/Seoul"),
        ("부산", "48058", "KR", "Asia/Seoul"),
        ("인천", "21554", "KR", "Asia/Seoul"),
        ("대구", "41911", "KR", "Asia/Seoul"),
        ("대전", "34126", "KR", "Asia/Seoul"),
    ],
    "kk": [
        ("Алматы", "050000", "KZ", "Asia/Almaty"),
        ("Алматы", "050012", "KZ", "Asia/Almaty"),
        ("Астана", "010000", "KZ", "Asia/Almaty"),
        ("Шымкент", "160000", "KZ", "Asia/Almaty"),
        ("Қарағанды", "100000", "KZ", "Asia/Almaty"),
        ("Ақтөбе", "030000", "KZ", "Asia/Aqtobe"),
    ],
}
PHONE_FORMATS = {
    "US": ("+1 {a:03d} {b:03d} {c:04d}", 1000, 1000, 10000),
    "GB": ("+44 7{a:03d} {b:03d}{c:03d}", 1000, 1000, 1000),
    "IE": ("+353 8{a:01d} {b:03d} {c:04d}", 10, 1000, 10000),
    "IT": ("+39 3{a:02d} {b:03d} {c:04d}", 100, 1000, 10000),
    "RU": ("+7 9{a:02d} {b:03d}-{c:04d}", 100, 1000, 10000),
    "KR": ("+82 10-{a:04d}-{b:04d}", 10000, 10000, 1),
    "KZ": ("+7 7{a:02d} {b:03d} {c:04d}", 100, 1000, 10000),
}
CARRIERS_BY_COUNTRY = {
    "US": ("ups", "usps", "fedex"),
    "GB": ("royal_mail", "dhl", "ups"),
    "IE": ("dhl", "ups"),
    "IT": ("poste_italiane", "brt", "brt", "dhl"),
    "RU": ("cdek", "russian_post"),
    "KR": ("cj_logistics", "korea_post"),
    "KZ": ("kazpost", "cdek", "dhl"),
}
ARRIVAL_HUBS = {
    "US": "Louisville",
    "GB": "East Midlands",
    "IE": "Dublin",
    "IT": "Bologna",
    "RU": "Москва",
    "KR": "인천",
    "KZ": "Алматы",
}
# How many digits of a scrambled shipment id each carrier's numbers carry, and around them.
TRACKING_FORMATS = {
    "ups": ("1Z8V4W{n:010d}", 10),
    "usps": ("9400111{n:015d}", 15),
    "fedex": ("{n:012d}", 12),
    "dhl": ("{n:010d}", 10),
    "royal_mail": ("TT{n:09d}GB", 9),
    "poste_italiane": ("{n:012d}", 12),
    "brt": ("0{n:013d}", 13),
    "russian_post": ("{n:014d}", 14),
    "cdek": ("{n:010d}", 10),
    "kazpost": ("RR{n:09d}KZ", 9),
    "korea_post": ("6{n:012d}", 12),
    "cj_logistics": ("{n:012d}", 12),
}
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved: demo mail can reach nobody

S = ShipmentStatus
# Each tracking source names the same states its own way.
RAW_STATUS = {
    "aftership": {
        S.PENDING: "Pending", S.INFO_RECEIVED: "InfoReceived", S.IN_TRANSIT: "InTransit",
        S.OUT_FOR_DELIVERY: "OutForDelivery", S.AVAILABLE_FOR_PICKUP: "AvailableForPickup",
        S.ATTEMPT_FAILED: "AttemptFail", S.DELIVERED: "Delivered", S.EXCEPTION: "Exception",
        S.RETURNED: "Exception_011", S.EXPIRED: "Expired", S.UNKNOWN: "Unknown",
    },
    "easypost": {
        S.PENDING: "pre_transit", S.INFO_RECEIVED: "pre_transit", S.IN_TRANSIT: "in_transit",
        S.OUT_FOR_DELIVERY: "out_for_delivery", S.AVAILABLE_FOR_PICKUP: "available_for_pickup",
        S.ATTEMPT_FAILED: "failure", S.DELIVERED: "delivered", S.EXCEPTION: "error",
        S.RETURNED: "return_to_sender", S.EXPIRED: "cancelled", S.UNKNOWN: "unknown",
    },
    "17track": {
        S.PENDING: "NotFound", S.INFO_RECEIVED: "InfoReceived", S.IN_TRANSIT: "InTransit",
        S.OUT_FOR_DELIVERY: "OutForDelivery", S.AVAILABLE_FOR_PICKUP: "AvailableForPickup",
        S.ATTEMPT_FAILED: "DeliveryFailure", S.DELIVERED: "Delivered", S.EXCEPTION: "Exception",
        S.RETURNED: "Exception_Returned", S.EXPIRED: "Expired", S.UNKNOWN: "NotFound",
    },
}  # fmt: skip
SOURCES = (("aftership", 0.6), ("easypost", 0.85), ("17track", 1.0))  # cumulative shares
SOURCE_KEYS = {"aftership": "as", "easypost": "ep", "17track": "17"}

MESSAGES = {
    S.PENDING: ("Tracking number registered", "Awaiting the first carrier scan"),
    S.INFO_RECEIVED: ("Shipping label created", "Shipment information received by the carrier"),
    S.OUT_FOR_DELIVERY: ("Out for delivery", "With the courier for delivery today"),
    S.ATTEMPT_FAILED: ("Delivery attempted: recipient not available", "Delivery attempt failed: no access"),
    S.AVAILABLE_FOR_PICKUP: ("Ready for collection at the local post office", "Available at a parcel locker"),
    S.DELIVERED: ("Delivered", "Delivered: left with a neighbour", "Delivered to a parcel locker",
                  "Delivered: signed for by the recipient"),
    S.EXCEPTION: ("Customs clearance delayed", "Address incomplete: the carrier contacted the sender",
                  "Parcel damaged in transit", "Held by customs: duties unpaid"),
    S.RETURNED: ("Returned to sender",),
    S.EXPIRED: ("No tracking updates for 30 days",),
    S.UNKNOWN: ("Status not provided by the carrier", "Tracking number not found in the carrier's system"),
}  # fmt: skip
IN_TRANSIT_STEPS = (  # message, where (see TrackingPaths)
    ("Picked up by the carrier", 0),
    ("Processed at the sorting hub", 1),
    ("Arrived at the destination hub", 2),
    ("Arrived at the delivery depot", 3),
)

# The gap before a tracking event, by kind: seconds (least, spread), at home and abroad.
FIRST, HOP, TO_DOOR, SHORT, MONTH = range(5)
PACE_DOMESTIC = ((0, 0), (4 * HOUR, 30 * HOUR), (6 * HOUR, 12 * HOUR), (HOUR, 6 * HOUR), (30 * DAY, 0))
PACE_ABROAD = ((0, 0), (4 * HOUR, 60 * HOUR), (6 * HOUR, 12 * HOUR), (HOUR, 6 * HOUR), (30 * DAY, 0))


def _tracking_paths() -> dict[str, list[tuple]]:
    """Final status -> the event sequences that end in it.

    A step is (status, where, pace, messages); where is 0 the warehouse, 1 the outbound hub, 2 the
    arrival hub, 3 the buyer's address, 4 nowhere known.
    """

    def transit(count: int, *, to_door: bool) -> list[tuple]:
        positions = [*range(count - 1), 3 if to_door else count - 1] if count else []
        return [(S.IN_TRANSIT, IN_TRANSIT_STEPS[i][1], HOP, (IN_TRANSIT_STEPS[i][0],)) for i in positions]

    def end(status: str, where: int = 3, pace: int = SHORT) -> tuple:
        return (status, where, pace, MESSAGES[status])

    label = (S.INFO_RECEIVED, 0, FIRST, MESSAGES[S.INFO_RECEIVED])
    door = (S.OUT_FOR_DELIVERY, 3, TO_DOOR, MESSAGES[S.OUT_FOR_DELIVERY])
    registered = (S.PENDING, 0, FIRST, MESSAGES[S.PENDING][:1])
    return {
        S.PENDING: [(registered, (S.PENDING, 0, HOP, MESSAGES[S.PENDING][1:]))],
        S.INFO_RECEIVED: [(registered, (S.INFO_RECEIVED, 0, HOP, MESSAGES[S.INFO_RECEIVED]))],
        S.IN_TRANSIT: [(label, *transit(k, to_door=False)) for k in (1, 2, 3, 4)],
        S.OUT_FOR_DELIVERY: [(label, *transit(k, to_door=True), door) for k in (1, 2, 3)],
        S.DELIVERED: [
            (label, *transit(k, to_door=True), *extra, end(S.DELIVERED))
            for k in (1, 2, 3)
            for extra in ((door,), (door,), (door,), (door,), ())
        ],
        S.ATTEMPT_FAILED: [(label, *transit(k, to_door=True), door, end(S.ATTEMPT_FAILED)) for k in (1, 2)],
        S.AVAILABLE_FOR_PICKUP: [
            (label, *transit(k, to_door=True), *extra, end(S.AVAILABLE_FOR_PICKUP, pace=HOP))
            for k in (1, 2)
            for extra in ((), (end(S.ATTEMPT_FAILED),))
        ],
        S.EXCEPTION: [(label, *transit(k, to_door=False), end(S.EXCEPTION, 2, HOP)) for k in (1, 2, 3)],
        S.RETURNED: [
            (
                label,
                *transit(1, to_door=False),
                end(trouble),
                (S.IN_TRANSIT, 2, HOP, ("Returning to sender",)),
                end(S.RETURNED, 0, HOP),
            )
            for trouble in (S.ATTEMPT_FAILED, S.EXCEPTION)
        ],
        S.EXPIRED: [(label, *transit(k, to_door=False), end(S.EXPIRED, 4, MONTH)) for k in (1, 2)],
        S.UNKNOWN: [(label, *transit(k, to_door=False), end(S.UNKNOWN, 4, HOP)) for k in (0, 1, 2)],
    }


TRACKING_PATHS = {
    # One variant per closing message too, so a parcel's last word varies within a path.
    status: [(*path[:-1], (*path[-1][:3], (message,))) for path in paths for message in path[-1][3]]
    for status, paths in _tracking_paths().items()
}
STATUS_NUMBER = {status: number for number, status in enumerate(S.values)}
SOURCE_NAMES = ("aftership", "easypost", "17track")
DIGITS = tuple(str(n) for n in range(10))


def _url_parts(carrier) -> tuple[str, str]:
    """The carrier's tracking URL before and after the number, from `Carrier.url_for`.

    Joining the parts equals `url_for(number)` for the demo's numbers, letters and digits that need no quoting.
    """
    start, end = carrier.url_for("\0").split("%00")
    return start, end


def _event_template(path: tuple, place: "Place", source: str) -> tuple:
    """What every shipment on this path, to this place, tracked by this source, has in common.

    Events as (status, raw status, source, message, city, region, postcode, country), the paces of the
    gaps between them and the longest they can add up to, the source, the final raw status and the
    dedupe-key prefix.
    """
    raw = RAW_STATUS[source]
    events = []
    for number, (status, where, _, messages) in enumerate(path):
        city, postcode, country = place.hubs[where]
        message = messages[(place.number + number) % len(messages)]
        events.append((status, raw[status], source, message, city, "", postcode, country))
    pace = PACE_DOMESTIC if place.domestic else PACE_ABROAD
    paces = tuple(pace[step[2]] for step in path[1:])
    longest = sum(least + spread for least, spread in paces)
    return tuple(events), paces, longest, source, raw[path[-1][0]], f"{SOURCE_KEYS[source]}-"


# Recent orders with a known shipment state, so every status shows even in a small demo.
SHOWCASE = (
    (3, S.PENDING),
    (9, S.INFO_RECEIVED),
    (26, S.IN_TRANSIT),
    (41, S.IN_TRANSIT),
    (58, S.OUT_FOR_DELIVERY),
    (80, S.ATTEMPT_FAILED),
    (110, S.AVAILABLE_FOR_PICKUP),
    (150, S.EXCEPTION),
)
# Statuses the next customers' first old shipments get, for the same reason.
COVER_OLD = (S.RETURNED, S.EXPIRED, S.UNKNOWN, S.EXCEPTION, S.AVAILABLE_FOR_PICKUP, S.ATTEMPT_FAILED)

# Customer behaviours: cumulative share, then how orders spread (days ago).
CHAMPION, LOYAL, REGULAR, NEW, AT_RISK, HIBERNATING, LOST = range(7)
SEGMENT_SHARES = [0.08, 0.22, 0.40, 0.55, 0.67, 0.82, 1.0]

# Abandoned carts by age: cumulative share, then seconds idle (from, to).
CART_AGES = [
    (0.04, 5 * 60, 15 * 60),  # ~10 minutes
    (0.10, 1 * HOUR, 3 * HOUR),  # ~2 hours
    (0.18, 12 * HOUR, 23 * HOUR),  # ~20 hours
    (0.27, 25 * HOUR, 36 * HOUR),  # ~30 hours
    (0.38, 60 * HOUR, 84 * HOUR),  # ~3 days
    (0.48, 4 * DAY, 6 * DAY),  # ~5 days
    (0.63, 10 * DAY, 17 * DAY),  # ~2 weeks
    (1.00, 20 * DAY, 150 * DAY),  # long gone
]
CART_AGE_SHARES = [share for share, _, _ in CART_AGES]


def _ascii(text: str, *, surname: bool = False) -> str:
    """A name as an email local part: transliterated, lower-case letters only."""
    if surname and text in KOREAN_SURNAMES:
        return KOREAN_SURNAMES[text]
    out = []
    for char in text.lower():
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:  # a Hangul syllable: initial, vowel, final
            out.append(HANGUL_INITIAL[code // 588] + HANGUL_MEDIAL[(code % 588) // 28] + HANGUL_FINAL[code % 28])
        elif char in CYRILLIC:
            out.append(CYRILLIC[char])
        else:
            out.append(unicodedata.normalize("NFKD", char))
    return "".join(c for c in "".join(out) if "a" <= c <= "z")


def _name_pools(seed: int) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """locale -> {"men", "women", "men_last", "women_last"} -> [(name, ascii)], built once from Faker."""
    from faker import Faker

    fakers: dict[str, Faker] = {}

    def draw(locale: str, method: str, count: int) -> list[str]:
        fake = fakers.get(locale) or fakers.setdefault(locale, Faker(locale))
        fake.seed_instance(seed)
        return list(dict.fromkeys(getattr(fake, method)() for _ in range(count)))

    pools: dict[str, dict[str, list[str]]] = {}
    for locale, faker_locale in (("en", "en_US"), ("it", "it_IT"), ("ko", "ko_KR")):
        last = draw(faker_locale, "last_name", 300)
        pools[locale] = {
            "men": draw(faker_locale, "first_name_male", 200),
            "women": draw(faker_locale, "first_name_female", 200),
            "men_last": last,
            "women_last": last,
        }
    pools["ru"] = {
        "men": draw("ru_RU", "first_name_male", 200),
        "women": draw("ru_RU", "first_name_female", 200),
        "men_last": draw("ru_RU", "last_name_male", 250),
        "women_last": draw("ru_RU", "last_name_female", 250),
    }
    pools["kk"] = {
        "men": KAZAKH_MEN,
        "women": KAZAKH_WOMEN,
        "men_last": KAZAKH_SURNAMES,
        "women_last": [f"{name}а" for name in KAZAKH_SURNAMES],
    }
    return {
        locale: {
            kind: [(name, _ascii(name, surname=kind.endswith("last")) or "x") for name in names]
            for kind, names in kinds.items()
        }
        for locale, kinds in pools.items()
    }


_MONEY: dict[int, Decimal] = {}


def _money(cents: int) -> Decimal:
    """Minor units as a Decimal, shared: the same amounts come back millions of times."""
    value = _MONEY.get(cents)
    if value is None:
        value = _MONEY[cents] = Decimal(cents).scaleb(-2)
    return value


_fromtimestamp = datetime.fromtimestamp


# --- The catalogue, with factory-boy -----------------------------------------------------------


class DemoProductFactory(factory.django.DjangoModelFactory):
    """A catalogue product: pass `store`, `item` (an Item), `position` and `sku_prefix`; the rest follows."""

    class Meta:
        model = Product

    class Params:
        item = None
        position = 0
        sku_prefix = "SKU"
        slug = factory.LazyAttribute(lambda o: slugify(o.item.name.replace("·", " ")))
        site = factory.LazyAttribute(lambda o: o.store.website_url)

    external_id = factory.LazyAttribute(lambda o: str(8_100_000_000 + o.store.pk * 1000 + o.position))
    sku = factory.LazyAttribute(lambda o: f"{o.sku_prefix}-{o.position + 101:04d}")
    name = factory.LazyAttribute(lambda o: o.item.name)
    url = factory.LazyAttribute(lambda o: f"{o.site}/products/{o.slug}")
    image_url = factory.LazyAttribute(lambda o: _sample_image(o.item.category))
    price = factory.LazyAttribute(lambda o: _money(o.item.price))
    currency = factory.LazyAttribute(lambda o: o.store.currency)
    category = factory.LazyAttribute(lambda o: o.item.category)
    in_stock = factory.LazyAttribute(lambda o: o.item.in_stock)
    replenishment_days = factory.LazyAttribute(lambda o: o.item.replenishment_days)


# Pictures the project ships (static/img/samples/), so the demo looks right with no network at all.
SAMPLE_IMAGES = {
    "Coffee beans": "coffee-bag",
    "Subscriptions": "coffee-bag",
    "Brewing gear": "kettle",
    "Grinders": "grinder",
    "Filters & care": "filters",
    "Gifts & merch": "mug",
    "Tea": "coffee-bag",
    "Teaware": "mug",
}


def _sample_image(category: str) -> str:
    name = SAMPLE_IMAGES.get(category, "scale")
    return f"{settings.SITE_URL}/{settings.STATIC_URL.strip('/')}/img/samples/{name}.svg"


def _create_catalogue(store: Store, profile: Profile, rnd: random.Random, since: datetime) -> list[Product]:
    products = [
        DemoProductFactory.build(store=store, item=item, position=position, sku_prefix=profile.sku_prefix)
        for position, item in enumerate(profile.catalogue)
    ]
    products = Product.objects.bulk_create(products)
    Product.objects.filter(store=store).update(created_at=since, modified_at=since)
    Through = Product.related_products.through
    links = []
    for product in products:
        kinds = RELATED_CATEGORIES.get(product.category, ())
        candidates = [other for other in products if other.pk != product.pk and other.category in kinds]
        for other in rnd.sample(candidates, min(3, len(candidates))):
            links.append(Through(from_product_id=product.pk, to_product_id=other.pk))
    Through.objects.bulk_create(links)
    return products


# --- Bulk rows ---------------------------------------------------------------------------------


class Rows:
    """One chunk's rows per table, parents first."""

    TABLES = (
        ("customers", Customer, CUSTOMER_FIELDS),
        ("consent_events", ConsentEvent, CONSENT_FIELDS),
        ("orders", Order, ORDER_FIELDS),
        ("order_lines", OrderLine, LINE_FIELDS),
        ("shipments", Shipment, SHIPMENT_FIELDS),
        ("tracking_events", TrackingEvent, EVENT_FIELDS),
        ("carts", Cart, CART_FIELDS),
        ("cart_lines", CartLine, CART_LINE_FIELDS),
    )

    def __init__(self) -> None:
        for name, _, _ in self.TABLES:
            setattr(self, name, [])

    def write(self, writer: BulkWriter) -> None:
        for name, model, fields in self.TABLES:
            writer.write(model, fields, getattr(self, name))


@dataclass(frozen=True)
class Place:
    """Where a buyer lives, with what their parcels pass through on the way."""

    city: str
    postcode: str
    country: str
    time_zone: str
    domestic: bool
    carriers: tuple  # of (Carrier, tracking-number pattern, digits, tracking URL before and after the number)
    hubs: tuple  # (city, postcode, country) by `where` of a tracking step
    number: int  # tells places apart in the builder's caches


# Most rows a chunk can take per table, per customer or per order: chunks get id ranges this wide up
# front, so they can be built in any order, in any process, and come out the same.
CHUNK_BOUNDS = {
    Customer: (1, 0),
    ConsentEvent: (2, 0),
    OrderLine: (0, 4),
    Shipment: (0, 1),
    TrackingEvent: (0, 6),
    Cart: (2, 1),
    CartLine: (6, 3),
}


@dataclass(frozen=True)
class Chunk:
    number: int
    start: int  # customers [start, stop) of the store
    stop: int
    first_ids: dict  # model -> first primary key this chunk may use
    last_ids: dict  # model -> first primary key it may not


class StoreBuilder:
    """Generates one store's rows, a chunk of customers at a time, as plain tuples.

    Planning comes first: every customer's order times, so order numbers rise with `placed_at`
    across the store, and each chunk's id ranges. Then `build(chunk)` makes a chunk's rows, from its
    own random generator, so chunks can be built apart (see `_write_in_workers`).
    """

    def __init__(self, *, store: Store, profile: Profile, products: list[Product], customers: int,
                 next_ids: dict, seed: int, pools: dict, now: datetime) -> None:  # fmt: skip
        self.store_id = store.pk
        self.currency = store.currency
        self.profile = profile
        self.customers = customers
        self.seed = seed
        self.rnd = random.Random(f"{seed}:{profile.slug}:plan")
        self.pools = pools
        self.now = now.timestamp()
        self.site = profile.site

        self.products = [
            (product.pk, product.name, product.sku, int(product.price * 100), product.image_url, item.variants)
            for product, item in zip(products, profile.catalogue, strict=True)
        ]
        self.product_weights = list(accumulate(item.weight for item in profile.catalogue))
        self.cart_products = [
            product
            for product, item in zip(self.products, profile.catalogue, strict=True)
            if item.category != "Subscriptions"
        ]
        self.locales = list(profile.locales)
        self.locale_shares = list(accumulate(profile.locales.values()))
        self.place_count = 0
        self.places = {locale: [self._place(*place) for place in PLACES[locale]] for locale in self.locales}
        self.templates: dict[int, tuple] = {}  # tracking events in common, see _event_template
        self._plan(next_ids)

    def _place(self, city: str, postcode: str, country: str, time_zone: str) -> Place:
        profile = self.profile
        domestic = country == profile.shipping.country
        origin_city, origin_country = profile.origin
        outbound = profile.domestic_hub if domestic else profile.export_hub
        carriers = tuple(
            (CARRIERS[code], *TRACKING_FORMATS.get(code, ("{n:012d}", 12)), *_url_parts(CARRIERS[code]))
            for code in CARRIERS_BY_COUNTRY[country]
        )
        hubs = (
            (origin_city, "", origin_country),
            (outbound[0], "", outbound[1]),
            (ARRIVAL_HUBS[country], "", country),
            (city, postcode, country),
            ("", "", country),
        )
        self.place_count += 1
        return Place(city, postcode, country, time_zone, domestic, carriers, hubs, self.place_count)

    # Pass one: how many orders each customer placed and when.

    def _plan(self, next_ids: dict) -> None:
        rnd, now = self.rnd, self.now
        rand = rnd.random
        segments = bytearray(self.customers)
        offsets = array("q", [0])
        times = array("q")
        showcase = min(len(SHOWCASE), self.customers)
        for index in range(self.customers):
            if index < showcase:
                segment = NEW
                days = [SHOWCASE[index][0] * HOUR / DAY]
            elif index < showcase + len(COVER_OLD):  # loyal buyers with old orders, see `build`
                segment = LOYAL
                days = _order_days(segment, rand)
            else:
                segment = bisect(SEGMENT_SHARES, rand())
                days = _order_days(segment, rand)
            segments[index] = segment
            times.extend(sorted(int(now - d * DAY) for d in days))
            offsets.append(len(times))
        self.segments, self.offsets, self.times = segments, offsets, times

        # Order numbers follow placed_at across the whole store; ids follow the customers.
        count = len(times)
        shift = max(count.bit_length(), 1)
        mask = (1 << shift) - 1
        keys = sorted((t << shift) | position for position, t in enumerate(times))
        ranks = array("q", bytes(8 * count))
        for rank, key in enumerate(keys):
            ranks[key & mask] = rank
        self.ranks = ranks
        self.order_base = next_ids[Order]
        next_ids[Order] += count
        self.order_count = count

        self.chunks = []
        for start in range(0, self.customers, CHUNK_CUSTOMERS):
            stop = min(start + CHUNK_CUSTOMERS, self.customers)
            orders = offsets[stop] - offsets[start]
            first_ids = {}
            for model, (per_customer, per_order) in CHUNK_BOUNDS.items():
                first_ids[model] = next_ids[model]
                next_ids[model] += per_customer * (stop - start) + per_order * orders
            self.chunks.append(Chunk(len(self.chunks), start, stop, first_ids, {m: next_ids[m] for m in first_ids}))

    # Pass two: the rows.

    def build(self, chunk: Chunk) -> Rows:  # one flat loop, kept flat for speed
        rows = Rows()
        self.add_event, self.add_shipment = rows.tracking_events.append, rows.shipments.append
        start, stop = chunk.start, chunk.stop
        self.rnd = random.Random(f"{self.seed}:{self.profile.slug}:{chunk.number}")
        self.ids = next_ids = dict(chunk.first_ids)
        rnd, now = self.rnd, self.now
        rand, choice, choices = rnd.random, rnd.choice, rnd.choices
        fromtimestamp, utc, money, token = _fromtimestamp, UTC, _money, new_tracking_token
        store_id, currency, site = self.store_id, self.currency, self.site
        profile, pools, places = self.profile, self.pools, self.places
        shipping = profile.shipping
        products, weights = self.products, self.product_weights
        segments, offsets, times, ranks = self.segments, self.offsets, self.times, self.ranks
        order_base = self.order_base
        demo_source, cancelled = OrderSource.DEMO, OrderStatus.CANCELLED
        fulfilled, refunded, partially = OrderStatus.FULFILLED, OrderStatus.REFUNDED, OrderStatus.PARTIALLY_FULFILLED
        add_customer, add_consent, add_order = rows.customers.append, rows.consent_events.append, rows.orders.append
        add_line = rows.order_lines.append
        zero = money(0)

        customer_id = next_ids[Customer]
        line_id = next_ids[OrderLine]
        consent_id = next_ids[ConsentEvent]
        for index in range(start, stop):
            locale = self.locales[bisect(self.locale_shares, rand())]
            pool = pools[locale]
            if rand() < 0.5:
                first, first_ascii = choice(pool["men"])
                last, last_ascii = choice(pool["men_last"])
            else:
                first, first_ascii = choice(pool["women"])
                last, last_ascii = choice(pool["women_last"])
            number = index + 1
            style = number % 5
            if style == 0:
                local = f"{first_ascii}.{last_ascii}{number}"
            elif style == 1:
                local = f"{first_ascii}{last_ascii}{number}"
            elif style == 2:
                local = f"{first_ascii[0]}{last_ascii}{number}"
            elif style == 3:
                local = f"{last_ascii}.{first_ascii}{number}"
            else:
                local = f"{first_ascii}_{last_ascii}{number}"
            email = f"{local}@{EMAIL_DOMAINS[number % 3]}"
            place = choice(places[locale])
            city, postcode, country = place.city, place.postcode, place.country
            if rand() < 0.55:
                pattern, a, b, c = PHONE_FORMATS[country]
                phone = pattern.format(a=int(rand() * a), b=int(rand() * b), c=int(rand() * c))
            else:
                phone = ""
            full_name = f"{first} {last}"
            domestic = place.domestic
            favourite = choices(products, cum_weights=weights)[0]

            # Orders
            orders_count = spent = 0
            first_at = last_at = None
            kept_orders = []  # (order id, placed_at) of the orders that were not cancelled
            # The first customers show every shipment status and cart age, however small the store.
            showcase = index < len(SHOWCASE) and segments[index] == NEW and offsets[index + 1] - offsets[index] == 1
            cover = index - len(SHOWCASE)
            cover = COVER_OLD[cover] if 0 <= cover < len(COVER_OLD) else None
            for position in range(offsets[index], offsets[index + 1]):
                placed_ts = times[position]
                rank = ranks[position]
                order_id = order_base + position
                placed_at = fromtimestamp(placed_ts, utc)
                age = now - placed_ts

                r = rand()
                count = 1 if r < 0.45 else 2 if r < 0.75 else 3 if r < 0.9 else 4
                picked = choices(products, cum_weights=weights, k=count)
                if rand() < 0.5:
                    picked[0] = favourite
                subtotal = 0
                taken = set()
                for product in picked:
                    if product[0] in taken:
                        continue
                    taken.add(product[0])
                    q = rand()
                    quantity = 1 if q < 0.8 else 2 if q < 0.95 else 3
                    subtotal += product[3] * quantity
                    variants = product[5]
                    add_line((
                        line_id, store_id, order_id, product[0], str(14_000_000_000_000 + line_id), product[1],
                        variants[int(rand() * len(variants))] if variants else "", product[2], quantity,
                        money(product[3]), product[4], placed_at, placed_at,
                    ))  # fmt: skip
                    line_id += 1
                discount, codes = 0, []
                if rand() < 0.12:
                    code, percent = choice(profile.discount_codes)
                    discount, codes = subtotal * percent // 100, [code]
                net = subtotal - discount
                if domestic:
                    shipping_fee = 0 if net >= shipping.domestic_free_from else shipping.domestic_fee
                else:
                    shipping_fee = 0 if net >= shipping.abroad_free_from else shipping.abroad_fee
                total = net + shipping_fee

                # What happened next: shipped (and how far it got), waiting, or cancelled.
                shipment_status = cancelled_at = None
                r = rand()
                if showcase:
                    shipment_status, status = SHOWCASE[index][1], fulfilled
                elif r < 0.02:
                    status = cancelled
                    cancelled_at = fromtimestamp(placed_ts + HOUR + rand() * 20 * HOUR, utc)
                elif age < DAY and r < 0.45:
                    status = OrderStatus.PENDING if r < 0.03 else OrderStatus.PAID
                else:
                    shipment_status = _shipment_status(age, rand)
                    if cover is not None and age > 20 * DAY:
                        shipment_status, cover = cover, None
                    if shipment_status == S.RETURNED or (shipment_status == S.DELIVERED and rand() < 0.01):
                        status = refunded
                    elif len(taken) > 1 and rand() < 0.01:
                        status = partially
                    else:
                        status = fulfilled

                modified_at = placed_at
                if shipment_status is not None:
                    modified_at = self._shipment(rows, order_id, placed_ts, shipment_status, place)
                elif cancelled_at is not None:
                    modified_at = cancelled_at

                external_id = str(5_500_000_000_000 + order_id)
                add_order((
                    order_id, store_id, external_id, f"#{10001 + rank}", customer_id, email, locale, demo_source,
                    status, placed_at, cancelled_at, currency, money(subtotal), money(discount),
                    money(shipping_fee), zero, money(total), codes, f"{site}/account/orders/{external_id}", token(),
                    full_name, city, postcode, country, placed_at, modified_at,
                ))  # fmt: skip
                if status != cancelled:
                    orders_count += 1
                    spent += total
                    if first_at is None:
                        first_at = placed_at
                    last_at = placed_at
                    kept_orders.append((order_id, placed_ts))

            # Consent and suppression, with their history.
            first_ts = times[offsets[index]]
            consent, source, consent_at, suppressed_at, reason = False, "", None, None, ""
            events = ()
            r = rand()
            if r < 0.6:
                s = rand()
                source = (
                    ConsentSource.CHECKOUT if s < 0.7
                    else ConsentSource.NEWSLETTER if s < 0.85
                    else ConsentSource.TRACKING_PAGE if s < 0.95
                    else ConsentSource.PREFERENCE_CENTRE
                )  # fmt: skip
                later = 0 if source == ConsentSource.CHECKOUT else rand() * (now - first_ts)
                consent_at = fromtimestamp(first_ts + 5 + later, utc)
                consent = True
                events = ((True, source, consent_at, ""),)
            elif r < 0.675:
                granted_at = fromtimestamp(first_ts + 5, utc)
                consent_at = fromtimestamp(first_ts + 60 + rand() * (now - first_ts - 60), utc)
                if r < 0.66:  # said yes at checkout, unsubscribed later
                    source = ConsentSource.UNSUBSCRIBE
                    note = "Unsubscribe link in a campaign email"
                else:  # the address bounced or complained
                    suppressed_at = consent_at
                    reason = SuppressionReason.BOUNCE if rand() < 0.65 else SuppressionReason.COMPLAINT
                    source = ConsentSource.ESP
                    note = f"Suppressed after a {reason.label.lower()}"
                events = ((True, ConsentSource.CHECKOUT, granted_at, ""), (False, source, consent_at, note))
            for granted, event_source, occurred_at, note in events:
                add_consent((consent_id, store_id, customer_id, granted, event_source, occurred_at, note, occurred_at,
                             occurred_at))  # fmt: skip
                consent_id += 1

            created_at = fromtimestamp(first_ts - 60 - rand() * 600, utc)
            modified_at = max(filter(None, (last_at, consent_at, created_at)))
            add_customer((
                customer_id, store_id, str(6_800_000_000_000 + customer_id), email, first, last, phone, locale,
                place.time_zone, consent, source, consent_at, suppressed_at, reason, orders_count, money(spent),
                first_at, last_at, created_at, modified_at,
            ))  # fmt: skip

            # Carts: some checkouts became the order itself, many buyers left a cart days before they came
            # back and bought, and about a third of customers have a cart waiting today.
            for order_id, placed_ts in kept_orders:
                r = rand()
                if r < 0.12:
                    self._cart(rows, customer_id, email, updated_ts=placed_ts - 120 - rand() * 2400,
                               converted=(order_id, placed_ts))  # fmt: skip
                elif r < 0.37:
                    self._cart(rows, customer_id, email, updated_ts=placed_ts - DAY - rand() * 19 * DAY)
            if showcase:
                self._cart(rows, customer_id, email, updated_ts=self._cart_idle_since(index))
            elif rand() < 0.31:
                self._cart(rows, customer_id, email, updated_ts=self._cart_idle_since())
            if rand() < 0.03:
                guest = f"guest.{next_ids[Cart]}@{EMAIL_DOMAINS[index % 3]}"
                self._cart(rows, None, guest, updated_ts=self._cart_idle_since())
            customer_id += 1

        next_ids[Customer] = customer_id
        next_ids[OrderLine] = line_id
        next_ids[ConsentEvent] = consent_id
        overflow = [model.__name__ for model, last in chunk.last_ids.items() if next_ids[model] > last]
        if overflow:
            raise AssertionError(f"chunk {chunk.number} ran past its id range for {', '.join(overflow)}")
        return rows

    def _shipment(self, rows: Rows, order_id: int, placed_ts: int, status: str, place: Place) -> datetime:
        """One shipment with 2-6 events ending in `status`; returns the time of its last event."""
        rand, now = self.rnd.random, self.now
        fromtimestamp, utc = _fromtimestamp, UTC
        paths = TRACKING_PATHS[status]
        choice = int(rand() * len(paths))
        r = rand()
        source = 0 if r < 0.6 else 1 if r < 0.85 else 2
        key = ((STATUS_NUMBER[status] * 128 + choice) * 1024 + place.number) * 4 + source
        template = self.templates.get(key)
        if template is None:
            template = self.templates[key] = _event_template(paths[choice], place, SOURCE_NAMES[source])
        events, paces, longest, source_name, raw_status, key_prefix = template

        next_ids = self.ids
        shipment_id = next_ids[Shipment]
        event_id = next_ids[TrackingEvent]
        next_ids[Shipment] = shipment_id + 1
        next_ids[TrackingEvent] = event_id + len(events)
        store_id, add_event = self.store_id, self.add_event
        dedupe = f"{key_prefix}{shipment_id:x}-"

        # Label a few hours after the order, then the carrier's pace, squeezed to end before now.
        start = placed_ts + min(2 * HOUR + rand() * 20 * HOUR, (now - placed_ts) * 0.3)
        latest = now - (now - start) * 0.03
        at = shipped_at = fromtimestamp(start, utc)
        add_event((event_id, store_id, shipment_id, at, *events[0], dedupe + "0", at, at))
        if start + longest <= latest:  # the usual case: an old parcel, its story long over
            moment = start
            for number in range(1, len(events)):
                least, spread = paces[number - 1]
                moment += least + rand() * spread
                at = fromtimestamp(moment, utc)
                add_event(
                    (event_id + number, store_id, shipment_id, at, *events[number], dedupe + DIGITS[number], at, at)
                )
        else:
            moments = [start]
            moment = start
            for least, spread in paces:
                moment += least + rand() * spread
                moments.append(moment)
            factor = min(1.0, (latest - start) / (moment - start)) if moment > start else 1.0
            for number in range(1, len(events)):
                at = fromtimestamp(start + (moments[number] - start) * factor, utc)
                add_event(
                    (event_id + number, store_id, shipment_id, at, *events[number], dedupe + DIGITS[number], at, at)
                )

        carriers = place.carriers
        carrier, pattern, digits, url_start, url_end = carriers[int(rand() * len(carriers))]
        tracking_number = pattern.format(n=(shipment_id * 2_654_435_761) % 10**digits)
        estimate = None
        if status is not S.PENDING and status is not S.UNKNOWN:
            estimate = fromtimestamp(start + (2 if place.domestic else 5) * DAY + rand() * 2 * DAY, utc).date()
        self.add_shipment((
            shipment_id, store_id, order_id, str(4_900_000_000_000 + shipment_id), carrier.code, carrier.name,
            tracking_number, f"{url_start}{tracking_number}{url_end}", status, raw_status, source_name,
            shipped_at, estimate, at if status is S.DELIVERED else None, at, shipped_at, at,
        ))  # fmt: skip
        return at

    def _cart_idle_since(self, age: int | None = None) -> float:
        """When an open cart was last touched: `age` picks its place in CART_AGES, or chance does."""
        rand = self.rnd.random
        if age is None:
            age = bisect(CART_AGE_SHARES, rand())
        _, low, high = CART_AGES[min(age, len(CART_AGES) - 1)]
        return self.now - low - rand() * (high - low)

    def _cart(self, rows: Rows, customer_id: int | None, email: str, *, updated_ts: float,
              converted: tuple[int, float] | None = None) -> None:  # fmt: skip
        """A cart last touched at `updated_ts`, abandoned or `converted` into (order id, placed at)."""
        rnd = self.rnd
        rand = rnd.random
        fromtimestamp, utc = _fromtimestamp, UTC
        next_ids = self.ids
        cart_id = next_ids[Cart]
        next_ids[Cart] = cart_id + 1
        converted_order = converted_at = None
        if converted is not None:
            converted_order, placed_ts = converted
            converted_at = fromtimestamp(placed_ts, utc)
        updated_at = fromtimestamp(updated_ts, utc)
        created_at = fromtimestamp(updated_ts - 60 - rand() * 3600, utc)
        token = f"{cart_id:08x}{rnd.getrandbits(96):024x}"
        subtotal = 0
        store_id = self.store_id
        r = rand()
        count = 1 if r < 0.5 else 2 if r < 0.85 else 3
        line_id = next_ids[CartLine]
        next_ids[CartLine] = line_id + count
        for offset, product in enumerate(rnd.sample(self.cart_products, count)):
            quantity = 1 if rand() < 0.85 else 2
            subtotal += product[3] * quantity
            variants = product[5]
            rows.cart_lines.append((
                line_id + offset, store_id, cart_id, product[0], product[1],
                variants[int(rand() * len(variants))] if variants else "", quantity, _money(product[3]),
                product[4], created_at, updated_at,
            ))  # fmt: skip
        rows.carts.append((
            cart_id, store_id, token, customer_id, email, self.currency, _money(subtotal),
            f"{self.site}/checkouts/{token}/recover?key={rnd.getrandbits(64):016x}", updated_at, converted_order,
            converted_at, created_at, converted_at or updated_at,
        ))  # fmt: skip


def _order_days(segment: int, rand) -> list[float]:
    """How many days ago a customer of this behaviour placed each of their orders."""
    if segment == CHAMPION:
        count, last, first = 10 + int(rand() * 18), rand() * 25, 200 + rand() * 348
    elif segment == LOYAL:
        count, last, first = 5 + int(rand() * 8), 3 + rand() * 72, 150 + rand() * 398
    elif segment == REGULAR:
        count, last = 3 + int(rand() * 4), 7 + rand() * 113
        first = min(last + 30 + rand() * 220, HISTORY_DAYS)
    elif segment == NEW:
        return [rand() * 30]
    elif segment == AT_RISK:
        count, last, first = 5 + int(rand() * 6), 120 + rand() * 150, 330 + rand() * 218
    elif segment == HIBERNATING:
        count, last = 1 + int(rand() * 3), 200 + rand() * 200
        first = min(last + 20 + rand() * 100, HISTORY_DAYS)
    else:  # LOST: one order, or two close together, long ago
        first = 400 + rand() * (HISTORY_DAYS - 400)
        return [first] if rand() < 0.5 else [first, first - 10 - rand() * 40]
    if count == 1:
        return [last]
    span = first - last
    return [first, last, *(last + rand() * span for _ in range(count - 2))]


def _shipment_status(age: float, rand) -> str:
    """How far a parcel shipped `age` seconds ago has got."""
    r = rand()
    if age < 0.5 * DAY:
        return S.PENDING if r < 0.25 else S.INFO_RECEIVED
    if age < 2 * DAY:
        return S.INFO_RECEIVED if r < 0.2 else S.IN_TRANSIT if r < 0.95 else S.EXCEPTION
    if age < 4 * DAY:
        if r < 0.55:
            return S.IN_TRANSIT
        if r < 0.70:
            return S.OUT_FOR_DELIVERY
        if r < 0.92:
            return S.DELIVERED
        return S.ATTEMPT_FAILED if r < 0.95 else S.EXCEPTION if r < 0.98 else S.AVAILABLE_FOR_PICKUP
    if age < 10 * DAY:
        if r < 0.80:
            return S.DELIVERED
        if r < 0.88:
            return S.IN_TRANSIT
        if r < 0.92:
            return S.AVAILABLE_FOR_PICKUP
        return S.ATTEMPT_FAILED if r < 0.95 else S.EXCEPTION if r < 0.98 else S.UNKNOWN
    if r < 0.955:
        return S.DELIVERED
    if r < 0.965:
        return S.RETURNED
    if r < 0.975:
        return S.EXCEPTION
    if r < 0.985:
        return S.EXPIRED
    if r < 0.99:
        return S.UNKNOWN
    return S.AVAILABLE_FOR_PICKUP if r < 0.995 else S.ATTEMPT_FAILED


# --- Putting it together -----------------------------------------------------------------------


class _Progress:
    def __init__(self, stdout: TextIO | None) -> None:
        self.stdout = stdout
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(f"{message} · {time.monotonic() - self.started:.0f} s\n")
            flush = getattr(self.stdout, "flush", None)
            if flush:
                flush()


def demo_store_exists() -> bool:
    return Store.objects.filter(slug=DEMO_SLUG).exists()


def demo_store_seed(*, scale: int = DEFAULT_SCALE, reset: bool = False, stdout: TextIO | None = None,
                    seed: int = DEFAULT_SEED) -> dict:  # fmt: skip
    """Build the demo stores; returns row counts, or {"already_seeded": True} when there is nothing to do.

    One transaction: if anything fails, the database is as it was (old demo stores included).
    """
    if scale < 1:
        raise ValueError("scale is the number of customers: 1 or more")
    if demo_store_exists() and not reset:
        return {"already_seeded": True}
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived, acyclic tuples: the cycle collector would double the run time
    try:
        return _seed(scale=scale, reset=reset, stdout=stdout, seed=seed)
    finally:
        if gc_was_enabled:
            gc.enable()


def _seed(*, scale: int, reset: bool, stdout: TextIO | None, seed: int) -> dict:
    progress = _Progress(stdout)
    rnd = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    since = now - timedelta(days=HISTORY_DAYS + 30)
    postgres = connection.vendor == "postgresql"
    counts: dict[str, int] = {}

    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        if reset:
            deleted = _delete_demo_stores()
            if deleted:
                progress(f"removed the old demo stores ({deleted:,} rows)")

        owner = user_get_or_create(email=OWNER_EMAIL, password=DEMO_PASSWORD, first_name="Dana", last_name="Demo")
        manager = user_get_or_create(
            email=MANAGER_EMAIL, password=DEMO_PASSWORD, first_name="Marco", last_name="Bianchi"
        )
        support = user_get_or_create(email=SUPPORT_EMAIL, password=DEMO_PASSWORD, first_name="Sofia", last_name="Kim")
        builders = []
        for profile, customers in ((COFFEE, scale), (TEA, TEA_CUSTOMERS)):
            store = store_create(slug=profile.slug, name=profile.name, **profile.brand)
            Store.objects.filter(pk=store.pk).update(created_at=since)
            membership_grant(store=store, user=owner, role=Role.OWNER)
            if profile is COFFEE:
                membership_grant(store=store, user=manager, role=Role.MANAGER)
                membership_grant(store=store, user=support, role=Role.SUPPORT)
            products = _create_catalogue(store, profile, rnd, since)
            _add(counts, {"stores": 1, "products": len(products)})
            builders.append((store, profile, products, customers))

        lock_tables(BULK_MODELS)
        next_ids = {model: next_id(model) for model in BULK_MODELS}
        pools = _name_pools(seed)
        planned = []
        for store, profile, products, customers in builders:
            builder = StoreBuilder(store=store, profile=profile, products=products, customers=customers,
                                   next_ids=next_ids, seed=seed, pools=pools, now=now)  # fmt: skip
            progress(f"{profile.slug}: planned {builder.order_count:,} orders for {customers:,} customers")
            planned.append(builder)
        defer = postgres and scale >= DEFER_INDEXES_FROM and _worth_rebuilding(scale)
        workers = min(os.cpu_count() or 1, MAX_WORKERS) if postgres and scale >= PARALLEL_FROM else 1
        with constraints_deferred(BULK_MODELS if defer else [], drop_indexes=_random_keys, progress=progress):
            if workers > 1:
                _add(counts, _write_in_workers(planned, workers, progress))
            else:
                _add(counts, _write_here(planned, progress))
            progress("all rows written")
        reset_sequences(BULK_MODELS)

    if postgres:
        with connection.cursor() as cursor:
            for model in BULK_MODELS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    counts["seconds"] = round(time.monotonic() - progress.started, 1)
    return counts


# Columns whose values the seed writes in no particular order: an index leading with one of them (after
# the store) is built afresh after the load; the others (ids, ascending external ids, few distinct
# values) are kept up as rows arrive, which costs less than reading the table again to build them.
RANDOM_ORDER_COLUMNS = {"email", "tracking_token", "number", "placed_at", "created_at", "updated_at",
                        "last_order_at", "carrier", "tracking_number"}  # fmt: skip


def _random_keys(table: str, columns: list[str]) -> bool:
    keys = [column for column in columns if column != "store_id"]
    return bool(keys) and keys[0] in RANDOM_ORDER_COLUMNS


def _write_here(builders: list[StoreBuilder], progress) -> dict[str, int]:
    """Build and write chunk after chunk in this process (COPY runs on a thread meanwhile)."""
    with BulkWriter(typed=True) as writer:
        for builder in builders:
            for chunk in builder.chunks:
                builder.build(chunk).write(writer)
                progress(f"{builder.profile.slug}: customers {chunk.stop:,} / {builder.customers:,}")
    return {name: writer.written.get(model, 0) for name, model, _ in Rows.TABLES}


# What forked workers find in place: the builders and the COPY plans (see _write_in_workers).
_WORK: dict = {}


def _write_in_workers(builders: list[StoreBuilder], workers: int, progress) -> dict[str, int]:
    """Build and encode chunks in worker processes; this process only copies the bytes in, in order.

    Python makes the rows one core at a time; workers let every core do it while PostgreSQL takes
    them in. The workers are forked, so they share the plans, and they never use this process's
    connection: each opens its own, only for psycopg's type adapters.
    """
    plans = {name: copy_plan(model, fields, typed=True) for name, model, fields in Rows.TABLES}
    _WORK.update(builders=builders, plans=plans)
    jobs = iter([(index, chunk) for index, builder in enumerate(builders) for chunk in builder.chunks])
    counts = dict.fromkeys(plans, 0)
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(workers, initializer=_worker_start) as pool:
            pending: deque = deque()

            def submit() -> None:
                job = next(jobs, None)
                if job is not None:
                    pending.append((job, pool.apply_async(_worker_build, job)))

            for _ in range(workers * 2):  # a few chunks ahead, no more: each is tens of megabytes
                submit()
            while pending:
                (index, chunk), result = pending.popleft()
                encoded = result.get()
                submit()
                for name, (data, count) in encoded.items():
                    copy_encoded(plans[name], data)
                    counts[name] += count
                progress(f"{builders[index].profile.slug}: customers {chunk.stop:,} / {builders[index].customers:,}")
    finally:
        _WORK.clear()
    return counts


def _worker_start() -> None:
    gc.disable()
    raw = connection.get_new_connection(connection.get_connection_params())
    _WORK["connection"] = raw
    multiprocessing.util.Finalize(None, raw.close, exitpriority=10)


def _worker_build(index: int, chunk: Chunk) -> dict[str, tuple[bytes, int]]:
    rows = _WORK["builders"][index].build(chunk)
    encoded = {}
    for name, _, _ in Rows.TABLES:
        table_rows = getattr(rows, name)
        if table_rows:
            encoded[name] = (encode_copy(_WORK["connection"], _WORK["plans"][name], table_rows), len(table_rows))
    return encoded


def _add(counts: dict[str, int], more: dict[str, int]) -> None:
    for name, value in more.items():
        counts[name] = counts.get(name, 0) + value


def _worth_rebuilding(scale: int) -> bool:
    """Rebuilding indexes costs the whole table: do it when the load is at least as big as what is there."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(Order._meta.db_table)],
        )
        (existing,) = cursor.fetchone()
    return scale * 4 >= existing


@dataclass
class _StoreRows:
    """One table's share of some stores' data: which rows, and whether that is every row of the table."""

    model: type[models.Model]
    where: str  # SQL condition on the table's own columns
    params: list
    whole_table: bool | None  # None: ask the database


def _is_store_key(field) -> bool:
    return field.name == "store" and field.many_to_one and field.related_model is Store


def _store_tables(store_ids: list[int]) -> list[_StoreRows]:
    """Every table holding rows of these stores, children before the tables they point to.

    Tenant tables (a `store` foreign key) select by store; tables without one (ledger events, many-to-many
    links) by their foreign keys into those. Tables that only the store row itself points at are left to
    the ORM's delete of the store.
    """
    from django.apps import apps

    quote = connection.ops.quote_name
    existing = set(connection.introspection.table_names())
    candidates = [
        model for model in apps.get_models(include_auto_created=True)
        if model._meta.db_table in existing and not model._meta.proxy
    ]  # fmt: skip
    placeholders = ", ".join(["%s"] * len(store_ids))
    found: dict[type[models.Model], _StoreRows] = {}
    for model in candidates:
        store_field = next((f for f in model._meta.concrete_fields if _is_store_key(f)), None)
        if store_field:
            found[model] = _StoreRows(model, f"{quote(store_field.column)} IN ({placeholders})", list(store_ids), None)
    grew = True
    while grew:  # tables pointing into what is found so far
        grew = False
        for model in candidates:
            if model in found:
                continue
            links = [
                f for f in model._meta.concrete_fields
                if f.many_to_one and f.related_model in found and f.related_model is not model
            ]  # fmt: skip
            if not links:
                continue
            conditions, params = [], []
            for link in links:
                parent = found[link.related_model]
                conditions.append(
                    f"{quote(link.column)} IN (SELECT {quote(link.target_field.column)} "
                    f"FROM {quote(parent.model._meta.db_table)} WHERE {parent.where})"
                )
                params += parent.params
            whole = any(not link.null for link in links) and all(found[link.related_model].whole_table is not False
                                                                 for link in links if not link.null)  # fmt: skip
            found[model] = _StoreRows(model, " OR ".join(conditions), params, None if whole else False)
            grew = True

    # Children first: a table goes once nothing left points at it.
    ordered: list[_StoreRows] = []
    remaining = list(found)
    while remaining:
        for model in remaining:
            pointed_at = any(
                f.many_to_one and f.related_model is model
                for other in remaining if other is not model
                for f in other._meta.concrete_fields
            )  # fmt: skip
            if not pointed_at:
                ordered.append(found[model])
                remaining.remove(model)
                break
        else:  # a cycle: the rest in any order, foreign keys are checked at commit
            ordered.extend(found[model] for model in remaining)
            break
    return ordered


def _delete_demo_stores() -> int:
    """Remove both demo stores and everything in them, table by table rather than row by row.

    On PostgreSQL, when those tables hold nothing but the demo stores' rows, they are truncated.
    """
    store_ids = list(Store.objects.filter(slug__in=[DEMO_SLUG, TEA_SLUG]).values_list("pk", flat=True))
    if not store_ids:
        return 0
    quote = connection.ops.quote_name
    tables = _store_tables(store_ids)
    deleted = 0
    if connection.vendor == "postgresql" and _all_theirs(tables, store_ids):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(SUM(GREATEST(reltuples, 0)), 0) FROM pg_class WHERE oid = ANY(%s::regclass[])",
                [[quote(t.model._meta.db_table) for t in tables]],
            )
            estimate = int(cursor.fetchone()[0])
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(quote(t.model._meta.db_table) for t in tables)}")
            deleted = estimate
            tables = []
        except DatabaseError as error:  # something else points into these tables: delete instead
            logger.info("demo seed: deleting instead of truncating (%s)", error)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {quote(table.model._meta.db_table)} WHERE {table.where}", table.params)
            deleted += cursor.rowcount
    # Whatever else hangs off the store rows goes the ordinary way.
    Store.objects.filter(pk__in=store_ids).delete()
    return deleted + len(store_ids)


def _all_theirs(tables: list[_StoreRows], store_ids: list[int]) -> bool:
    """Do these tables hold the stores' rows and nothing else?"""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            if table.whole_table is False:
                return False
            store_field = next((f for f in table.model._meta.concrete_fields if _is_store_key(f)), None)
            if table.whole_table is None and store_field is not None:
                # Ranges around the stores' ids, so the store index answers without reading the table.
                column = quote(store_field.column)
                ids = sorted(store_ids)
                ranges = [f"{column} < %s", f"{column} > %s"]
                params = [ids[0], ids[-1]]
                for low, high in pairwise(ids):
                    ranges.append(f"({column} > %s AND {column} < %s)")
                    params += [low, high]
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {quote(table.model._meta.db_table)} WHERE {' OR '.join(ranges)})",
                    params,
                )
                if cursor.fetchone()[0]:
                    return False
    return True
