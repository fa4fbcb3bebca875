"""The floor for `bench.endpoints`: a bare Starlette JSON endpoint on uvicorn, served exactly as
`orchid serve` serves the app (uvicorn's defaults, no access log) — what any request costs here
before Orchid does anything.

    .venv/bin/python -m bench.floor --fd N
"""

from __future__ import annotations

import argparse
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def ok(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/healthz", ok)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd", type=int, required=True, help="a listening socket to serve on")
    args = parser.parse_args()
    config = uvicorn.Config(app, access_log=False, log_level="warning")
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=args.fd)])


if __name__ == "__main__":
    main()
