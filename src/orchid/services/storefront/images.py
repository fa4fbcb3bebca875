"""Product pictures drawn as SVG: the pack's shape from its category, its colour from the shade.

The catalog's image URLs point at a media host that does not exist on this machine, so the shop
draws its own: a lipstick, a dropper bottle, a jar, a compact… in the product's colour, with
the brand on the label. Deterministic: the same product always gets the same picture.

    svg = product_svg(category="lipstick", colour="#B0304A", brand="Pout Theory")
"""

from __future__ import annotations

import hashlib
from html import escape

# Category slug → pack shape; unlisted categories fall back by department (see `shape_of`).
SHAPES: dict[str, str] = {
    **dict.fromkeys(["lipstick"], "lipstick"),
    **dict.fromkeys(["liquid-lipstick", "lip-gloss", "lip-balm"], "gloss"),
    **dict.fromkeys(["kajal", "eyeliner", "lip-liner", "eyebrow-pencil"], "pencil"),
    **dict.fromkeys(["mascara"], "mascara"),
    **dict.fromkeys(["compact", "blush", "highlighter", "eyeshadow"], "compact"),
    **dict.fromkeys(["foundation", "concealer", "primer"], "foundation"),
    **dict.fromkeys(["serums", "face-oils", "hair-serum", "beard-oil", "hair-oil"], "dropper"),
    **dict.fromkeys(["eau-de-parfum", "eau-de-toilette", "attars", "body-mists", "perfumes",
                     "deodorants", "aftershave"], "perfume"),
    **dict.fromkeys(["shampoo", "conditioner", "shower-gel", "body-lotion", "beard-wash",
                     "toners"], "pump"),
    **dict.fromkeys(["face-wash", "sunscreen", "hand-cream", "shaving-cream", "eye-cream",
                     "hair-colour", "men-face-wash", "men-moisturizers"], "tube"),
    **dict.fromkeys(["moisturizers", "night-cream", "face-masks", "body-butter", "hair-masks",
                     "body-scrubs", "beard-balm", "hair-styling"], "jar"),
    **dict.fromkeys(["nail-polish", "nail-polish-remover"], "nail"),
    **dict.fromkeys(["soaps"], "soap"),
    **dict.fromkeys(["multivitamins", "biotin", "collagen", "herbal-supplements",
                     "supplements"], "pills"),
    **dict.fromkeys(["herbal-teas"], "box"),
}
# Colours for packs without a shade, by shape: what such a product usually looks like.
TONES: dict[str, tuple[str, ...]] = {
    "dropper": ("#B5651D", "#8E5A2B", "#C98B3C", "#6F8F72"),
    "perfume": ("#D9A441", "#C77D92", "#6C7FA8", "#8A6F9E", "#B58B5A"),
    "pump": ("#5E9C8F", "#D98C6C", "#8E7CC3", "#4F86A6", "#C4A35A"),
    "tube": ("#F2B8A2", "#8DBFB0", "#F4D06F", "#9DB4D8", "#E7A0B0"),
    "jar": ("#E8C4B8", "#B7D3C4", "#F1D9A7", "#C9B8E3", "#F3B6A8"),
    "soap": ("#F1D9A7", "#C9E4CA", "#F3C6D3", "#D6C3A5"),
    "pills": ("#7BAE7F", "#E4A853", "#D77A61", "#6E8FC9"),
    "box": ("#7BAE7F", "#C98B3C", "#B5838D"),
}
DEFAULT_TONES = ("#C8506E", "#8A6F9E", "#5E9C8F", "#D98C6C")


def shape_of(category: str) -> str:
    """Return the pack shape drawn for a category slug."""
    return SHAPES.get(category, "jar")


