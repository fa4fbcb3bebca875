"""Search cluster operations on a real Elasticsearch with `path.repo`: snapshot, restore behind
the alias, the index template, cluster health and shard state, and `orchid status --json`."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import AsyncElasticsearch
from typer.testing import CliRunner

from orchid.cli import app
from orchid.ops import search as ops
from orchid.ops.targets import Targets
from orchid.services.catalog.schemas import ProductChange
from orchid.services.search.es_engine import EsEngine
from orchid.services.search.es_mapping import MAPPINGS
from orchid.services.search.sync import Indexer
from orchid.stack.servers import free_port
from tests.support.elasticsearch import Elasticsearch
from tests.unit.search_factories import PATHS, product

runner = CliRunner()
PRODUCTS = 300
BRANDS = ("Lakmé", "Maybelline", "L'Oréal Paris", "Glowbar Labs", "Minimalist")


def catalog() -> list[ProductChange]:
    """A catalogue of PRODUCTS products across the factories' categories, changed in id order."""
    categories = sorted(PATHS)
    found = []
    for i in range(1, PRODUCTS + 1):
        page = product(i, f"{BRANDS[i % 5]} Product {i}", brand=BRANDS[i % 5],
                       category=categories[i % len(categories)], price=99 + 7 * i,
                       description=f"shade number {i}")
        found.append(ProductChange(**page.model_dump(), id=i))
    return found


def feed(products: list[ProductChange]) -> Indexer:
    """An indexer reading `products` as the catalog's change feed (keyset by updated_at, id)."""
    ordered = sorted(products, key=lambda p: (p.updated_at, p.id))

    async def changes(*, since: Any, after_id: int, limit: int) -> list[ProductChange]:
        return [p for p in ordered if (p.updated_at, p.id) > (since, after_id)][:limit]

    return Indexer(changes=changes, availability=None, batch=100)


@pytest.fixture
def targets(es_server: Elasticsearch, tmp_path: Path) -> Targets:
    return Targets({}, backup_dir=tmp_path, elasticsearch_url=es_server.url,
                   snapshot_repository=es_server.snapshot_repository)


@pytest.fixture
async def engine(es_server: Elasticsearch) -> AsyncIterator[EsEngine]:
    """An engine on its own alias, indexed by the indexer from the catalogue; removed after."""
    engine = EsEngine(es_server.url, alias=f"ops{uuid.uuid4().hex[:8]}-products", timeout=30)
    report = await feed(catalog()).reindex(engine)
    assert report.documents == PRODUCTS
    yield engine
    try:  # the server refuses wildcard deletes (action.destructive_requires_name)
        names = await engine.client.indices.get_alias(index=f"{engine.alias}-*")
        if names:
            await engine.client.indices.delete(index=",".join(names))
        await engine.client.indices.delete_index_template(name=engine.alias)
    finally:
        await engine.close()


async def contents(client: AsyncElasticsearch, alias: str) -> tuple[int, str]:
    """Document count and a checksum of every (id, source) behind `alias`."""
    await client.indices.refresh(index=alias)
    answer = await client.search(index=alias, size=10_000, sort=[{"id": "asc"}],
                                 query={"match_all": {}})
    pairs = [(hit["_id"], hit["_source"]) for hit in answer["hits"]["hits"]]
    digest = hashlib.sha256(json.dumps(pairs, sort_keys=True).encode()).hexdigest()
    return len(pairs), digest


async def aliased(client: AsyncElasticsearch, alias: str) -> list[str]:
    return sorted((await client.indices.get_alias(name=alias)).body)


