"""IAM role minimisation: from a project's policy and what its members used, propose removing
unused bindings and replacing basic roles by the fewest predefined roles that cover the use.

    plan = propose(policy=policy, activity=activity, catalogue=load_catalogue(), window_days=90,
                   as_of=datetime.now(UTC))
    print(render_diff(before=policy, after=apply(policy=policy, proposals=plan.proposals)))

A proposal never grants a member a permission it did not already have through the role it
replaces: a basic role is replaced only by roles whose every permission the documentation says
the basic role grants. What cannot be judged is left alone and listed with the reason.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from orchid.ops.iam_inputs import (
    BASIC_ROLES,
    Activity,
    Binding,
    Catalogue,
    IamInputError,
    InsightActivity,
    LastUsedActivity,
    Policy,
    key,
    load_activity,
    load_catalogue,
    load_policy,
)

__all__ = [
    "Activity", "Catalogue", "IamInputError", "InsightActivity", "LastUsedActivity",
    "LeftAlone", "Plan", "Policy", "Proposal", "apply", "cover", "document", "load_activity",
    "load_catalogue", "load_policy", "new_grants", "policy_text", "propose", "render_diff",
]

# Google-managed service agents (service-PROJECT_NUMBER@gcp-sa-pubsub…, …@container-engine-robot…,
# the Google APIs agent PROJECT_NUMBER@cloudservices…): Google grants them what its services need.
_AGENT = re.compile(r"^serviceaccount:(service-(org-|folder-)?\d+@[a-z0-9-]+\.iam\.gserviceaccount"
                    r"\.com|\d+@cloudservices\.gserviceaccount\.com)$")
_PUBLIC = ("allusers", "allauthenticatedusers")
_CONVENIENCE = ("projectowner:", "projecteditor:", "projectviewer:")


@dataclass(frozen=True)
class Proposal:
    """Remove a member's binding, or replace it by predefined roles."""

    member: str
    role: str
    action: Literal["remove", "replace"]
    reason: str
    replacement: tuple[str, ...] = ()
    used: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeftAlone:
    """A binding the tool could not judge, and why."""

    member: str
    role: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """What to change, and what was deliberately not judged."""

    proposals: tuple[Proposal, ...]
    left_alone: tuple[LeftAlone, ...]


@dataclass(frozen=True)
class _Use:
    permissions: frozenset[str]  # exercised, and inferred (likely needed) by the recommender
    total: int | None
    inferred: frozenset[str] = frozenset()


def _some(permissions: Iterable[str], shown: int = 3) -> str:
    names = sorted(permissions)
    return ", ".join(names[:shown]) + (", …" if len(names) > shown else "")


def _untouchable(member: str) -> str | None:
    low = key(member)
    if low in _PUBLIC:
        return "public principal: review by hand"
    if low.startswith(_CONVENIENCE):
        return "convenience value, not a principal"
    if _AGENT.match(low):
        return "Google-managed service agent"
    return None


def _use(*, activity: Activity, member: str, role: str, catalogue: Catalogue, window_days: int,
         as_of: datetime) -> _Use | str:
    """What the member used of the role within the window, or why that cannot be told."""
    if isinstance(activity, InsightActivity):
        found = [i for i in activity.insights if not i.conditional
                 and key(i.member) == key(member) and i.role == role]
        if not found:
            return "no policy insight for this binding"
        observed = min((i.observed_days for i in found), key=lambda d: -1 if d is None else d)
        # Google reports 90 days as 7772400s or 7779600s: half a day of slack.
        if observed is None or observed < window_days - 0.5:
            seen = "an unknown period" if observed is None else f"{observed:.0f} days"
            return f"observed {seen}, less than the {window_days}-day window"
        exercised = frozenset().union(*(i.exercised for i in found))
        inferred = frozenset().union(*(i.inferred for i in found)) - exercised
        total = next((i.total for i in found if i.total is not None), catalogue.size(role))
        return _Use(exercised | inferred, total, inferred)
    since = as_of - timedelta(days=window_days)
    recent = {p for p, when in activity.last_used.get(key(member), {}).items() if when >= since}
    if not recent:
        return _Use(frozenset(), catalogue.size(role))  # used nothing at all: not this role
    if role in BASIC_ROLES:
        # What the docs do not rule out may be one of the basic role's: count it as used.
        return _Use(frozenset(p for p in recent if not catalogue.denied(role, p)),
                    catalogue.size(role))
    entry = catalogue.roles.get(role)
    if entry is None:
        return "role not in the catalogue: which permissions it grants is unknown"
    used = frozenset(recent & entry.permissions)
    if not used and entry.partial:
        return ("the catalogue lists only part of the role's permissions and none of those was "
                "used: use of the rest cannot be told")
    return _Use(used, catalogue.size(role))


