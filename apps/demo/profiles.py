"""The two demo shops: who they are, what they sell, how they ship, and the people who run them.

Store `demo` (Northwind Coffee Roasters) gets the seed's `--scale` customers; store `demo-tea` a few, so the
store switcher has something to show. demo@example.com owns both; manager@example.com and
support@example.com help in `demo`. Every password is "demo". Nothing here needs the demo extra
(factory-boy), so the management command can name these without it.
"""

from dataclasses import dataclass

DEMO_SLUG = "demo"
TEA_SLUG = "demo-tea"
DEMO_PASSWORD = "demo"
OWNER_EMAIL = "demo@example.com"
MANAGER_EMAIL = "manager@example.com"
SUPPORT_EMAIL = "support@example.com"
DEFAULT_SCALE = 300
DEFAULT_SEED = 20_240_601
TEA_CUSTOMERS = 25

DAY = 86_400
HOUR = 3_600
HISTORY_DAYS = 548  # eighteen months


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
