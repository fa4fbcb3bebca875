"""`orchid reports sales`: the daily sales (`sales_daily`, kept by the daily-sales function)
summed over IST days, read from a replica of the main database (the primary when none is
healthy), as a table or as JSON."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import typer

from orchid.config import Settings, load_settings
from orchid.functions.reporting import SalesLine, sales_report
from orchid.kit.db import Database
from orchid.kit.money import group_indian, inr

app = typer.Typer(help="Reports, read from the main database's replicas.", no_args_is_help=True)
HEADINGS = ("orders", "units", "revenue", "reversed", "net")


class By(StrEnum):
    """What a sales report's lines are."""

    day = "day"
    category = "category"
    brand = "brand"
    city = "city"
    payment_method = "payment_method"


@app.callback()
def reports() -> None:
    """Reports, read from the main database's replicas."""


@app.command("sales")
def sales(
    since: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"],
                                            help="First IST day, YYYY-MM-DD.")],
    until: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"],
                                            help="Last IST day (included), YYYY-MM-DD.")],
    by: Annotated[By, typer.Option(help="One line per day, or per value of this.")] = By.day,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, amounts in paise.")
                       ] = False,
) -> None:
    """Print accepted sales, reversals and net revenue between two IST days."""
    first, last = since.date(), until.date()
    if first > last:
        typer.echo(f"--from {first} is after --to {last}", err=True)
        raise typer.Exit(2)
    lines = asyncio.run(_report(load_settings(), first, last, by))
    if as_json:
        typer.echo(json.dumps({"from": first.isoformat(), "to": last.isoformat(),
                               "by": by.value, "lines": [line.as_dict() for line in lines]},
                              ensure_ascii=False))
        return
    for row in table(lines, by):
        typer.echo(row)


async def _report(settings: Settings, first: date, last: date, by: By) -> list[SalesLine]:
    db = Database("main", settings.main_url(), settings.main_replica_urls,
                  max_lag=settings.replica_max_lag_seconds)
    await db.start()  # checks the replicas' lag first: a lagging one is not read
    try:
        return await sales_report(db, since=first, until=last, by=by.value)
    finally:
        await db.close()


def table(lines: list[SalesLine], by: By) -> list[str]:
    """The report as aligned text rows, a total last."""
    total = SalesLine("total", *(sum(getattr(line, name) for line in lines)
                                 for name in SalesLine.__dataclass_fields__ if name != "key"))
    cells = [(by.value, *HEADINGS)] + [
        (line.key, group_indian(line.orders), group_indian(line.units), inr(line.revenue_paise),
         inr(line.reversed_paise), inr(line.net_paise)) for line in [*lines, total]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return ["  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                      for i, (cell, width) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in cells]
