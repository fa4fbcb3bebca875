"""What `orchid ops iam minimize` reads: a project's IAM policy, who used which permissions, and
the catalogue of roles. Parsing is pure; only the `load_*` functions touch files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

BASIC_ROLES = ("roles/owner", "roles/editor", "roles/viewer")
T = TypeVar("T")


class IamInputError(ValueError):
    """A policy, activity or catalogue that is not what it should be; the message is one line."""


@dataclass(frozen=True)
class Binding:
    """One role granted to some members, perhaps under an IAM condition."""

    role: str
    members: tuple[str, ...]
    condition: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Policy:
    """A project's IAM policy; `extra` (etag, version, auditConfigs …) is kept exactly."""

    bindings: tuple[Binding, ...]
    extra: Mapping[str, Any]


@dataclass(frozen=True)
class Insight:
    """One `google.iam.policy.Insight`: what a member did with one role over the period."""

    member: str
    role: str
    exercised: frozenset[str]
    inferred: frozenset[str]
    total: int | None
    observed_days: float | None
    conditional: bool


@dataclass(frozen=True)
class InsightActivity:
    """Policy insights, as `gcloud recommender insights list --format=json` prints them."""

    insights: tuple[Insight, ...]


@dataclass(frozen=True)
class LastUsedActivity:
    """The simple form: member -> permission -> when it was last used."""

    last_used: Mapping[str, Mapping[str, datetime]]


Activity = InsightActivity | LastUsedActivity


@dataclass(frozen=True)
class Role:
    """A predefined role: the permissions the documentation names, and whether that is all."""

    permissions: frozenset[str]
    partial: bool = False


@dataclass(frozen=True)
class BasicRole:
    """What the documentation says a basic role grants and does not, and the one it contains.

    Patterns are written as Google's pages write them: an exact name, `cloudsql.*` (every
    permission of a service) or `cloudsql.*.get` (that verb on any of its resources).
    """

    grants: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    includes: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """Predefined and basic roles as far as their documentation states, and where it says so."""

    roles: Mapping[str, Role]
    basic: Mapping[str, BasicRole]
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def universe(self) -> frozenset[str]:
        """Every permission some catalogue role is documented to grant."""
        return frozenset().union(*(role.permissions for role in self.roles.values()))

    def documented(self, basic: str, permission: str) -> bool:
        """Whether the documentation says the basic role grants the permission."""
        entry = self.basic[basic]
        if _matches(entry.excludes, permission):
            return False
        return _matches(entry.grants, permission) or (
            entry.includes is not None and self.documented(entry.includes, permission))

    def denied(self, basic: str, permission: str) -> bool:
        """Whether the documentation says the basic role does not grant the permission."""
        return _matches(self.basic[basic].excludes, permission)

    def undocumented(self, role: str, basic: str) -> frozenset[str]:
        """The permissions of a predefined role the docs do not show the basic role granting."""
        return frozenset(p for p in self.roles[role].permissions
                         if not self.documented(basic, p))

    def within(self, role: str, basic: str) -> bool:
        """Whether every permission of a predefined role is documented as one of the basic role's.

        A partial role never is: the permissions its page leaves out cannot be checked.
        """
        return not self.roles[role].partial and not self.undocumented(role, basic)

    def held(self, role: str) -> frozenset[str]:
        """What a binding of the role is known to give, with `role:NAME` for any unknown rest."""
        opaque = frozenset({f"role:{role}"})
        if role in self.basic:
            return opaque | {p for p in self.universe if self.documented(role, p)}
        if role in self.roles:
            entry = self.roles[role]
            return entry.permissions | opaque if entry.partial else entry.permissions
        return opaque

    def size(self, role: str) -> int | None:
        """How many permissions the role grants in all, if the catalogue knows."""
        entry = self.roles.get(role)
        return len(entry.permissions) if entry is not None and not entry.partial else None


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    parts = pattern.split(".")
    body = [("[^.]+" if part == "*" else re.escape(part)) for part in parts[:-1]]
    last = ".+" if parts[-1] == "*" else re.escape(parts[-1])
    return re.compile(r"\.".join([*body, last]))