async def test_snapshot_then_restore_brings_back_the_same_documents(
        engine: EsEngine, targets: Targets) -> None:
    client, alias = engine.client, engine.alias
    original = await aliased(client, alias)
    before = await contents(client, alias)
    mark = await engine.watermark()
    assert before[0] == PRODUCTS and mark is not None

    info = ops.take_snapshot(targets, alias=alias)
    assert (info.state, info.indices, info.shards, info.failed_shards) == (
        "SUCCESS", original, 1, 0)
    assert info.size_bytes > 0 and info.added_bytes is not None and info.added_bytes > 0
    assert info.name in [s.name for s in ops.list_snapshots(targets)]

    # Damage the live index: documents lost, one changed.
    await engine.delete(list(range(1, 101)))
    await client.update(index=alias, id="150", doc={"name": "tampered"})
    damaged = await contents(client, alias)
    assert damaged[0] == PRODUCTS - 100 and damaged[1] != before[1]

    report = ops.restore_snapshot(targets, info.name, alias=alias)
    assert report.documents == PRODUCTS and report.source_index == original[0]
    assert report.previous == original and report.deleted == original
    assert await aliased(client, alias) == [report.index] != original
    assert await contents(client, alias) == before
    assert await engine.watermark() == mark  # the next sync catches up from the snapshot's
    try:
        assert ops.delete_snapshot(targets, info.name) is True
        assert ops.delete_snapshot(targets, info.name) is False
        assert info.name not in [s.name for s in ops.list_snapshots(targets)]
    finally:
        ops.delete_snapshot(targets, info.name)


async def test_restore_keeps_the_previous_index_when_asked(
        engine: EsEngine, targets: Targets) -> None:
    original = await aliased(engine.client, engine.alias)
    info = ops.take_snapshot(targets, alias=engine.alias)
    try:
        report = ops.restore_snapshot(targets, info.name, alias=engine.alias, keep_previous=True)
        assert report.deleted == [] and await aliased(engine.client, engine.alias) == [report.index]
        assert await engine.client.indices.exists(index=original[0])
        # A later rebuild removes both the kept index and the restored one.
        await feed(catalog()).reindex(engine)
        left = await engine.client.indices.get(index=f"{engine.alias}-*")
        assert len(left) == 1 and original[0] not in left and report.index not in left
    finally:
        ops.delete_snapshot(targets, info.name)


async def test_restore_of_an_unknown_snapshot_says_so(engine: EsEngine, targets: Targets) -> None:
    with pytest.raises(ops.SearchOpsFailed, match="no snapshot search-nope"):
        ops.restore_snapshot(targets, "search-nope", alias=engine.alias)


def test_snapshot_without_a_repository_says_how_to_set_one(es_server: Elasticsearch,
                                                           tmp_path: Path) -> None:
    bare = Targets({}, backup_dir=tmp_path, elasticsearch_url=es_server.url)
    with pytest.raises(ops.SearchOpsFailed, match="ORCHID_OPS_SNAPSHOT_REPOSITORY"):
        ops.take_snapshot(bare)
    outside = Targets({}, backup_dir=tmp_path, elasticsearch_url=es_server.url,
                      snapshot_repository=tmp_path / "elsewhere")
    with pytest.raises(ops.SearchOpsFailed, match="path.repo"):
        ops.list_snapshots(outside)


async def test_indexes_of_the_pattern_get_the_templates_mapping(engine: EsEngine) -> None:
    client, alias = engine.client, engine.alias
    built = (await aliased(client, alias))[0]
    by_hand = f"{alias}-by-hand"
    await client.indices.create(index=by_hand)  # no body: everything from the template
    for index in (built, by_hand):
        mapping = (await client.indices.get_mapping(index=index))[index]["mappings"]
        assert mapping["dynamic"] == "strict"
        assert mapping["properties"] == MAPPINGS["properties"]
        settings = (await client.indices.get_settings(index=index))[index]["settings"]["index"]
        assert (settings["number_of_shards"], settings["number_of_replicas"]) == ("1", "0")
    templates = await client.indices.get_index_template(name=alias)
    assert templates["index_templates"][0]["index_template"]["index_patterns"] == [f"{alias}-*"]


async def test_a_changed_template_is_put_again_on_rebuild(engine: EsEngine) -> None:
    client, alias = engine.client, engine.alias
    await client.indices.put_index_template(name=alias, index_patterns=[f"{alias}-*"],
                                            priority=200, version=1, template={})
    await engine.ensure_template()
    stored = (await client.indices.get_index_template(name=alias))["index_templates"][0]
    assert stored["index_template"]["version"] != 1
    assert stored["index_template"]["template"]["mappings"]["dynamic"] == "strict"


