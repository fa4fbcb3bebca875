"""`orchid ops iam minimize`: propose, as a reviewable diff, how to shrink an IAM policy."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orchid.ops import iam
from orchid.ops.cli import ops_app

iam_app = typer.Typer(help="IAM: least-privilege proposals for a project's policy.",
                      no_args_is_help=True)
ops_app.add_typer(iam_app, name="iam")


class Format(StrEnum):
    text = "text"
    json = "json"


_HELP = """Propose removing unused bindings and replacing basic roles (owner, editor,
viewer) by the fewest predefined roles that cover what each member used.
Prints the proposals, what was left alone and why, and a unified diff.
Exit 0: nothing to propose; 1: proposals; 2: bad input.

\b
POLICY.json: gcloud projects get-iam-policy PROJECT --format=json
ACTIVITY.json, either policy insights (google.iam.policy.Insight:
  content.member, content.role, content.exercisedPermissions,
  content.inferredPermissions, observationPeriod) as printed by
  gcloud recommender insights list --project=PROJECT --location=global
    --insight-type=google.iam.policy.Insight --format=json
or member -> permission -> last used, windowed back from --as-of:
  {"user:a@x.com": {"pubsub.topics.publish": "2026-11-30T08:00:00Z"}}

Review the diff, then: gcloud projects set-iam-policy PROJECT NEW.json"""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _as_of(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(f"--as-of {value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _tables(console: Console, plan: iam.Plan) -> None:
    if plan.proposals:
        table = Table(title=f"Proposals ({len(plan.proposals)})", title_justify="left")
        for column in ("member", "role", "action", "reason"):
            table.add_column(column, overflow="fold")
        for p in plan.proposals:
            action = "remove" if p.action == "remove" else "replace with " + ", ".join(
                p.replacement)
            table.add_row(p.member, p.role, action, p.reason)
        console.print(table)
    if plan.left_alone:
        table = Table(title=f"Left alone ({len(plan.left_alone)})", title_justify="left")
        for column in ("member", "role", "why"):
            table.add_column(column, overflow="fold")
        for a in plan.left_alone:
            table.add_row(a.member, a.role, a.reason)
        console.print(table)


@iam_app.command("minimize", help=_HELP)
def minimize(
    policy_path: Annotated[Path, typer.Option("--policy", help="The project's IAM policy "
                                                               "(gcloud … get-iam-policy).")],
    activity_path: Annotated[Path, typer.Option("--activity", help="Policy insights, or "
                                                                   "member -> permission -> "
                                                                   "last used.")],
    window_days: Annotated[int, typer.Option(min=1, help="Days of activity a binding must be "
                                                         "unused in to go.")] = 90,
    write: Annotated[Path | None, typer.Option(help="Write the proposed policy here.")] = None,
    output: Annotated[Format, typer.Option("--format", help="text (tables and diff) or json "
                                                            "(the proposals).")] = Format.text,
    as_of: Annotated[str | None, typer.Option(help="End of the window for last-used activity "
                                                   "(default: now).")] = None,
    catalogue_path: Annotated[Path | None, typer.Option("--catalogue", help="Roles catalogue "
                                                        "(default: the shipped one, written "
                                                        "from Google's docs).")] = None,
) -> None:
    try:
        policy = iam.load_policy(policy_path)
        activity = iam.load_activity(activity_path)
        catalogue = iam.load_catalogue(catalogue_path)
    except iam.IamInputError as exc:
        raise _fail(str(exc)) from None
    plan = iam.propose(policy=policy, activity=activity, catalogue=catalogue,
                       window_days=window_days, as_of=_as_of(as_of))
    after = iam.apply(policy=policy, proposals=plan.proposals)
    if gained := iam.new_grants(before=policy, after=after, catalogue=catalogue):
        raise _fail(f"refusing: the proposal would grant new permissions to {sorted(gained)}")
    if write is not None:
        try:
            write.write_text(iam.policy_text(after), encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {write}: {exc.strerror or exc}") from None
    if output is Format.json:
        typer.echo(json.dumps({"window_days": window_days,
                               "proposals": [asdict(p) for p in plan.proposals],
                               "left_alone": [asdict(a) for a in plan.left_alone]}, indent=2))
    else:
        console = Console(width=160, highlight=False)
        _tables(console, plan)
        if not plan.proposals:
            console.print("Nothing to propose.")
        typer.echo(iam.render_diff(before=policy, after=after, before_name=str(policy_path),
                                   after_name=str(write or "NEW.json")), nl=False)
    raise typer.Exit(1 if plan.proposals else 0)