def _matches(patterns: tuple[str, ...], permission: str) -> bool:
    return any(_pattern(p).fullmatch(permission) for p in patterns)


def key(member: str) -> str:
    """The form in which members are compared (IAM emails are case-insensitive)."""
    return member.strip().lower()


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IamInputError(f"{where} should be a list of strings")
    return tuple(value)


def parse_policy(raw: object) -> Policy:
    """Read `gcloud projects get-iam-policy PROJECT --format=json` output."""
    if not isinstance(raw, dict):
        raise IamInputError("the policy should be a JSON object with 'bindings'")
    found = raw.get("bindings", [])
    if not isinstance(found, list):
        raise IamInputError("the policy's 'bindings' should be a list")
    bindings = []
    for i, item in enumerate(found):
        if not isinstance(item, dict) or not isinstance(item.get("role"), str):
            raise IamInputError(f"binding {i} should be an object with a 'role'")
        condition = item.get("condition")
        if condition is not None and not isinstance(condition, dict):
            raise IamInputError(f"binding {i} ({item['role']}): 'condition' should be an object")
        members = _strings(item.get("members", []), f"binding {i} ({item['role']}) 'members'")
        bindings.append(Binding(item["role"], members, condition))
    return Policy(tuple(bindings), {k: v for k, v in raw.items() if k != "bindings"})


def _permissions(value: object, where: str) -> frozenset[str]:
    # The API gives [{"permission": "x.y.z"}]; plain strings are accepted too.
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise IamInputError(f"{where} should be a list")
    found = set()
    for item in value:
        name = item.get("permission") if isinstance(item, dict) else item
        if not isinstance(name, str):
            raise IamInputError(f"{where} has an entry without a permission name")
        found.add(name)
    return frozenset(found)


def _days(period: object, where: str) -> float | None:
    # A protobuf Duration in JSON: "7776000s".
    if period is None:
        return None
    if not isinstance(period, str) or not period.endswith("s"):
        raise IamInputError(f"{where} 'observationPeriod' should look like '7776000s'")
    try:
        return float(period[:-1]) / 86400
    except ValueError:
        raise IamInputError(f"{where} 'observationPeriod' should look like '7776000s'") from None


def _insight(raw: object, i: int) -> Insight | None:
    where = f"insight {i}"
    if not isinstance(raw, dict) or not isinstance(raw.get("content"), dict):
        raise IamInputError(f"{where} should be an object with 'content'")
    if raw.get("insightSubtype", "PERMISSIONS_USAGE") != "PERMISSIONS_USAGE":
        return None  # bucket- or dataset-level insights are about other policies
    content = raw["content"]
    member, role = content.get("member"), content.get("role")
    if not isinstance(member, str) or not isinstance(role, str):
        raise IamInputError(f"{where} should have 'content.member' and 'content.role'")
    total = content.get("currentTotalPermissionsCount")
    try:
        count = int(total) if total is not None else None
    except (TypeError, ValueError):
        raise IamInputError(f"{where} 'currentTotalPermissionsCount' is not a number") from None
    condition = content.get("condition") or {}
    return Insight(
        member=member, role=role,
        exercised=_permissions(content.get("exercisedPermissions"), f"{where} exercised"),
        inferred=_permissions(content.get("inferredPermissions"), f"{where} inferred"),
        total=count, observed_days=_days(raw.get("observationPeriod"), where),
        conditional=isinstance(condition, dict) and bool(condition.get("expression")))


