"""Deterministic demo data: brands, the category tree, products and customers, no database."""

import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import accumulate

from orchid.seed.vocabulary import (
    AYURVEDIC,
    BENEFITS,
    BRANDS,
    CARE_ADJECTIVES,
    CARE_OPENERS,
    CATEGORY_TREE,
    CITIES,
    CLAIMS,
    CONCERNS,
    EMAIL_DOMAINS,
    FAMILY_NOTES,
    FINISH_WORDS,
    FORMULATION_WORDS,
    GENDER_LEAN,
    KEYWORDS,
    LEAVES,
    LINES,
    MAKEUP_COMFORT,
    MAKEUP_PAYOFF,
    NAMES,
    PALETTES,
    SCENT_FAMILY,
    SUPPORTING,
    BrandSpec,
    LeafSpec,
)

# Fixed, not "now", so the same seed gives the same rows on any day.
REFERENCE_DATE = datetime(2026, 1, 1, tzinfo=UTC)
IMAGE_BASE = "https://img.orchid.example/p"


@dataclass(frozen=True, slots=True)
class BrandRow:
    """A brand to insert."""

    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class CategoryRow:
    """A category to insert; `parent_slug` is None for a top-level department."""

    slug: str
    name: str
    parent_slug: str | None


@dataclass(frozen=True, slots=True)
class VariantRow:
    """A purchasable shade or size of a product, priced in integer paise."""

    sku: str
    name: str
    shade_hex: str | None
    size: str | None
    mrp_paise: int
    price_paise: int


@dataclass(frozen=True, slots=True)
class ProductRow:
    """A product to insert, always in a leaf category, with its variants."""

    slug: str
    name: str
    brand_slug: str
    category_slug: str
    description: str
    attributes: dict[str, list[str]]
    images: list[str]
    created_at: datetime
    rating_x10: int
    variants: list[VariantRow]


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """A customer with one delivery address."""

    email: str
    phone: str
    name: str
    city: str
    state: str
    pincode: str


_APOSTROPHES = re.compile(r"['\u2019]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Turn a display name into a lower-case ASCII slug."""
    # Apostrophes are dropped rather than split on, so "L'Oréal" becomes "loreal", not "l-oreal".
    text = _APOSTROPHES.sub("", text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")


def brands() -> list[BrandRow]:
    """Return the fictional brands, in a stable order."""
    return [BrandRow(slug=slugify(spec.name), name=spec.name) for spec in BRANDS]


def categories() -> list[CategoryRow]:
    """Return the category tree, every parent before its children."""
    return [CategoryRow(slug, name, parent) for slug, name, parent in CATEGORY_TREE]


# --- products ----------------------------------------------------------------------------------

_DEPARTMENT_WEIGHTS = (6, 3, 1)  # a brand's first department carries most of its range
_LINE_RATE = 0.35
_SIZE_EXPONENT = 0.7  # bigger packs cost less per ml, as on any Indian shelf
_SPREAD_SECONDS = 2 * 365 * 24 * 3600
_DISCOUNTS = (5, 10, 10, 15, 15, 20, 20, 25, 25, 30, 30, 35, 40, 45, 50)
# Vocabulary mixes spellings; each brand's house style picks one side of every pair.
_SPELLINGS = (("Moisturiz", "Moisturis"), ("Color", "Colour"), ("flavored", "flavoured"),
              ("Defense", "Defence"))
_KEYWORD_RE = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(KEYWORDS, key=len, reverse=True)) + r")\b"
)
_WORD = re.compile(r"[a-zè]+")
_LETTERS = re.compile(r"[^\W\d_]+")
_FACE_MAKEUP = frozenset({"foundation", "concealer", "compact", "primer"})


@dataclass(frozen=True, slots=True)
class _Brand:
    spec: BrandSpec
    slug: str
    cum_weights: tuple[int, ...]
    lines: dict[str, tuple[str, ...]]


@cache
def _brand_table() -> tuple[_Brand, ...]:
    table: list[_Brand] = []
    for spec in BRANDS:
        slug = slugify(spec.name)
        # Seeded by the slug, not the caller's seed, so a brand keeps its lines across datasets.
        pick = random.Random(f"lines:{slug}")
        lines = {dept: tuple(pick.sample(LINES[dept], 2)) for dept in spec.departments}
        weights = tuple(accumulate(_DEPARTMENT_WEIGHTS[: len(spec.departments)]))
        table.append(_Brand(spec, slug, weights, lines))
    return tuple(table)