def cover(*, needed: frozenset[str], basic: str,
          catalogue: Catalogue) -> tuple[tuple[str, ...], frozenset[str]]:
    """Choose roles shown to lie within `basic` that grant `needed`; return them and the rest."""
    grants = {r: entry.permissions for r, entry in catalogue.roles.items()}
    candidates = sorted(r for r in grants if grants[r] & needed and catalogue.within(r, basic))
    left, chosen = set(needed), []
    while left and candidates:
        best = min(candidates, key=lambda r: (-len(grants[r] & left), len(grants[r]), r))
        if not grants[best] & left:
            break
        chosen.append(best)
        candidates.remove(best)
        left -= grants[best]
    for role in sorted(chosen, key=lambda r: (len(grants[r]), r), reverse=True):
        others = frozenset().union(*(grants[r] for r in chosen if r != role))
        if needed - left <= others:  # greedy picked a role the later ones made redundant
            chosen.remove(role)
    return tuple(sorted(chosen)), frozenset(left)


def _judge(*, member: str, role: str, use: _Use, catalogue: Catalogue,
           window_days: int) -> Proposal | LeftAlone | None:
    total = f"{use.total:,}" if use.total is not None else "its"
    if not use.permissions:
        return Proposal(member, role, "remove", f"0 of {total} permissions used in "
                                                f"{window_days} days")
    if role not in BASIC_ROLES:
        return None  # a predefined or custom role in use stays
    roles, left = cover(needed=use.permissions, basic=role, catalogue=catalogue)
    if left:
        return LeftAlone(member, role, _uncovered(left=frozenset(left), basic=role,
                                                  catalogue=catalogue))
    likely = f" ({len(use.inferred)} inferred as needed)" if use.inferred else ""
    return Proposal(member, role, "replace",
                    f"used {len(use.permissions)} of {total} permissions{likely}: "
                    f"{_some(use.permissions)}", roles, tuple(sorted(use.permissions)))


def _uncovered(*, left: frozenset[str], basic: str, catalogue: Catalogue) -> str:
    """Why the permissions left over could not be given by a narrower role."""
    said = f"used {len(left)} permission(s) no catalogue role shown to lie within {basic} grants: "
    said += _some(left)
    refused = sorted(r for r, entry in catalogue.roles.items() if entry.permissions & left)
    why = [f"{r} lists only part of its permissions" if catalogue.roles[r].partial
           else f"{r} has {_some(catalogue.undocumented(r, basic), 2)}, not documented in {basic}"
           for r in refused[:2]]
    return said + (f" ({'; '.join(why)}{'; …' if len(refused) > 2 else ''})" if why else "")


def _keep_an_owner(policy: Policy, plan: list[Proposal | LeftAlone]) -> list[Proposal | LeftAlone]:
    owners = {key(m) for b in policy.bindings if b.role == "roles/owner" and b.condition is None
              for m in b.members}
    going = {key(p.member) for p in plan if isinstance(p, Proposal) and p.role == "roles/owner"}
    if not owners or owners - going:
        return plan
    return [LeftAlone(p.member, p.role, f"{p.action} would leave the project without an owner")
            if isinstance(p, Proposal) and p.role == "roles/owner" else p for p in plan]


def _member(*, member: str, binding: Binding, activity: Activity, catalogue: Catalogue,
            window_days: int, as_of: datetime) -> Proposal | LeftAlone | None:
    """Judge one member of one binding."""
    if binding.condition is not None:
        title = binding.condition.get("title") or binding.condition.get("expression")
        return LeftAlone(member, binding.role,
                         f"conditional binding ({title}): use is not judged per condition")
    if reason := _untouchable(member):
        return LeftAlone(member, binding.role, reason)
    if key(member).startswith("deleted:"):
        return Proposal(member, binding.role, "remove",
                        "deleted principal: it can no longer use the grant")
    use = _use(activity=activity, member=member, role=binding.role, catalogue=catalogue,
               window_days=window_days, as_of=as_of)
    if isinstance(use, str):
        return LeftAlone(member, binding.role, use)
    return _judge(member=member, role=binding.role, use=use, catalogue=catalogue,
                  window_days=window_days)


