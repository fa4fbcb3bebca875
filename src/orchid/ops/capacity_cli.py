"""`orchid capacity`: the cores and memory per tier for a number of daily active users."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchid.ops.capacity import (
    ORDINARY_BURST,
    SALE_BURST,
    SALE_PEAK_HOUR_SHARE,
    Measured,
    Sizing,
    Traffic,
    render,
)

REPORT = Path(__file__).resolve().parents[3] / "bench" / "results" / \
    "shop-stack-all-in-one-p99-300ms-saturate.json"


def capacity(
    dau: Annotated[int, typer.Option(min=1, help="Daily active users (150000, 600000 …)")],
    report: Annotated[Path, typer.Option(
        help="A stack bench's JSON report (`python -m bench.shop --target stack`)")] = REPORT,
    step: Annotated[int | None, typer.Option(
        help="The report's step to read (default: the busiest one without errors)")] = None,
    requests_per_user: Annotated[float, typer.Option(min=0.1)] = Traffic.requests_per_user,
    peak_hour_share: Annotated[float, typer.Option(min=0.01, max=1.0)] = Traffic.peak_hour_share,
    burst: Annotated[float, typer.Option(min=1.0, help="An ordinary day's busiest minute over "
                                                        "its busiest hour")] = ORDINARY_BURST,
    sale_burst: Annotated[float, typer.Option(min=1.0)] = SALE_BURST,
    utilisation: Annotated[float, typer.Option(min=0.1, max=1.0)] = Sizing.utilisation,
) -> None:
    """Print cores and memory per tier for an ordinary day's peak and a sale's."""
    if not report.exists():
        raise typer.BadParameter(f"{report} not found: run `python -m bench.shop --target "
                                 "stack` first, or pass --report", param_hint="--report")
    measured = Measured.from_report(report, step)
    ordinary = Traffic(dau=dau, requests_per_user=requests_per_user,
                       peak_hour_share=peak_hour_share, burst=burst)
    sale = Traffic(dau=dau, requests_per_user=requests_per_user,
                   peak_hour_share=max(peak_hour_share, SALE_PEAK_HOUR_SHARE), burst=sale_burst)
    typer.echo(render(ordinary, sale, measured, Sizing(utilisation=utilisation)))