@cache
def _leaves_by_department() -> dict[str, tuple[tuple[str, ...], tuple[int, ...]]]:
    parent_of = {slug: parent for slug, _, parent in CATEGORY_TREE}
    grouped: dict[str, list[str]] = {}
    for slug in LEAVES:
        top = slug
        while (up := parent_of[top]) is not None:
            top = up
        grouped.setdefault(top, []).append(slug)
    return {
        dept: (tuple(slugs), tuple(accumulate(LEAVES[s].weight for s in slugs)))
        for dept, slugs in grouped.items()
    }


@cache
def _keywords_in(text: str) -> tuple[str, ...]:
    # Cached: names repeat a few thousand qualifier/type pairs, and regex scans add up at 1 M rows.
    return tuple(dict.fromkeys(_KEYWORD_RE.findall(text.lower())))


def _spell(text: str, british: bool) -> str:
    for american, english in _SPELLINGS:
        text = text.replace(american, english) if british else text.replace(english, american)
    return text


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def _price_point(rupees: float) -> int:
    """Round to a shelf price ending in 9: 99, 149, 499, 1,299 ..."""
    step = 10 if rupees < 150 else 50 if rupees < 1000 else 100
    return max(step, round(rupees / step) * step) - 1


def _variants(rng: random.Random, index: int, leaf: LeafSpec) -> list[VariantRow]:
    low, high = leaf.price
    base = low * (high / low) ** rng.random()  # log-uniform: cheap items outnumber premium ones
    off = 0 if rng.random() < 0.3 else rng.choice(_DISCOUNTS)
    stem = f"ORC-{_base36(index):0>6}"

    def priced(rupees: float) -> tuple[int, int]:
        mrp = _price_point(rupees)
        price = min(mrp, max(1, round(mrp * (100 - off) / 100)))
        return mrp * 100, price * 100

    if leaf.palette is not None:
        palette = PALETTES[leaf.palette]
        shades = rng.sample(palette, rng.randint(3, min(12, len(palette))))
        mrp, price = priced(base)
        return [
            VariantRow(f"{stem}-{n:02d}", shade, hex_code, leaf.sizes[0], mrp, price)
            for n, (shade, hex_code) in enumerate(shades, start=1)
        ]
    wanted = min(len(leaf.sizes), rng.choices((1, 2, 3), weights=(5, 3, 2))[0])
    start = rng.randrange(len(leaf.sizes) - wanted + 1)
    smallest = float(leaf.sizes[0].split()[0])
    rows: list[VariantRow] = []
    for n, size in enumerate(leaf.sizes[start : start + wanted], start=1):
        mrp, price = priced(base * (float(size.split()[0]) / smallest) ** _SIZE_EXPONENT)
        rows.append(VariantRow(f"{stem}-{n:02d}", size, None, size, mrp, price))
    return rows


def _pick_word(table: dict[str, str], text: str, allowed: tuple[str, ...]) -> str | None:
    for word in _WORD.findall(text.lower()):
        if table.get(word) in allowed:
            return table[word]
    return None


