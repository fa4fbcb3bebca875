"""Search cluster operations: snapshots of the product indexes, restore behind the alias,
cluster health and shard state.

    info = take_snapshot(targets)                 # the alias's index into repository `orchid`
    report = restore_snapshot(targets, info.name)  # as a new versioned index, then alias swap
    cluster_health(targets.elasticsearch_url)      # {"status": "green", "nodes": 1, ...}

Snapshots go to a filesystem repository (`fs`) at `Targets.snapshot_repository`, which must be
inside the server's `path.repo`. A restore never touches the live index: the snapshot's index
comes back under a new `<alias>-<timestamp>` name, and only when all its shards are restored
does one `update_aliases` call move the alias, so readers see the old index or the restored one,
never none. The restored index keeps the watermark of its snapshot (`_meta`), so the next search
sync re-applies the catalog changes made since.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from orchid.ops.targets import Targets
from orchid.services.search import es_mapping
from orchid.services.search.es_engine import versioned_name
from orchid.services.search.es_mapping import ALIAS

REPOSITORY = "orchid"
PREFIX = "search-"
TIMEOUT = 3600.0  # a snapshot or restore of the whole catalog; polls end at this deadline
POLL = 0.2
SnapshotProgress = Callable[[int, int], None]  # bytes done, bytes expected


class SearchOpsFailed(RuntimeError):
    """A search operation could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot in the repository."""

    name: str
    state: str  # SUCCESS, IN_PROGRESS, PARTIAL, FAILED
    indices: list[str]
    shards: int
    failed_shards: int
    size_bytes: int  # of the indices it holds (files shared with older snapshots included)
    seconds: float
    started_at: str  # ISO 8601, UTC
    added_bytes: int | None = None  # new files written by this snapshot (known when taken)


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did."""

    snapshot: str
    source_index: str
    index: str
    documents: int
    previous: list[str] = field(default_factory=list)  # indexes the alias left
    deleted: list[str] = field(default_factory=list)
    seconds: float = 0.0


@contextmanager
def connect(url: str, *, timeout: float = 30.0) -> Iterator[Elasticsearch]:
    """A client of the cluster at `url`, closed on exit."""
    client = Elasticsearch(url, request_timeout=timeout, max_retries=0)
    try:
        yield client
    except TransportError as exc:
        raise SearchOpsFailed(f"elasticsearch at {url} unreachable: {exc}") from exc
    except ApiError as exc:  # what the server refused, said once for every command
        raise SearchOpsFailed(f"elasticsearch answered {exc.meta.status}: {exc}") from exc
    finally:
        client.close()


def _url(targets: Targets) -> str:
    if targets.elasticsearch_url is None:
        raise SearchOpsFailed("no Elasticsearch: set ORCHID_ELASTICSEARCH_URL or run the stack "
                              "with Elasticsearch")
    return targets.elasticsearch_url


def ensure_repository(client: Elasticsearch, targets: Targets) -> None:
    """Register the `fs` repository at the snapshot folder unless it already is."""
    if targets.snapshot_repository is None:
        raise SearchOpsFailed("no snapshot repository: set ORCHID_OPS_SNAPSHOT_REPOSITORY to a "
                              "folder inside the server's path.repo")
    location = str(targets.snapshot_repository)
    found = client.options(ignore_status=404).snapshot.get_repository(name=REPOSITORY)
    if found.get(REPOSITORY, {}).get("settings", {}).get("location") == location:
        return
    try:  # verify=True: the server writes and reads a test file there before answering
        client.snapshot.create_repository(name=REPOSITORY, verify=True, repository={
            "type": "fs", "settings": {"location": location, "compress": True}})
    except ApiError as exc:
        raise SearchOpsFailed(f"cannot register {location} as a snapshot repository (is it "
                              f"inside path.repo and writable by the server?): {exc}") from exc


