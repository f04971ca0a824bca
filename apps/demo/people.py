"""The demo's buyers: names drawn once per locale (Faker), transliterated into email addresses, and the
cities, postcodes, time zones and phone numbers of where they live."""

import unicodedata

# Transliteration for email addresses: Russian and Kazakh Cyrillic, Hangul by syllable parts.
CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ә": "a",
    "ғ": "g",
    "қ": "q",
    "ң": "n",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
    "і": "i",
}
HANGUL_INITIAL = [
    "g",
    "kk",
    "n",
    "d",
    "tt",
    "r",
    "m",
    "b",
    "pp",
    "s",
    "ss",
    "_",
    "j",
    "jj",
    "ch",
    "k",
    "t",
    "p",
    "h",
]
HANGUL_MEDIAL = [
    "a",
    "ae",
    "ya",
    "yae",
    "eo",
    "e",
    "yeo",
    "ye",
    "o",
    "wa",
    "wae",
    "oe",
    "yo",
    "u",
    "wo",
    "we",
    "wi",
    "yu",
    "eu",
    "ui",
    "i",
]
HANGUL_FINAL = [
    "_",
    "k",
    "k",
    "k",
    "n",
    "n",
    "n",
    "t",
    "l",
    "k",
    "m",
    "l",
    "l",
    "l",
    "p",
    "l",
    "m",
    "p",
    "p",
    "t",
    "t",
    "ng",
    "t",
    "t",
    "k",
    "t",
    "p",
    "t",
]
KOREAN_SURNAMES = {
    "김": "kim",
    "이": "lee",
    "박": "park",
    "최": "choi",
    "정": "jung",
    "강": "kang",
    "조": "cho",
    "윤": "yoon",
    "장": "jang",
    "임": "lim",
    "한": "han",
    "오": "oh",
    "서": "seo",
    "신": "shin",
    "권": "kwon",
    "황": "hwang",
    "안": "ahn",
    "송": "song",
    "류": "ryu",
    "전": "jeon",
    "홍": "hong",
    "고": "ko",
    "문": "moon",
    "양": "yang",
    "손": "son",
    "배": "bae",
    "백": "baek",
    "유": "yoo",
}

KAZAKH_MEN = [
    "Нұрлан",
    "Ерлан",
    "Асхат",
    "Дәурен",
    "Ержан",
    "Бауыржан",
    "Қайрат",
    "Серік",
    "Мұрат",
    "Айдос",
    "Темірлан",
    "Әлихан",
    "Ернұр",
    "Арман",
    "Дархан",
    "Жандос",
    "Бекзат",
    "Нұрсұлтан",
    "Азамат",
    "Ғалым",
    "Санжар",
    "Ақжол",
    "Ерасыл",
    "Мирас",
]
KAZAKH_WOMEN = [
    "Айгерім",
    "Әсем",
    "Гүлнар",
    "Жансая",
    "Дана",
    "Меруерт",
    "Ақмарал",
    "Айжан",
    "Сәуле",
    "Динара",
    "Әйгерім",
    "Гүлжан",
    "Аружан",
    "Томирис",
    "Жұлдыз",
    "Камила",
    "Ботагөз",
    "Мөлдір",
    "Назерке",
    "Інжу",
    "Балжан",
    "Аяулым",
]
KAZAKH_SURNAMES = [
    "Нұрланов",
    "Серікбаев",
    "Жұмабаев",
    "Омаров",
    "Сейітов",
    "Тоқаев",
    "Әбдірахманов",
    "Қасымов",
    "Исабеков",
    "Ахметов",
    "Бекмұхамедов",
    "Сұлтанов",
    "Мұхаметжанов",
    "Байжанов",
    "Есенов",
    "Құдайбергенов",
    "Әлиев",
    "Төлеуов",
    "Оспанов",
    "Иманов",
    "Жақсыбеков",
    "Мамыров",
]

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
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved: demo mail can reach nobody


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


def name_pools(seed: int) -> dict[str, dict[str, list[tuple[str, str]]]]:
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