def _attributes(
    rng: random.Random, brand: _Brand, dept: str, leaf_slug: str, qualifier: str, kind: str
) -> dict[str, list[str]]:
    leaf = LEAVES[leaf_slug]
    words = _keywords_in(f"{qualifier} {kind}")
    attrs: dict[str, list[str]] = {}
    if dept in CONCERNS:
        found = [c for w in words for c in KEYWORDS[w][1] if c in CONCERNS[dept]]
        attrs["concern"] = list(dict.fromkeys(found))[:3] or [rng.choice(CONCERNS[dept])]
    if dept in ("skincare", "men", "bath-body") or leaf_slug in _FACE_MAKEUP:
        concern = attrs.get("concern", [""])[0]
        skin = {"acne": ["oily", "combination"], "dryness": ["dry", "normal"]}.get(concern)
        pool = ["oily", "dry", "combination", "normal", "sensitive"]
        attrs["skin_type"] = skin or rng.sample(pool, rng.randint(1, 3))
    if dept == "haircare":
        attrs["hair_type"] = rng.sample(["straight", "wavy", "curly", "coily"], rng.randint(1, 3))
    if leaf.finishes:
        finish = _pick_word(FINISH_WORDS, f"{qualifier} {kind}", leaf.finishes)
        attrs["finish"] = [finish or rng.choice(leaf.finishes)]
    formulation = _pick_word(FORMULATION_WORDS, kind, leaf.formulation)
    attrs["formulation"] = [formulation or rng.choice(leaf.formulation)]
    if qualifier in SCENT_FAMILY:
        attrs["fragrance_family"] = [SCENT_FAMILY[qualifier]]
    if brand.spec.for_men or dept == "men" or qualifier == "Men's":
        attrs["gender"] = ["men"]
    elif qualifier == "Women's":
        attrs["gender"] = ["women"]
    elif dept == "fragrance":
        weights = GENDER_LEAN.get(SCENT_FAMILY.get(qualifier, ""), (4, 3, 3))
        attrs["gender"] = rng.choices([["women"], ["men"], ["unisex"]], weights=weights)[0]
    prefs = ["ayurvedic"] if any(w in f"{qualifier} {kind}".lower() for w in AYURVEDIC) else []
    extra = ["vegan", "cruelty-free", "paraben-free"]
    if dept != "fragrance" and qualifier not in SCENT_FAMILY:
        extra.append("fragrance-free")
    prefs += rng.sample(extra, rng.randint(0, 2))
    if prefs:
        attrs["preference"] = prefs
    return attrs


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _description(
    rng: random.Random, name: str, dept: str, kind: str, words: tuple[str, ...],
    attrs: dict[str, list[str]], shade_count: int,
) -> str:
    actives = [i for w in words if (i := KEYWORDS[w][0]) is not None]
    support = [s for s in SUPPORTING[dept] if s not in actives]
    ingredients = (actives + rng.sample(support, 2))[:3]
    if dept == "fragrance":
        family = attrs.get("fragrance_family", ["musky"])[0]
        top, base = FAMILY_NOTES[family]
        who = {"women": "for her", "men": "for him", "unisex": "to share"}[attrs["gender"][0]]
        return (f"{name} opens with {top} and settles into {base}. "
                f"A {family} scent {who}, it lasts for hours on skin and clothes.")
    if dept == "makeup":
        finish = attrs.get("finish", ["natural"])[0]
        closing = f" Available in {shade_count} shades." if shade_count else ""
        return (f"{name} gives a {finish} finish with {rng.choice(MAKEUP_PAYOFF)}. "
                f"Enriched with {_join(ingredients)}, it {rng.choice(MAKEUP_COMFORT)}.{closing}")
    benefit = BENEFITS.get(attrs.get("concern", [""])[0], "supports everyday wellbeing")
    first = (f"{name} is a {rng.choice(CARE_ADJECTIVES)} {kind.lower()} "
             f"{rng.choice(CARE_OPENERS)} {_join(ingredients)}.")
    if dept == "wellness":
        return f"{first} It {benefit} as part of a balanced diet and routine."
    if "skin_type" in attrs:
        second = f" It {benefit} and suits {_join(attrs['skin_type'])} skin."
    elif "hair_type" in attrs:
        second = f" It {benefit} and suits {_join(attrs['hair_type'])} hair."
    else:
        second = f" It {benefit}."
    return first + second + (f" {rng.choice(CLAIMS)}" if rng.random() < 0.6 else "")


def _clashes(qualifier: str, brand_name: str, kind: str) -> bool:
    words = {w for w in _LETTERS.findall(qualifier.lower()) if len(w) > 2}
    others = _LETTERS.findall(f"{brand_name} {kind}".lower())
    return not words.isdisjoint(others)


def _name(rng: random.Random, brand: _Brand, dept: str, leaf: LeafSpec) -> tuple[str, str, str]:
    """Return (name, qualifier, type): brand, an optional line, an optional qualifier, type."""
    kind = rng.choice(leaf.types)
    if brand.spec.for_men:
        kind = kind.removesuffix(" for Men")  # "Men's Grooming Co. Face Wash for Men" says it twice
    qualifier = rng.choice(leaf.qualifiers) if rng.random() < leaf.qualifier_rate else ""
    if qualifier and _clashes(qualifier, brand.spec.name, kind):
        # Redraw from the rest: "Saffron Sutra Saffron Serum" and "Shine Shine" read as bugs.
        fits = [q for q in leaf.qualifiers if not _clashes(q, brand.spec.name, kind)]
        qualifier = rng.choice(fits) if fits else ""
    if brand.spec.for_men and qualifier == "Women's":
        qualifier = "Men's"
    line = rng.choice(brand.lines[dept]) if rng.random() < _LINE_RATE else ""
    line, qualifier, kind = (_spell(part, brand.spec.british) for part in (line, qualifier, kind))
    name = " ".join(part for part in (brand.spec.name, line, qualifier, kind) if part)
    return name, qualifier, kind


