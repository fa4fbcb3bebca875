"""`orchid deploy …`: generate deploy/k8s and the events' Terraform from the code, render an
environment, keep the autoscalers' floors (run in the cluster by the floors CronJob)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

deploy_app = typer.Typer(help="The GKE deploy: manifests, rendering, night floors.",
                         no_args_is_help=True)
K8S = Path(__file__).resolve().parents[3] / "deploy" / "k8s"

Root = Annotated[Path, typer.Option(help="The deploy/k8s folder.")]


def write_or_check(root: Path, *, check: bool, write: Callable[[Path], list[Any]],
                   differences: Callable[[Path], list[str]], what: str) -> None:
    """A generated tree's command: write it (saying what went stale), or with `check` change
    nothing and exit 1 listing what differs."""
    if check:
        found = differences(root)
        for line in found:
            typer.echo(line)
        raise typer.Exit(1 if found else 0)
    for stale in write(root):
        typer.echo(f"removed {stale}")
    typer.echo(f"{what} is up to date in {root}")


@deploy_app.command("generate")
def generate(root: Root = K8S,
             check: Annotated[bool, typer.Option(
                 help="Change nothing; exit 1 listing what differs.")] = False) -> None:
    """Write deploy/k8s from the service registry and src/orchid/deploy."""
    from orchid.deploy.tree import differences, write

    write_or_check(root, check=check, write=write, differences=differences, what="deploy/k8s")


@deploy_app.command("events")
def events(check: Annotated[bool, typer.Option(
        help="Change nothing; exit 1 listing what differs.")] = False) -> None:
    """Write Terraform's event topics and functions, and the functions' entry points
    (deploy/functions/main.py), from the function registry."""
    from orchid.deploy.events import REPO, differences, write

    write_or_check(REPO, check=check, write=write, differences=differences,
                   what="the events' Terraform and the functions' entry points")


@deploy_app.command("render")
def render(
    env: Annotated[str, typer.Option(help="sandbox, preprod or prod.")] = "prod",
    component: Annotated[list[str] | None, typer.Option(
        "--with", help="An optional component (sale-day, spot-nodes); repeatable.")] = None,
    image: Annotated[str | None, typer.Option(
        help="Pin the app's image: REPOSITORY@sha256:DIGEST (the pipeline's build).")] = None,
    only: Annotated[str | None, typer.Option(
        help="Only what this workload's pods need (e.g. migrate, before the rollout).")] = None,
    access: Annotated[bool, typer.Option(
        help="Print the namespace and its Roles instead (the cluster admins' part).")] = False,
    root: Root = K8S,
) -> None:
    """Print the manifests of one environment, as `kubectl apply -f -` takes them."""
    from orchid.deploy.tree import RenderFailed, needed_by, render_access
    from orchid.deploy.tree import render as render_tree

    try:
        text = (render_access(root) if access
                else render_tree(root, env, components=component or (), image=image))
        if only is not None:
            text = needed_by(text, only)
        typer.echo(text, nl=False)
    except RenderFailed as failed:
        typer.echo(f"not rendered: {failed}", err=True)
        raise typer.Exit(2) from None


@deploy_app.command("floors")
def floors(
    config: Annotated[Path, typer.Option(help="The orchid-floors ConfigMap's file.")],
    dry_run: Annotated[bool, typer.Option(help="Say what would change; change nothing.")]
    = False,
) -> None:
    """Set every autoscaler's floor to the hour's value (day, or night 01:00–07:00 IST)."""
    from orchid.deploy.floors import Autoscalers, Floors, reconcile

    autoscalers = Autoscalers.in_cluster()
    try:
        for change in reconcile(Floors.load(config), autoscalers, dry_run=dry_run):
            verb = "kept" if change.before == change.after else "set"
            typer.echo(f"{change.name}: {verb} minReplicas {change.after}"
                       + ("" if verb == "kept" else f" (was {change.before})"))
    finally:
        autoscalers.close()
