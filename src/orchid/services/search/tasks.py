"""Search maintenance run from the CLI: full reindex with a progress bar, one incremental sync."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from orchid.config import Settings
from orchid.platform import Resources
from orchid.services.registry import assemble
from orchid.services.search.schemas import ReindexReport, SyncReport
from orchid.services.search.service import SearchService

console = Console(stderr=True)


async def reindex_search(settings: Settings) -> list[ReindexReport]:
    """Rebuild every search index of this deployment from the catalog, showing progress."""
    resources = Resources.from_settings(settings)
    search: SearchService = assemble(resources).local["search"]
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed} documents"), TimeElapsedColumn(),
                      console=console) as progress:
            task = progress.add_task("indexing", total=None)
            reports = await search.rebuild(progress=lambda n: progress.advance(task, n))
        for report in reports:
            console.print(f"{report.engine}: {report.documents} documents into {report.index} "
                          f"in {report.seconds:.1f} s")
        return reports
    finally:
        await search.close()
        await resources.close()


async def sync_search(settings: Settings) -> SyncReport:
    """Apply catalog and stock changes to the search indexes once."""
    resources = Resources.from_settings(settings)
    search: SearchService = assemble(resources).local["search"]
    try:
        report = await search.sync_once()
        console.print(f"upserted {report.upserted}, removed {report.removed}, "
                      f"stock re-checked {report.stock_checked}")
        return report
    finally:
        await search.close()
        await resources.close()