def tone_for(*, slug: str, category: str) -> str:
    """Pick a steady colour for a product that has no shade."""
    tones = TONES.get(shape_of(category), DEFAULT_TONES)
    return tones[int(hashlib.sha256(slug.encode()).hexdigest()[:8], 16) % len(tones)]


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _mix(colour: str, other: str, share: float) -> str:
    """Blend `share` of `other` into `colour`."""
    a, b = _rgb(colour), _rgb(other)
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def _ink(colour: str) -> str:
    """Dark or light text, whichever reads on `colour`."""
    r, g, b = _rgb(colour)
    return "#2b2024" if (0.299 * r + 0.587 * g + 0.114 * b) > 150 else "#ffffff"


def _label(x: float, y: float, text: str, colour: str, size: int = 15,
           width: float = 90) -> str:
    """Centre `text` at (x, y), shrunk to fit `width` (a serif glyph is about 0.6 em wide)."""
    fitted = min(size, round(width / (0.62 * max(1, len(text))), 1))
    return (f'<text x="{x}" y="{y}" text-anchor="middle" font-family="Georgia,serif" '
            f'font-size="{fitted}" fill="{colour}">{escape(text)}</text>')


def _lipstick(c: str, dark: str, light: str, brand: str) -> str:
    return (f'<path d="M176 120 L224 96 L224 200 L176 200 Z" fill="{c}"/>'
            f'<path d="M176 120 L188 114 L188 200 L176 200 Z" fill="{light}" opacity=".5"/>'
            '<rect x="166" y="196" width="68" height="36" rx="4" fill="#d8b26e"/>'
            '<rect x="158" y="230" width="84" height="120" rx="8" fill="#2b2024"/>'
            '<rect x="166" y="236" width="10" height="108" rx="5" fill="#fff" opacity=".15"/>'
            + _label(200, 300, brand, "#d8b26e", 12, width=70))


def _gloss(c: str, dark: str, light: str, brand: str) -> str:
    return ('<rect x="178" y="70" width="44" height="90" rx="10" fill="#2b2024"/>'
            '<rect x="172" y="156" width="56" height="200" rx="24" fill="#f4eef0" '
            'stroke="#d9cfd3" stroke-width="3"/>'
            f'<rect x="180" y="176" width="40" height="170" rx="18" fill="{c}"/>'
            f'<rect x="186" y="184" width="8" height="150" rx="4" fill="{light}" opacity=".6"/>'
            + _label(200, 270, brand[:1], _ink(c), 22))


def _pencil(c: str, dark: str, light: str, brand: str) -> str:
    return ('<g transform="rotate(-35 200 200)">'
            '<rect x="186" y="90" width="28" height="230" rx="4" fill="#2b2024"/>'
            '<path d="M186 90 L200 40 L214 90 Z" fill="#e8cfa8"/>'
            f'<path d="M194 62 L200 40 L206 62 Z" fill="{c}"/>'
            f'<rect x="186" y="300" width="28" height="26" rx="4" fill="{c}"/>'
            '<rect x="190" y="120" width="5" height="170" fill="#fff" opacity=".2"/></g>')


def _mascara(c: str, dark: str, light: str, brand: str) -> str:
    return ('<rect x="170" y="60" width="60" height="120" rx="12" fill="#2b2024"/>'
            f'<rect x="166" y="176" width="68" height="180" rx="20" fill="{c}"/>'
            f'<rect x="176" y="188" width="10" height="150" rx="5" fill="{light}" opacity=".5"/>'
            + _label(200, 280, brand, _ink(c), 12, width=58))


def _compact(c: str, dark: str, light: str, brand: str) -> str:
    return ('<ellipse cx="200" cy="150" rx="120" ry="62" fill="#2b2024"/>'
            '<ellipse cx="200" cy="146" rx="104" ry="50" fill="#cdbfc4"/>'
            '<ellipse cx="200" cy="268" rx="124" ry="70" fill="#2b2024"/>'
            f'<ellipse cx="200" cy="262" rx="100" ry="52" fill="{c}"/>'
            f'<ellipse cx="170" cy="248" rx="40" ry="14" fill="{light}" opacity=".55"/>'
            + _label(200, 152, brand, "#2b2024", 14, width=170))