async def test_health_counts_shards_and_turns_yellow_on_an_unassigned_replica(
        engine: EsEngine, es_server: Elasticsearch) -> None:
    health = ops.cluster_health(es_server.url)
    assert (health["status"], health["nodes"]) == ("green", 1)
    assert health["shards"]["active"] >= 1 and health["shards"]["unassigned"] == 0
    replicated = f"{engine.alias}-replicated"  # one node cannot hold a replica
    await engine.client.indices.create(index=replicated,
                                       settings={"number_of_replicas": 1})
    try:
        yellow = ops.cluster_health(es_server.url)
        assert yellow["status"] == "yellow"
        assert yellow["shards"]["unassigned"] == health["shards"]["unassigned"] + 1
        assert yellow["shards"]["active"] == health["shards"]["active"] + 1
        states = ops.shard_states(es_server.url, index=f"{engine.alias}*")
        assert sorted((s["index"], s["prirep"], s["state"]) for s in states) == sorted([
            ((await aliased(engine.client, engine.alias))[0], "p", "STARTED"),
            (replicated, "p", "STARTED"), (replicated, "r", "UNASSIGNED")])
    finally:
        await engine.client.indices.delete(index=replicated)
    assert ops.cluster_health(es_server.url)["status"] == "green"


def test_health_of_a_port_nobody_listens_on_is_unreachable() -> None:
    health = ops.cluster_health(f"http://127.0.0.1:{free_port()}", timeout=1)
    assert health["status"] == "unreachable" and "unreachable" in health["error"]
    assert ops.describe_health(health).startswith("elasticsearch unreachable")


@pytest.fixture
def fake_stack(es_server: Elasticsearch, tmp_path: Path) -> Iterator[Path]:
    """A stack folder whose state file lists the test server as its Elasticsearch."""
    pid = int((es_server.base / "es.pid").read_text())
    state = {"phase": "ready", "topology": "all-in-one", "workers": 1, "supervisor_pid": 0,
             "components": [{"name": "elasticsearch", "kind": "elasticsearch",
                             "port": es_server.port, "pid": pid, "restarts": 0}]}
    (tmp_path / "state.json").write_text(json.dumps(state))
    yield tmp_path


def test_status_json_carries_the_cluster_health(fake_stack: Path) -> None:
    result = runner.invoke(app, ["status", "--json", "--state-dir", str(fake_stack)])
    assert result.exit_code == 0, result.output
    component = json.loads(result.output)["components"][0]
    assert component["health"] == "ok"
    assert component["cluster"]["status"] in ("green", "yellow")
    assert component["cluster"]["nodes"] == 1
    assert set(component["cluster"]["shards"]) >= {"active", "relocating", "initializing",
                                                   "unassigned"}
    table = runner.invoke(app, ["status", "--state-dir", str(fake_stack)])
    assert "elasticsearch green: 1 node(s); shards" in table.output, table.output


def test_cli_snapshot_list_restore_delete(engine: EsEngine, es_server: Elasticsearch,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .orchid/stack here: the settings name the server
    monkeypatch.setenv("ORCHID_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORCHID_ELASTICSEARCH_URL", es_server.url)
    monkeypatch.setenv("ORCHID_OPS_SNAPSHOT_REPOSITORY", str(es_server.snapshot_repository))
    taken = runner.invoke(app, ["ops", "search", "snapshot", "--alias", engine.alias, "--json"])
    assert taken.exit_code == 0, taken.output
    name = json.loads(taken.output)["name"]
    listed = runner.invoke(app, ["ops", "search", "snapshots", "--json"])
    assert name in [s["name"] for s in json.loads(listed.output)]
    refused = runner.invoke(app, ["ops", "search", "restore", name, "--alias", engine.alias],
                            input="n\n")
    assert refused.exit_code != 0 and "Aborted" in refused.output
    restored = runner.invoke(app, ["ops", "search", "restore", name, "--alias", engine.alias,
                                   "--yes"])
    assert restored.exit_code == 0 and f"{PRODUCTS} documents" in restored.output
    health = runner.invoke(app, ["ops", "search", "health", "--alias", engine.alias, "--json"])
    assert health.exit_code == 0 and json.loads(health.output)["status"] == "green"
    deleted = runner.invoke(app, ["ops", "search", "delete", name, "--yes"])
    assert deleted.exit_code == 0 and f"{name}: deleted" in deleted.output