def _when(value: object, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise IamInputError(f"{where} should be an ISO 8601 time such as 2026-11-30T08:00:00Z")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_activity(raw: object) -> Activity:
    """Read policy insights (a list, or the REST `{"insights": [...]}`) or the simple form."""
    if isinstance(raw, dict) and isinstance(raw.get("insights"), list):
        raw = raw["insights"]
    if isinstance(raw, list):
        found = (_insight(item, i) for i, item in enumerate(raw))
        return InsightActivity(tuple(i for i in found if i is not None))
    if not isinstance(raw, dict) or "bindings" in raw:
        raise IamInputError("the activity should be a list of policy insights or an object "
                            "of member -> permission -> last used")
    last_used: dict[str, dict[str, datetime]] = {}
    for member, used in raw.items():
        if not isinstance(used, dict):
            raise IamInputError(f"activity of {member} should map permissions to times")
        mine = last_used.setdefault(key(member), {})
        for permission, when in used.items():
            moment = _when(when, f"activity of {member}: {permission}")
            mine[permission] = max(moment, mine.get(permission, moment))
    return LastUsedActivity(last_used)


def _role(name: str, entry: object) -> Role:
    if not isinstance(entry, dict):
        raise IamInputError(f"catalogue role {name} should be an object with 'permissions'")
    partial = entry.get("partial", False)
    if not isinstance(partial, bool):
        raise IamInputError(f"catalogue role {name} 'partial' should be true or false")
    return Role(frozenset(_strings(entry.get("permissions"), f"catalogue role {name}")), partial)


def _basic(name: str, entry: object) -> BasicRole:
    if not isinstance(entry, dict):
        raise IamInputError(f"the catalogue should describe {name} with 'grants'")
    includes = entry.get("includes")
    below = BASIC_ROLES[BASIC_ROLES.index(name) + 1:]
    if includes is not None and includes not in below:
        raise IamInputError(f"{name} can include only {' or '.join(below)}" if below
                            else f"{name} includes no other basic role")
    return BasicRole(_strings(entry.get("grants", []), f"{name} grants"),
                     _strings(entry.get("excludes", []), f"{name} excludes"), includes)


def parse_catalogue(raw: object) -> Catalogue:
    """Read the roles catalogue (`iam_roles.json`'s shape); every role must name its source."""
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), dict)
                                            for k in ("roles", "basic", "sources")):
        raise IamInputError("the catalogue should have 'roles', 'basic' and 'sources'")
    roles = {name: _role(name, entry) for name, entry in raw["roles"].items()}
    if clash := sorted(set(roles) & set(BASIC_ROLES)):
        raise IamInputError(f"{clash[0]} belongs under 'basic', not 'roles'")
    basic = {name: _basic(name, raw["basic"].get(name)) for name in BASIC_ROLES}
    sources = {}
    for name in [*roles, *basic]:
        found = raw["sources"].get(name)
        if not found:
            raise IamInputError(f"the catalogue should name a source for {name}")
        sources[name] = _strings([found] if isinstance(found, str) else found,
                                 f"sources of {name}")
    return Catalogue(roles, basic, sources)


def _read_json(path: Path, what: str) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IamInputError(f"{what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise IamInputError(f"{what} {path}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise IamInputError(f"{what} {path}: not JSON ({exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno})") from None


def _load(path: Path, what: str, parse: Callable[[object], T]) -> T:
    raw = _read_json(path, what)
    try:
        return parse(raw)
    except IamInputError as exc:
        raise IamInputError(f"{what} {path}: {exc}") from None


def load_policy(path: Path) -> Policy:
    """Read a policy file."""
    return _load(path, "policy", parse_policy)


def load_activity(path: Path) -> Activity:
    """Read an activity file."""
    return _load(path, "activity", parse_activity)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read a roles catalogue; by default the one shipped with Orchid."""
    if path is not None:
        return _load(path, "catalogue", parse_catalogue)
    shipped = resources.files("orchid.ops").joinpath("iam_roles.json")
    return parse_catalogue(json.loads(shipped.read_text(encoding="utf-8")))