def _next_slug(base: str, taken: dict[str, int]) -> str:
    # Every emitted slug is a key, so "x-2" cannot clash with a later name that slugifies to "x-2".
    if base not in taken:
        taken[base] = 2
        return base
    n = taken[base]
    while f"{base}-{n}" in taken:
        n += 1
    taken[base] = n + 1
    taken[f"{base}-{n}"] = 2
    return f"{base}-{n}"


def generate_products(count: int, seed: int) -> Iterator[ProductRow]:
    """Yield `count` products lazily; the same seed always yields the same products."""
    rng = random.Random(seed)
    table = _brand_table()
    leaves = _leaves_by_department()
    taken: dict[str, int] = {}
    for index in range(count):
        brand = rng.choice(table)
        dept = rng.choices(brand.spec.departments, cum_weights=brand.cum_weights)[0]
        slugs, cum = leaves[dept]
        leaf_slug = rng.choices(slugs, cum_weights=cum)[0]
        leaf = LEAVES[leaf_slug]
        name, qualifier, kind = _name(rng, brand, dept, leaf)
        slug = _next_slug(slugify(name), taken)
        variants = _variants(rng, index, leaf)
        attrs = _attributes(rng, brand, dept, leaf_slug, qualifier, kind)
        shade_count = len(variants) if leaf.palette else 0
        words = _keywords_in(f"{qualifier} {kind}")
        description = _description(rng, name, dept, kind, words, attrs, shade_count)
        images = [f"{IMAGE_BASE}/{slug}/{n}.jpg" for n in range(1, rng.randint(1, 4) + 1)]
        created_at = REFERENCE_DATE - timedelta(seconds=rng.randrange(1, _SPREAD_SECONDS))
        rating = round(rng.triangular(30, 50, 44))  # most products sit around 4.2-4.5 stars
        yield ProductRow(slug, name, brand.slug, leaf_slug, description, attrs, images,
                         created_at, rating, variants)


# --- customers ---------------------------------------------------------------------------------

_PHONE_BASE = 6_000_000_000  # Indian mobile numbers start with 6, 7, 8 or 9
_PHONE_SPACE = 4_000_000_000
# Odd and not a multiple of 5, so coprime with the space: index -> number is a bijection and
# phones are unique without remembering the ones already issued.
_PHONE_STRIDE = 2_654_435_761
_CITY_WEIGHTS = tuple(accumulate(city[4] for city in CITIES))


def _email_local(rng: random.Random, first: str, last: str) -> str:
    f, last_ = (re.sub(r"[^a-z]", "", part.lower()) for part in (first, last))
    return rng.choice((f"{f}.{last_}", f"{f}_{last_}", f"{f}{last_}", f"{f[0]}{last_}",
                       f"{f}.{last_[0]}"))


def generate_customers(count: int, seed: int) -> Iterator[CustomerRow]:
    """Yield `count` Indian customers lazily with unique emails and phones."""
    rng = random.Random(seed)
    offset = rng.randrange(_PHONE_SPACE)
    # The local part has no digits and the number no leading zero, so a fresh number per local
    # part keeps emails unique while remembering only one counter per name pattern.
    last_number: dict[str, int] = {}
    for index in range(count):
        firsts, lasts = rng.choice(NAMES)
        first, last = rng.choice(firsts), rng.choice(lasts)
        local = _email_local(rng, first, last)
        number = last_number.get(local, 0) + rng.randint(1, 40)
        last_number[local] = number
        email = f"{local}{number}@{rng.choice(EMAIL_DOMAINS)}"
        phone = f"+91{_PHONE_BASE + (index * _PHONE_STRIDE + offset) % _PHONE_SPACE}"
        city, state, low, high, _ = rng.choices(CITIES, cum_weights=_CITY_WEIGHTS)[0]
        yield CustomerRow(email, phone, f"{first} {last}", city, state, str(rng.randint(low, high)))
