"""`python -m orchid …` runs the CLI."""

from orchid.cli import app

app()
