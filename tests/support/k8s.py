"""Rendered manifests for the deploy tests: every overlay × component combination, once per
session, and a validator that knows every kind they hold — Kubernetes' own from the schemas
`kubernetes-validate` bundles, the custom resources' from deploy/k8s/schemas."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate  # type: ignore[import-untyped]
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from orchid.deploy.tree import render, render_access

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = K8S / "schemas"
# GKE's regular channel: the version the objects must be valid for (native sidecars, the
# preStop sleep action and CronJob time zones are all GA there).
KUBERNETES = "1.33.0"
# A digest as the pipeline passes it: deploys always pin the image they built.
PINNED = "sha256:" + "5f" * 32
Doc = dict[str, Any]


@cache
def rendered(env: str, components: tuple[str, ...] = ()) -> tuple[Doc, ...]:
    """The objects of one environment with some components, the app's image pinned."""
    from orchid.deploy.environments import ENVIRONMENTS
    from orchid.deploy.tree import image_repository

    image = f"{image_repository(ENVIRONMENTS[env])}@{PINNED}"
    text = render(K8S, env, components=components, image=image)
    return tuple(d for d in yaml.safe_load_all(text) if d)


@cache
def rendered_access() -> tuple[Doc, ...]:
    """The namespace and its Roles."""
    return tuple(d for d in yaml.safe_load_all(render_access(K8S)) if d)


def of_kind(docs: tuple[Doc, ...], kind: str) -> dict[str, Doc]:
    """The objects of one kind, by name."""
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: tuple[Doc, ...]) -> Iterator[tuple[str, Doc]]:
    """(kind/name, pod spec) of every workload: Deployments, Jobs and CronJobs."""
    for doc in docs:
        spec = doc.get("spec", {})
        if doc["kind"] in ("Deployment", "Job"):
            yield f"{doc['kind']}/{doc['metadata']['name']}", spec["template"]["spec"]
        elif doc["kind"] == "CronJob":
            yield (f"CronJob/{doc['metadata']['name']}",
                   spec["jobTemplate"]["spec"]["template"]["spec"])


@cache
def _custom_schemas() -> tuple[Registry, dict[tuple[str, str], Doc]]:
    loaded = {p.name: yaml.safe_load(p.read_text()) for p in SCHEMAS.glob("*.yaml")}
    registry: Registry = Registry().with_resources(
        (name, Resource.from_contents(body, default_specification=DRAFT202012))
        for name, body in loaded.items())
    by_kind = {(body["properties"]["apiVersion"]["const"], body["properties"]["kind"]["const"]):
               body for body in loaded.values() if "kind" in body.get("properties", {})}
    return registry, by_kind


def problems(doc: Doc) -> list[str]:
    """What is wrong with one object against its kind's schema ([] when valid)."""
    registry, custom = _custom_schemas()
    key = (doc.get("apiVersion", ""), doc.get("kind", ""))
    where = f"{key[1]}/{doc.get('metadata', {}).get('name')}"
    if key in custom:
        validator = jsonschema.Draft202012Validator(custom[key], registry=registry)
        return [f"{where}: {'.'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(doc)]
    try:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    except kubernetes_validate.utils.SchemaNotFoundError:
        return [f"{where}: no schema for {key[0]} {key[1]} (add one to deploy/k8s/schemas)"]
    except kubernetes_validate.utils.ValidationError as error:
        return [f"{where}: {'.'.join(map(str, error.path))}: {error.message}"]
    return []