def _foundation(c: str, dark: str, light: str, brand: str) -> str:
    return ('<rect x="184" y="62" width="32" height="28" rx="4" fill="#2b2024"/>'
            '<rect x="170" y="88" width="60" height="40" rx="6" fill="#2b2024"/>'
            '<rect x="140" y="126" width="120" height="226" rx="22" fill="#f4eef0" '
            'stroke="#d9cfd3" stroke-width="3"/>'
            f'<rect x="150" y="170" width="100" height="172" rx="16" fill="{c}"/>'
            '<rect x="158" y="212" width="84" height="46" rx="4" fill="#fff" opacity=".85"/>'
            + _label(200, 241, brand, "#2b2024", 13, width=76))


def _dropper(c: str, dark: str, light: str, brand: str) -> str:
    return ('<ellipse cx="200" cy="70" rx="22" ry="26" fill="#2b2024"/>'
            '<rect x="178" y="86" width="44" height="40" rx="4" fill="#d8b26e"/>'
            f'<rect x="146" y="124" width="108" height="230" rx="26" fill="{c}"/>'
            f'<rect x="156" y="136" width="12" height="200" rx="6" fill="{light}" opacity=".5"/>'
            '<rect x="160" y="200" width="80" height="86" rx="6" fill="#fffaf3"/>'
            + _label(200, 238, brand, "#2b2024", 12, width=72)
            + _label(200, 262, "SERUM", "#8a7a80", 10))


def _perfume(c: str, dark: str, light: str, brand: str) -> str:
    return ('<rect x="176" y="70" width="48" height="56" rx="6" fill="#d8b26e"/>'
            '<rect x="188" y="122" width="24" height="22" fill="#b8924e"/>'
            f'<rect x="120" y="142" width="160" height="200" rx="30" fill="{c}" opacity=".9"/>'
            f'<rect x="136" y="156" width="128" height="172" rx="22" fill="{light}" '
            'opacity=".35"/>'
            + _label(200, 250, brand, _ink(c), 15, width=140)
            + _label(200, 272, "EAU DE PARFUM", _ink(c), 9, width=140))


def _pump(c: str, dark: str, light: str, brand: str) -> str:
    return ('<path d="M200 56 L250 56 L250 68 L212 68 L212 96 L188 96 L188 68 Z" '
            'fill="#2b2024"/>'
            '<rect x="178" y="94" width="44" height="34" rx="6" fill="#2b2024"/>'
            f'<rect x="138" y="126" width="124" height="230" rx="28" fill="{c}"/>'
            f'<rect x="150" y="140" width="12" height="200" rx="6" fill="{light}" opacity=".45"/>'
            '<rect x="158" y="200" width="84" height="90" rx="8" fill="#fff" opacity=".9"/>'
            + _label(200, 242, brand, "#2b2024", 12, width=76))


def _tube(c: str, dark: str, light: str, brand: str) -> str:
    return ('<path d="M150 80 L250 80 L238 300 L162 300 Z" '
            f'fill="{c}"/>'
            f'<rect x="146" y="70" width="108" height="18" rx="3" fill="{dark}"/>'
            '<rect x="172" y="298" width="56" height="54" rx="8" fill="#2b2024"/>'
            f'<path d="M166 96 L178 96 L174 280 L168 280 Z" fill="{light}" opacity=".5"/>'
            + _label(200, 186, brand, _ink(c), 13, width=72))


def _jar(c: str, dark: str, light: str, brand: str) -> str:
    return ('<rect x="118" y="140" width="164" height="48" rx="10" fill="#2b2024"/>'
            f'<rect x="110" y="184" width="180" height="150" rx="30" fill="{c}"/>'
            f'<rect x="124" y="196" width="14" height="124" rx="7" fill="{light}" opacity=".5"/>'
            '<rect x="146" y="228" width="108" height="60" rx="6" fill="#fff" opacity=".9"/>'
            + _label(200, 264, brand, "#2b2024", 13, width=100))


