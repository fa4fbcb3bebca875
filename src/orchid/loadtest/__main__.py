"""`python -m orchid.loadtest …`: the bench on its own, the same command as `orchid bench`."""

import typer

from orchid.loadtest.cli import bench

app = typer.Typer(add_completion=False)
app.command()(bench)

if __name__ == "__main__":
    app()
