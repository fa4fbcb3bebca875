"""A relay that dies like a killed process (exit 137, no cleanup) right after Pub/Sub has
acknowledged the last event of its batch — after the publish, before the commit that marks the
rows sent. Run as `python -m tests.support.dying_relay <main database url> <project> <count>`,
with PUBSUB_EMULATOR_HOST set."""

from __future__ import annotations

import asyncio
import os
import sys

from orchid.events.pubsub import PubSubBus
from orchid.events.relay import Relay
from orchid.kit.db import Database
from orchid.kit.outbox import Event, MainOutbox

KILLED = 137


class DyingBus(PubSubBus):
    def __init__(self, project: str, die_after: int) -> None:
        super().__init__(project)
        self.left = die_after

    async def publish(self, topic: str, event: Event) -> None:
        await super().publish(topic, event)
        self.left -= 1
        if self.left == 0:
            os._exit(KILLED)  # as SIGKILL would: no rollback sent, no finally, no flush


async def main(url: str, project: str, count: int) -> None:
    db = Database("main", url)
    await Relay(db, MainOutbox, DyingBus(project, count), batch=count).publish_batch()
    sys.exit("the relay published its batch and lived")  # never reached


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