def propose(*, policy: Policy, activity: Activity, catalogue: Catalogue, window_days: int,
            as_of: datetime) -> Plan:
    """Judge every member of every binding; propose changes, and list what was left alone."""
    plan: list[Proposal | LeftAlone] = []
    seen: set[tuple[str, str]] = set()
    for binding in policy.bindings:
        for member in binding.members:
            if binding.condition is None:
                if (key(member), binding.role) in seen:
                    continue  # listed twice: judged once
                seen.add((key(member), binding.role))
            judged = _member(member=member, binding=binding, activity=activity,
                             catalogue=catalogue, window_days=window_days, as_of=as_of)
            if judged is not None:
                plan.append(judged)
    plan = _keep_an_owner(policy, plan)
    order = sorted(plan, key=lambda p: (key(p.member), p.role))
    return Plan(tuple(p for p in order if isinstance(p, Proposal)),
                tuple(p for p in order if isinstance(p, LeftAlone)))


def apply(*, policy: Policy, proposals: Iterable[Proposal]) -> Policy:
    """The policy with the proposals made: members removed, replacement roles granted."""
    bindings = list(policy.bindings)

    def unconditional(role: str) -> int | None:
        return next((i for i, b in enumerate(bindings) if b.role == role and b.condition is None),
                    None)

    for proposal in proposals:
        at = unconditional(proposal.role)
        if at is None or key(proposal.member) not in map(key, bindings[at].members):
            raise ValueError(f"{proposal.member} has no unconditional {proposal.role} binding")
        kept = tuple(m for m in bindings[at].members if key(m) != key(proposal.member))
        bindings[at] = replace(bindings[at], members=kept)
        for role in proposal.replacement:
            at = unconditional(role)
            if at is None:
                bindings.append(Binding(role, (proposal.member,)))
            elif key(proposal.member) not in map(key, bindings[at].members):
                bindings[at] = replace(bindings[at],
                                       members=(*bindings[at].members, proposal.member))
    return Policy(tuple(b for b in bindings if b.members), policy.extra)


def document(policy: Policy) -> dict[str, Any]:
    """The policy as JSON for `gcloud projects set-iam-policy`."""
    bindings = [{"role": b.role, "members": list(b.members),
                 **({"condition": dict(b.condition)} if b.condition is not None else {})}
                for b in policy.bindings]
    return {**policy.extra, **({"bindings": bindings} if bindings else {})}


def policy_text(policy: Policy) -> str:
    """The policy pretty-printed with sorted keys, as the diff shows it and --write writes it."""
    return json.dumps(document(policy), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_diff(*, before: Policy, after: Policy, before_name: str = "POLICY.json",
                after_name: str = "NEW.json") -> str:
    """A unified diff of the policy before and after."""
    return "".join(difflib.unified_diff(policy_text(before).splitlines(keepends=True),
                                        policy_text(after).splitlines(keepends=True),
                                        fromfile=before_name, tofile=after_name))


def holdings(*, policy: Policy, catalogue: Catalogue) -> Mapping[str, frozenset[str]]:
    """Per member: the catalogue permissions it is known to hold, and `role:NAME` for the rest."""
    held: dict[str, set[str]] = {}
    for binding in policy.bindings:
        for member in binding.members:
            held.setdefault(key(member), set()).update(catalogue.held(binding.role))
    return {member: frozenset(found) for member, found in held.items()}


def new_grants(*, before: Policy, after: Policy,
               catalogue: Catalogue) -> Mapping[str, frozenset[str]]:
    """What any member would hold after but did not before (empty when the change is sound)."""
    had = holdings(policy=before, catalogue=catalogue)
    return {member: extra for member, holds in holdings(policy=after, catalogue=catalogue).items()
            if (extra := holds - had.get(member, frozenset()))}
