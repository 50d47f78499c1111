"""The demo's vocabulary: names, places, companies, pages, campaigns and their weights.

A flat table of constants (no logic), so the generator modules stay short. Weights need not sum
to one; `weights()` normalises them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np

FIRST_NAMES: Final = (
    "Ana", "Bruno", "Carla", "Daniel", "Elena", "Felipe", "Grace", "Hiro", "Isabel", "James",
    "Kavya", "Liam", "Maria", "Noah", "Olivia", "Priya", "Quinn", "Rafael", "Sofia", "Tomas",
    "Uma", "Victor", "Wen", "Xavier", "Yuki", "Zara", "Aisha", "Ben", "Chloe", "Dewi",
    "Emeka", "Fatima", "Gabriel", "Hana", "Ivan", "Julia", "Kenji", "Lucas", "Mei", "Nadia",
    "Omar", "Paula", "Ravi", "Sara", "Thanh", "Lina", "Arjun", "Budi", "Camille", "Diego",
)  # fmt: skip
LAST_NAMES: Final = (
    "Silva", "Smith", "Garcia", "Muller", "Rossi", "Tanaka", "Kumar", "Santos", "Nguyen", "Brown",
    "Martin", "Lopez", "Schmidt", "Dubois", "Sato", "Patel", "Wijaya", "Okafor", "Jones", "Costa",
    "Fischer", "Moreau", "Suzuki", "Sharma", "Pratama", "Adeyemi", "Taylor", "Ferreira", "Weber",
    "Lefebvre", "Ito", "Singh", "Hartono", "Eze", "Wilson", "Oliveira", "Wagner", "Bernard",
    "Kobayashi", "Reddy",
)  # fmt: skip

# code, calling code, currency, language, weight, cities
COUNTRIES: Final = (
    ("US", "1", "USD", "en", 22, ("New York", "San Francisco", "Austin", "Chicago", "Seattle")),
    ("GB", "44", "GBP", "en", 8, ("London", "Manchester", "Bristol", "Edinburgh")),
    ("DE", "49", "EUR", "de", 7, ("Berlin", "Munich", "Hamburg", "Cologne")),
    ("FR", "33", "EUR", "fr", 6, ("Paris", "Lyon", "Marseille", "Toulouse")),
    ("ES", "34", "EUR", "es", 5, ("Madrid", "Barcelona", "Valencia", "Seville")),
    ("BR", "55", "BRL", "pt", 10, ("Sao Paulo", "Rio de Janeiro", "Belo Horizonte", "Recife")),
    ("MX", "52", "MXN", "es", 6, ("Mexico City", "Guadalajara", "Monterrey")),
    ("IN", "91", "INR", "en", 10, ("Mumbai", "Bengaluru", "Delhi", "Hyderabad", "Pune")),
    ("ID", "62", "IDR", "id", 9, ("Jakarta", "Surabaya", "Bandung", "Medan")),
    ("JP", "81", "JPY", "ja", 5, ("Tokyo", "Osaka", "Fukuoka")),
    ("TH", "66", "THB", "th", 4, ("Bangkok", "Chiang Mai", "Phuket")),
    ("NG", "234", "NGN", "en", 4, ("Lagos", "Abuja", "Ibadan")),
    ("AU", "61", "AUD", "en", 4, ("Sydney", "Melbourne", "Brisbane")),
)

COMPANIES: Final = (
    ("Acme", "acme.com"), ("Globex", "globex.io"), ("Initech", "initech.com"),
    ("Umbrella Foods", "umbrellafoods.com"), ("Stark Logistics", "starklogistics.com"),
    ("Wayne Retail", "wayneretail.com"), ("Hooli", "hooli.com"), ("Pied Piper", "piedpiper.com"),
    ("Nusantara Tech", "nusantara.id"), ("Sakura Works", "sakuraworks.jp"),
    ("Lumen Health", "lumenhealth.com"), ("Verde Energia", "verdeenergia.com.br"),
    ("Nordwind GmbH", "nordwind.de"), ("Maison Claire", "maisonclaire.fr"),
    ("Bright Path Ltd", "brightpath.co.uk"), ("Lagos Digital", "lagosdigital.ng"),
)  # fmt: skip
FREE_MAIL: Final = ("gmail.com", "yahoo.com", "outlook.com", "proton.me", "icloud.com")

# primary channel of a person (where they first reach us) and its weight
PRIMARY_CHANNELS: Final = {
    "web": 26, "email": 20, "whatsapp": 18, "instagram": 8, "sms": 6, "telegram": 5,
    "facebook": 5, "widget": 5, "line": 3, "tiktok": 4,
}  # fmt: skip
SOCIAL_CHANNELS: Final = ("instagram", "telegram", "line", "facebook", "tiktok", "widget")

LIFECYCLE_WEIGHTS: Final = {
    "subscriber": 30, "lead": 25, "qualified": 15, "customer": 22, "churned": 8,
}  # fmt: skip
SOURCE_WEIGHTS: Final = {"organic": 40, "ads": 30, "broadcast": 15, "added_by_admin": 15}
PLATFORM_WEIGHTS: Final = {"web": 55, "mobile": 45}
PLAN_WEIGHTS: Final = {"free": 70, "pro": 22, "team": 8}
PLAN_PRICE: Final = {"free": 0.0, "pro": 29.0, "team": 99.0}

# path, title, weight (pricing/signup/docs are what segments and funnels look at)
PAGES: Final = (
    ("/", "Home", 30), ("/pricing", "Pricing", 14), ("/signup", "Sign up", 6),
    ("/docs", "Documentation", 10), ("/docs/getting-started", "Getting started", 7),
    ("/docs/api", "API reference", 4), ("/features", "Features", 9), ("/blog", "Blog", 8),
    ("/blog/customer-stories", "Customer stories", 4), ("/contact", "Contact", 3),
    ("/checkout", "Checkout", 3), ("/account", "Account", 5),
)  # fmt: skip
SITE: Final = "https://kith.example"
REFERRERS: Final = {
    "": 40, "https://www.google.com/": 30, "https://www.instagram.com/": 8,
    "https://www.facebook.com/": 7, "https://t.co/": 5, "https://news.ycombinator.com/": 4,
    "https://www.tiktok.com/": 6,
}  # fmt: skip

# campaign name, channel, template, share of reachable people targeted
CAMPAIGNS: Final = (
    ("Welcome Series", "email", "welcome_v2", 0.9),
    ("Spring Sale", "email", "sale_banner", 0.7),
    ("Product Launch", "whatsapp", "launch_card", 0.8),
    ("Flash Deal", "sms", "flash_short", 0.75),
    ("Webinar Invite", "email", "webinar", 0.5),
    ("Loyalty Rewards", "whatsapp", "loyalty_points", 0.6),
    ("Re-engagement", "email", "we_miss_you", 0.6),
    ("Cart Reminder", "sms", "cart_nudge", 0.5),
    ("Monthly Newsletter", "email", "newsletter", 0.85),
)
# per channel: P(delivered | sent), P(read | delivered), P(clicked | read)
FUNNEL_RATES: Final = {
    "email": (0.96, 0.42, 0.22),
    "whatsapp": (0.98, 0.78, 0.30),
    "sms": (0.95, 0.55, 0.12),
}

FORMS: Final = {"newsletter": 45, "contact": 25, "demo_request": 20, "webinar": 10}
# the fields each form asks for (its `fields` payload)
FORM_FIELDS: Final = {
    "newsletter": "email",
    "contact": "name,email,message",
    "demo_request": "name,email,company,team_size",
    "webinar": "name,email",
}
# the label of the link a campaign's message carries to its landing page
LINK_LABELS: Final = {"/pricing": "See pricing", "/signup": "Start your free trial"}
# share of the people who read a campaign message and answer it on its channel
REPLY_RATES: Final = {"email": 0.03, "whatsapp": 0.18, "sms": 0.07}
REPLIES: Final = {
    "Thanks!": 30,
    "How much is the pro plan?": 20,
    "Can someone call me?": 15,
    "Is this offer still on?": 20,
    "Please stop sending these": 5,
    "I already bought it": 10,
}
SIGNUP_METHODS: Final = {"email": 55, "google": 30, "github": 10, "apple": 5}
TICKET_TOPICS: Final = {"billing": 30, "bug": 25, "how_to": 30, "account": 15}
TICKET_PRIORITIES: Final = {"low": 40, "normal": 45, "high": 15}
CSAT_WEIGHTS: Final = (4, 6, 15, 35, 40)  # scores 1..5


# A missing value for np.where: numpy's types take an array where a bare None would do.
MISSING: Final = np.array(None, dtype=object)


def weights(values: Mapping[str, float] | tuple[float, ...]) -> np.ndarray:
    """Probabilities from relative weights (a dict's values, in order, or a tuple)."""
    raw = np.asarray(list(values.values()) if isinstance(values, Mapping) else values, dtype=float)
    return raw / raw.sum()