def take_snapshot(targets: Targets, *, alias: str = ALIAS, timeout: float = TIMEOUT,
                  progress: SnapshotProgress | None = None) -> SnapshotInfo:
    """Snapshot the indexes behind `alias`; wait until it is complete."""
    name = f"{PREFIX}{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}"
    with connect(_url(targets)) as client:
        ensure_repository(client, targets)
        try:
            client.snapshot.create(repository=REPOSITORY, snapshot=name, indices=alias,
                                   include_global_state=False, wait_for_completion=False,
                                   metadata={"alias": alias, "taken_by": "orchid ops"})
        except NotFoundError as exc:
            raise SearchOpsFailed(f"no index behind {alias}: reindex first") from exc
        added = _wait_for_snapshot(client, name, timeout, progress)
        info = _read(client, name, added_bytes=added)
    if info.state != "SUCCESS":
        raise SearchOpsFailed(f"snapshot {name} ended {info.state} "
                              f"({info.failed_shards} of {info.shards} shards failed)")
    return info


def _wait_for_snapshot(client: Elasticsearch, name: str, timeout: float,
                       progress: SnapshotProgress | None) -> int:
    """Poll the snapshot until it is finished; return the bytes it added.

    Its shards can be done (`_status`) a moment before the snapshot is finalised in the
    repository (`GET _snapshot`), so both are asked.
    """
    deadline = time.monotonic() + timeout
    while True:
        status = client.snapshot.status(repository=REPOSITORY, snapshot=name)["snapshots"][0]
        # incremental: what this snapshot copies; processed: copied so far (absent before the
        # first file and once all are copied)
        stats = status["stats"]
        added = int(stats.get("incremental", {}).get("size_in_bytes", 0))
        done = stats.get("processed", {}).get("size_in_bytes")
        if progress is not None:
            progress(added if done is None and status["state"] == "SUCCESS" else int(done or 0),
                     added)
        if status["state"] not in ("STARTED", "IN_PROGRESS"):
            state = client.snapshot.get(repository=REPOSITORY, snapshot=name)
            if state["snapshots"][0]["state"] != "IN_PROGRESS":
                return added
        if time.monotonic() > deadline:
            raise SearchOpsFailed(f"snapshot {name} not done after {timeout:.0f} s "
                                  f"(still {status['state']}); it goes on in the server")
        time.sleep(POLL)


def _read(client: Elasticsearch, name: str, *, added_bytes: int | None = None) -> SnapshotInfo:
    answer = client.snapshot.get(repository=REPOSITORY, snapshot=name, index_details=True)
    return _info(answer["snapshots"][0], added_bytes)


def _info(snap: dict[str, Any], added_bytes: int | None = None) -> SnapshotInfo:
    details = snap.get("index_details", {})
    started = datetime.fromtimestamp(snap.get("start_time_in_millis", 0) / 1000, UTC)
    return SnapshotInfo(
        name=snap["snapshot"], state=snap["state"], indices=sorted(snap["indices"]),
        shards=int(snap.get("shards", {}).get("total", 0)),
        failed_shards=int(snap.get("shards", {}).get("failed", 0)),
        size_bytes=sum(int(d.get("size_in_bytes", 0)) for d in details.values()),
        seconds=int(snap.get("duration_in_millis", 0)) / 1000,
        started_at=started.isoformat(timespec="seconds"), added_bytes=added_bytes)


def list_snapshots(targets: Targets) -> list[SnapshotInfo]:
    """Every snapshot in the repository, oldest first."""
    with connect(_url(targets)) as client:
        ensure_repository(client, targets)
        answer = client.snapshot.get(repository=REPOSITORY, snapshot="_all", index_details=True,
                                     sort="start_time", order="asc")
        return [_info(snap) for snap in answer["snapshots"]]


def delete_snapshot(targets: Targets, name: str) -> bool:
    """Delete one snapshot (its files no other snapshot shares); False if there was none."""
    with connect(_url(targets), timeout=TIMEOUT) as client:
        ensure_repository(client, targets)
        try:
            client.snapshot.delete(repository=REPOSITORY, snapshot=name)
        except NotFoundError:
            return False
        return True