def _nail(c: str, dark: str, light: str, brand: str) -> str:
    return ('<rect x="182" y="60" width="36" height="130" rx="8" fill="#2b2024"/>'
            f'<rect x="140" y="186" width="120" height="160" rx="26" fill="{c}"/>'
            f'<rect x="152" y="198" width="12" height="130" rx="6" fill="{light}" opacity=".6"/>'
            + _label(200, 280, brand[:1], _ink(c), 24))


def _soap(c: str, dark: str, light: str, brand: str) -> str:
    return (f'<rect x="92" y="150" width="216" height="140" rx="56" fill="{c}"/>'
            f'<rect x="112" y="164" width="176" height="112" rx="46" fill="{light}" '
            'opacity=".45"/>'
            + _label(200, 226, brand, _ink(c), 15, width=170))


def _pills(c: str, dark: str, light: str, brand: str) -> str:
    return (f'<rect x="156" y="80" width="88" height="52" rx="8" fill="{dark}"/>'
            '<rect x="136" y="128" width="128" height="226" rx="24" fill="#fffaf3" '
            'stroke="#e6dcd2" stroke-width="3"/>'
            f'<rect x="136" y="190" width="128" height="100" fill="{c}"/>'
            + _label(200, 236, brand, _ink(c), 12, width=112)
            + _label(200, 258, "60 CAPSULES", _ink(c), 9, width=112))


def _box(c: str, dark: str, light: str, brand: str) -> str:
    return (f'<path d="M120 130 L200 96 L280 130 L200 164 Z" fill="{light}"/>'
            f'<path d="M120 130 L200 164 L200 340 L120 306 Z" fill="{c}"/>'
            f'<path d="M280 130 L200 164 L200 340 L280 306 Z" fill="{dark}"/>'
            + _label(160, 240, brand, _ink(c), 12, width=66))


DRAW = {"lipstick": _lipstick, "gloss": _gloss, "pencil": _pencil, "mascara": _mascara,
        "compact": _compact, "foundation": _foundation, "dropper": _dropper,
        "perfume": _perfume, "pump": _pump, "tube": _tube, "jar": _jar, "nail": _nail,
        "soap": _soap, "pills": _pills, "box": _box}


def product_svg(*, category: str, colour: str, brand: str, title: str = "") -> str:
    """Draw a product's pack on a soft backdrop of its own colour, 400 × 400."""
    shape = shape_of(category)
    backdrop = _mix(colour, "#ffffff", 0.86)
    pack = DRAW[shape](colour, _mix(colour, "#000000", 0.35), _mix(colour, "#ffffff", 0.5),
                       brand.upper() if shape in ("compact", "perfume") else brand)
    if "oil" in category:  # the dropper bottle of an oil says so
        pack = pack.replace(">SERUM<", ">OIL<")
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" role="img" '
            f'aria-label="{escape(title or brand)}">'
            f'<rect width="400" height="400" fill="{backdrop}"/>'
            '<ellipse cx="200" cy="362" rx="120" ry="12" fill="#000" opacity=".07"/>'
            f'{pack}</svg>')


def swatch_svg(*, colour: str, title: str = "") -> str:
    """Draw a swatch of the shade as it looks on skin: a soft stroke with a sheen."""
    light, dark = _mix(colour, "#ffffff", 0.45), _mix(colour, "#000000", 0.25)
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" role="img" '
            f'aria-label="{escape(title)} swatch">'
            '<rect width="400" height="400" fill="#f6e7df"/>'
            f'<path d="M70 250 C120 150 250 120 330 150 C350 160 340 190 310 195 '
            f'C240 205 170 240 110 290 C85 310 55 285 70 250 Z" fill="{colour}"/>'
            f'<path d="M120 230 C170 180 240 160 300 165" stroke="{light}" stroke-width="10" '
            'fill="none" stroke-linecap="round" opacity=".6"/>'
            f'<circle cx="300" cy="290" r="36" fill="{colour}" stroke="{dark}" '
            'stroke-width="4"/></svg>')
