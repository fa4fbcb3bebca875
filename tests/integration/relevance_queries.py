"""The relevance set: queries over the seeded demo catalogue and what a good answer contains.

A judgement says which hits are relevant (binary gains), from what a shopper sees: the name,
the brand and the category. Misspellings share the judgement of the word meant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orchid.seed.vocabulary import CATEGORY_TREE
from orchid.services.search.schemas import SearchHit
from orchid.services.search.text import fold

Judge = Callable[[SearchHit], bool]
_PARENT = {slug: parent for slug, _, parent in CATEGORY_TREE}


def path(category: str) -> list[str]:
    """Return the category slugs from `category` up to its department."""
    out = [category]
    while (parent := _PARENT.get(out[-1])) is not None:
        out.append(parent)
    return out


def named(*fragments: str) -> Judge:
    """Relevant when the folded name contains every fragment."""
    return lambda hit: all(f in fold(hit.name) for f in fragments)


def brand(slug: str, *fragments: str) -> Judge:
    """Relevant when the brand is `slug` (and the name has the fragments)."""
    return lambda hit: hit.brand.slug == slug and named(*fragments)(hit)


def under(category: str) -> Judge:
    """Relevant when the product sits in `category` or below it."""
    return lambda hit: category in path(hit.category)


@dataclass(frozen=True)
class Case:
    """One query and its judgement."""

    q: str
    relevant: Judge
    kind: str


CASES: list[Case] = [
    *(Case(q, named(fragment), "type") for q, fragment in [
        ("lipstick", "lipstick"), ("kajal", "kajal"), ("mascara", "mascara"),
        ("eyeliner", "eyeliner"), ("foundation", "foundation"), ("concealer", "concealer"),
        ("nail polish", "nail"), ("lip balm", "lip balm"), ("face wash", "face wash"),
        ("sunscreen", "sunscreen"), ("serum", "serum"), ("shampoo", "shampoo"),
        ("conditioner", "conditioner"), ("hair oil", "hair oil"), ("body lotion", "body lotion"),
        ("beard oil", "beard"), ("deodorant", "deodorant"), ("body mist", "body mist"),
        ("attar", "attar"), ("eau de parfum", "eau de parfum"), ("herbal tea", "tea"),
        ("biotin", "biotin"), ("toner", "toner")]),
    *(Case(q, judge, "brand") for q, judge in [
        ("pout theory", brand("pout-theory")), ("velvet kohl", brand("velvet-kohl")),
        ("amla grove", brand("amla-grove")), ("beard baron", brand("beard-baron")),
        ("l'amour botanique", brand("lamour-botanique")),
        ("creme lumiere", brand("creme-lumiere")), ("sundari naturals", brand("sundari-naturals")),
        ("attar mahal", brand("attar-mahal")), ("pout theory lipstick",
                                                brand("pout-theory", "lipstick")),
        ("amla grove hair oil", brand("amla-grove", "hair oil"))]),
    *(Case(q, under(slug), "category") for q, slug in [
        ("skincare", "skincare"), ("haircare", "haircare"), ("makeup", "makeup"),
        ("fragrance", "fragrance"), ("wellness", "wellness"), ("perfumes", "perfumes"),
        ("supplements", "supplements")]),
    *(Case(q, judge, "misspelling") for q, judge in [
        ("lipstik", named("lipstick")), ("niacinamde", named("niacinamide")),
        ("moisturiser", named("moisturi")), ("moisturizer", named("moisturi")),
        ("sunscren", named("sunscreen")), ("shampo", named("shampoo")),
        ("mascra", named("mascara")), ("foundaton", named("foundation")),
        ("eyelinr", named("eyeliner")), ("concealar", named("concealer"))]),
    *(Case(q, named(*fragments), "attribute") for q, fragments in [
        ("niacinamide serum", ("niacinamide", "serum")), ("vitamin c", ("vitamin c",)),
        ("matte lipstick", ("matte", "lipstick")), ("waterproof mascara", ("waterproof",
                                                                          "mascara")),
        ("sulphate free shampoo", ("sulphate-free", "shampoo")),
        ("aloe vera", ("aloe vera",)), ("onion hair oil", ("onion", "hair oil"))]),
    *(Case(q, named(fragment), "prefix") for q, fragment in [
        ("lipst", "lipstick"), ("moistu", "moisturi"), ("sunscr", "sunscreen")]),
]