def restore_snapshot(targets: Targets, name: str, *, alias: str = ALIAS,
                     keep_previous: bool = False) -> RestoreReport:
    """Restore the snapshot's index under a new name, then move `alias` to it atomically."""
    began = time.monotonic()
    with connect(_url(targets), timeout=TIMEOUT) as client:
        ensure_repository(client, targets)
        try:
            info = _read(client, name)
        except NotFoundError as exc:
            raise SearchOpsFailed(f"no snapshot {name} in repository {REPOSITORY}") from exc
        source = _source_index(info, alias)
        index = versioned_name(alias)
        # The template first: any index made later under the pattern gets today's mapping.
        client.indices.put_index_template(name=alias, **es_mapping.template(alias))
        try:
            answer = client.snapshot.restore(
                repository=REPOSITORY, snapshot=name, indices=source, rename_pattern=".+",
                rename_replacement=index, include_aliases=False, include_global_state=False,
                wait_for_completion=True)
            shards = answer["snapshot"]["shards"]
            if shards["failed"]:
                raise SearchOpsFailed(f"restore of {name}: {shards['failed']} of "
                                      f"{shards['total']} shards failed")
        except BaseException:  # the alias never moved: drop what was restored
            client.options(ignore_status=404).indices.delete(index=index)
            raise
        previous, deleted = _swap(client, alias, index, keep_previous=keep_previous)
        documents = int(client.count(index=index)["count"])
    return RestoreReport(snapshot=name, source_index=source, index=index, documents=documents,
                         previous=previous, deleted=deleted,
                         seconds=round(time.monotonic() - began, 3))


def _source_index(info: SnapshotInfo, alias: str) -> str:
    if info.state != "SUCCESS":
        raise SearchOpsFailed(f"snapshot {info.name} is {info.state}; restore a complete one")
    ours = [i for i in info.indices if _versioned(alias).match(i)]
    if len(ours) != 1:
        raise SearchOpsFailed(f"snapshot {info.name} holds {ours or 'no'} index of {alias}; "
                              f"expected exactly one")
    return ours[0]


def _versioned(alias: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(alias)}-\d{{20}}$")


def _swap(client: Elasticsearch, alias: str, index: str, *,
          keep_previous: bool) -> tuple[list[str], list[str]]:
    """Point `alias` at `index` only, in one call; drop the other versions unless kept."""
    found = client.indices.get_alias(index=f"{alias}-*", ignore_unavailable=True)
    versions = {n: alias in body.get("aliases", {}) for n, body in found.items()
                if _versioned(alias).match(n) and n != index}
    previous = sorted(n for n, aliased in versions.items() if aliased)
    actions: list[dict[str, Any]] = [{"add": {"index": index, "alias": alias}}]
    actions += [{"remove": {"index": n, "alias": alias}} for n in previous]
    client.indices.update_aliases(actions=actions)
    deleted = [] if keep_previous else sorted(versions)
    if deleted:
        client.options(ignore_status=404).indices.delete(index=",".join(deleted))
    return previous, deleted


def cluster_health(url: str, *, timeout: float = 2.0) -> dict[str, Any]:
    """Status (green, yellow, red or unreachable), nodes and shard counts of the cluster."""
    try:
        with connect(url, timeout=timeout) as client:
            health = client.cluster.health()
    except SearchOpsFailed as exc:
        return {"status": "unreachable", "error": str(exc)}
    return {"status": health["status"], "cluster": health["cluster_name"],
            "nodes": int(health["number_of_nodes"]),
            "shards": {"active": int(health["active_shards"]),
                       "active_primary": int(health["active_primary_shards"]),
                       "relocating": int(health["relocating_shards"]),
                       "initializing": int(health["initializing_shards"]),
                       "unassigned": int(health["unassigned_shards"])},
            "pending_tasks": int(health["number_of_pending_tasks"])}


def describe_health(health: dict[str, Any]) -> str:
    """One line for a person: status, nodes and shard counts."""
    if "shards" not in health:  # down or unreachable
        return f"elasticsearch {health['status']}" + (
            f": {health['error']}" if health.get("error") else "")
    shards = health["shards"]
    return (f"elasticsearch {health['status']}: {health['nodes']} node(s); shards "
            f"{shards['active']} active, {shards['relocating']} relocating, "
            f"{shards['initializing']} initializing, {shards['unassigned']} unassigned")


def shard_states(url: str, *, index: str = f"{ALIAS}*") -> list[dict[str, str]]:
    """Each shard copy of the matching indexes: state, node, documents, size, why unassigned."""
    with connect(url) as client:
        answer = client.cat.shards(index=index, format="json", bytes="b",
                                   h="index,shard,prirep,state,docs,store,node,unassigned.reason")
    rows = cast(list[dict[str, Any]], answer.body)  # a list, since format=json
    return [{k: str(v) if v is not None else "" for k, v in row.items()} for row in rows]
