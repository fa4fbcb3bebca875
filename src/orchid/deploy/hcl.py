"""Terraform values as HCL text laid out the way `terraform fmt` lays them out, so a generated
.tf file passes `terraform fmt -check` as written.

    attribute("event_topics", {"orders": {"publishers": ["relay"]}}, indent=1)

An object whose values are all plain (strings, numbers, booleans, lists of them, empty objects)
stays on one line; any other object opens a block. Like `terraform fmt`, the `=` of consecutive
one-line attributes are aligned, and a block-valued attribute ends the run.
"""

from __future__ import annotations

import json
from typing import Any

INDENT = "  "


def literal(value: Any) -> str:
    """A plain value as an HCL literal (strings JSON-quoted: HCL's escapes are JSON's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{key(k)} = {literal(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no HCL literal for {type(value).__name__}")


def key(name: str) -> str:
    """An object key: bare when it is an identifier (hyphens allowed), quoted otherwise."""
    bare = name.replace("-", "").replace("_", "").isalnum() and not name[0].isdigit()
    return name if bare else json.dumps(name)


def _plain(value: Any) -> bool:
    """Written on one line: anything but an object holding a non-empty object."""
    if not isinstance(value, dict):
        return True
    return all(not isinstance(v, dict) or not v for v in value.values())


def attribute(name: str, value: Any, *, indent: int) -> list[str]:
    """The lines of `name = value` at `indent` levels."""
    return _attributes({name: value}, indent)


def _attributes(values: dict[str, Any], indent: int) -> list[str]:
    pad = INDENT * indent
    lines: list[str] = []
    run: list[tuple[str, str]] = []  # one-line attributes awaiting their alignment

    def flush() -> None:
        width = max((len(k) for k, _ in run), default=0)
        lines.extend(f"{pad}{k.ljust(width)} = {text}" for k, text in run)
        run.clear()

    for name, value in values.items():
        if _plain(value):
            run.append((key(name), literal(value)))
            continue
        flush()
        lines.append(f"{pad}{key(name)} = {{")
        lines.extend(_attributes(value, indent + 1))
        lines.append(f"{pad}}}")
    flush()
    return lines
