"""deploy/k8s: generated from the service registry, rendered for every environment and every
combination of components, valid against the API schemas, and hardened on every pod."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from orchid.deploy import overlays
from orchid.deploy.environments import ENVIRONMENTS, GOOGLE_LB_RANGES
from orchid.deploy.ingress import manage_paths, shop_paths
from orchid.deploy.secrets import workload_secrets
from orchid.deploy.tree import (
    COMPONENTS,
    RenderFailed,
    combinations_of,
    differences,
    needed_by,
    render,
    write,
)
from orchid.deploy.workloads import SALE_DAY_FACTOR, TASKS, groups
from orchid.services.registry import SERVICE_NAMES, declared_peers, public_path_prefixes
from tests.support.k8s import K8S, PINNED, of_kind, pod_specs, problems, rendered, rendered_access

COMBINATIONS = [(env, combo) for env in ENVIRONMENTS for combo in combinations_of()]
PER_GROUP = ("ServiceAccount", "Deployment", "Service", "PodDisruptionBudget",
             "HorizontalPodAutoscaler", "NetworkPolicy")


def test_deploy_k8s_is_what_the_code_generates() -> None:
    found = differences(K8S)
    assert not found, ("deploy/k8s differs from the code — run `orchid deploy generate`: "
                       + ", ".join(found))


def test_generating_rewrites_a_changed_file_and_removes_a_stale_one(tmp_path: Path) -> None:
    write(tmp_path)
    assert differences(tmp_path) == []
    edited = tmp_path / "base" / "groups" / "catalog.yaml"
    edited.write_text(edited.read_text().replace("maxUnavailable: 1", "maxUnavailable: 3"))
    stale = tmp_path / "base" / "groups" / "retired.yaml"
    stale.write_text((tmp_path / "base" / "tasks.yaml").read_text())
    assert differences(tmp_path) == ["changed: base/groups/catalog.yaml",
                                     "left over: base/groups/retired.yaml"]
    assert write(tmp_path) == ["base/groups/retired.yaml"]
    assert differences(tmp_path) == []


def test_every_service_is_placed_in_exactly_one_group() -> None:
    placed = [service for group in groups() for service in group.services]
    assert sorted(placed) == sorted(SERVICE_NAMES)


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_every_group_has_its_six_objects(env: str) -> None:
    docs = rendered(env)
    for kind in PER_GROUP:
        names = set(of_kind(docs, kind))
        missing = {g.name for g in groups()} - names
        assert not missing, f"{kind} missing for {sorted(missing)} in {env}"
    for group in groups():
        deployment = of_kind(docs, "Deployment")[group.name]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env_vars = {e["name"]: e.get("value") for e in container["env"]}
        assert env_vars["ORCHID_SERVICES"] == ",".join(group.services)
        hpa = of_kind(docs, "HorizontalPodAutoscaler")[group.name]
        assert hpa["spec"]["scaleTargetRef"]["name"] == group.name
        assert {m["type"] for m in hpa["spec"]["metrics"]} == {"Resource", "Pods"}
        assert "replicas" not in deployment["spec"]  # the autoscaler owns it


@pytest.mark.parametrize(("env", "combo"), COMBINATIONS,
                         ids=[f"{e}+{'+'.join(c) or 'plain'}" for e, c in COMBINATIONS])
def test_every_combination_renders_valid_objects(env: str, combo: tuple[str, ...]) -> None:
    docs = rendered(env, combo)
    found = [p for doc in docs for p in problems(doc)]
    assert not found, "\n".join(found[:20])
    assert all(d["metadata"].get("namespace") == "orchid" for d in docs)
    assert not of_kind(docs, "Secret"), "secrets come from Secret Manager, never a manifest"
    assert not of_kind(docs, "Role"), "Roles are the cluster admins' (deploy/k8s/access)"


def test_the_access_part_is_valid_and_grants_no_secrets_and_no_exec() -> None:
    docs = rendered_access()
    assert [p for doc in docs for p in problems(doc)] == []
    namespace = of_kind(docs, "Namespace")["orchid"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for role in of_kind(docs, "Role").values():
        for rule in role["rules"]:
            assert "secrets" not in rule["resources"] and "pods/exec" not in rule["resources"]
            assert "*" not in rule["verbs"] and "*" not in rule["resources"]
    floors = of_kind(docs, "Role")["floors"]["rules"]
    assert floors == [{"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"],
                       "resourceNames": [g.name for g in groups()], "verbs": ["get", "patch"]}]


def test_the_validator_refuses_what_the_api_server_would() -> None:
    docs = rendered("prod")
    backend = copy.deepcopy(of_kind(docs, "BackendConfig")["orchid-shop"])
    backend["spec"]["healthCheck"]["requestpath"] = "/readyz"  # a misspelt field
    assert problems(backend), "an unknown BackendConfig field passed"
    deployment = copy.deepcopy(of_kind(docs, "Deployment")["catalog"])
    deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limit"] = {}
    assert problems(deployment), "an unknown container field passed"
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert problems(unknown) == ["Widget/w: no schema for example.com/v1 Widget "
                                 "(add one to deploy/k8s/schemas)"]


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_every_pod_is_hardened(env: str) -> None:
    docs = rendered(env, tuple(COMPONENTS))
    for where, spec in pod_specs(docs):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] >= 10000, where
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec["automountServiceAccountToken"] is (where == "CronJob/floors"), where
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            named = f"{where}/{container['name']}"
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, named
            assert context["allowPrivilegeEscalation"] is False, named
            assert context["capabilities"] == {"drop": ["ALL"]}, named
            limits, requests = container["resources"]["limits"], container["resources"]["requests"]
            assert set(limits) == set(requests) == {"cpu", "memory"}, named
            assert "@sha256:" in container["image"], f"{named}: {container['image']}"
        if where.startswith("Deployment/") and where != "Deployment/probe":
            app = spec["containers"][0]
            assert app["livenessProbe"]["httpGet"]["path"] == "/healthz", where
            assert app["readinessProbe"]["httpGet"]["path"] == "/readyz", where
            zones = [c for c in spec["topologySpreadConstraints"]
                     if c["topologyKey"] == "topology.kubernetes.io/zone"]
            assert zones and zones[0]["whenUnsatisfiable"] == "DoNotSchedule", where


def test_the_app_image_is_the_one_the_pipeline_pins() -> None:
    docs = rendered("prod")
    images = {c["image"] for _, spec in pod_specs(docs) for c in spec["containers"]}
    assert images == {f"asia-south1-docker.pkg.dev/orchid-prod/orchid/orchid@{PINNED}"}


def test_a_pod_mounts_only_its_own_workloads_secrets() -> None:
    docs = rendered("prod")
    classes = of_kind(docs, "SecretProviderClass")
    assert set(classes) == {name for name, files in workload_secrets().items() if files}
    for where, spec in pod_specs(docs):
        mounted = [v for v in spec["volumes"] if "csi" in v]
        name = where.split("/")[1]
        assert len(mounted) == (1 if name in classes else 0), where
    for name, files in workload_secrets().items():
        if not files:
            continue
        text = classes[name]["spec"]["parameters"]["secrets"]
        assert text.count("resourceName:") == len(files)
        assert all(f"projects/orchid-prod/secrets/{s}/versions/latest" in text
                   for s in files.values())
    storefront = workload_secrets()["storefront"]
    assert not any("url" in f for f in storefront), "the storefront keeps no store"
    inventory = workload_secrets()["inventory"]
    assert "orchid_warehouse_primary_url" in inventory
    assert "orchid_main_primary_url" not in inventory
    keys = {name: files.get("orchid_internal_keys") for name, files in workload_secrets().items()}
    assert keys["sweeper"] == keys["orders"] == "orchid-internal-keys-orders"
    assert len({k for k in keys.values() if k}) == len([g for g in groups() if g.calls])


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_network_policies_allow_exactly_the_declared_calls(env: str) -> None:
    docs = rendered(env)
    policies = of_kind(docs, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {},
                                                "policyTypes": ["Ingress", "Egress"]}
    for caller in SERVICE_NAMES:
        for callee in declared_peers(caller):
            egress = policies[caller]["spec"]["egress"]
            assert any(rule["to"][0].get("podSelector", {}).get("matchLabels", {})
                       .get("app.kubernetes.io/name") == callee for rule in egress), \
                f"{caller} may not reach {callee}"
            sources = [s for rule in policies[callee]["spec"]["ingress"] for s in rule["from"]]
            assert any(s.get("podSelector", {}).get("matchLabels", {})
                       .get("app.kubernetes.io/name") == caller for s in sources), \
                f"{callee} does not admit {caller}"
    for group in groups():
        allowed = {s["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                   for rule in policies[group.name]["spec"]["ingress"] for s in rule["from"]
                   if "podSelector" in s}
        undeclared = allowed - {c for c in SERVICE_NAMES if group.name in declared_peers(c)}
        assert undeclared <= {t.name for t in TASKS}, f"{group.name} admits {undeclared}"
        load_balancer = {s["ipBlock"]["cidr"] for rule in policies[group.name]["spec"]["ingress"]
                         for s in rule["from"] if "ipBlock" in s}
        assert load_balancer == (set(GOOGLE_LB_RANGES) if group.paths else set()), group.name


def test_the_stores_probe_runs_once_scraped_as_the_job_its_alert_watches() -> None:
    docs = rendered("prod")
    probe = of_kind(docs, "Deployment")["probe"]
    assert probe["spec"]["replicas"] == 1
    assert "probe" not in of_kind(docs, "HorizontalPodAutoscaler")  # fixed work, not traffic
    assert of_kind(docs, "PodDisruptionBudget")["probe"]["spec"]["maxUnavailable"] == 1
    pod = probe["spec"]["template"]["spec"]
    app = pod["containers"][0]
    assert app["args"][:2] == ["monitoring", "probe"]
    folder = app["args"][app["args"].index("--cloud-sql") + 1]
    mounted = {m["mountPath"]: m["name"] for m in app["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mounted[folder]]["configMap"]["name"] == "cloud-sql"
    assert app["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "http"}
    assert "initContainers" not in pod  # Google's APIs, not the Cloud SQL proxy
    assert set(workload_secrets()["probe"]) == {"orchid_redis_url", "orchid_elasticsearch_url"}
    policy = of_kind(docs, "NetworkPolicy")["probe"]["spec"]
    assert policy["egress"] == [] and [s["namespaceSelector"]["matchLabels"] for s in
                                       policy["ingress"][0]["from"]] == [
        {"kubernetes.io/metadata.name": "monitoring"}]
    # every job the rules name is one a PodMonitor scrapes its pods as
    from orchid.monitoring.rules import rule_files

    jobs = set(re.findall(r'job="([^"]+)"', yaml.safe_dump(rule_files())))
    monitors = of_kind(docs, "PodMonitor").values()
    scraped = {}
    for monitor in monitors:
        endpoint = monitor["spec"]["podMetricsEndpoints"][0]
        job = next(r["replacement"] for r in endpoint["relabelings"] if r["targetLabel"] == "job")
        scraped[job] = monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
    # orchid-functions is the stack's: on GKE the functions are Cloud Functions, not pods.
    assert jobs == {"orchid-app", "orchid-probe", "orchid-relay", "orchid-functions"}
    assert jobs - {"orchid-functions"} <= set(scraped)
    assert scraped["orchid-probe"] == probe["spec"]["template"]["metadata"]["labels"][
        "app.kubernetes.io/component"]
    assert scraped["orchid-app"] == of_kind(docs, "Deployment")["orders"]["spec"]["template"][
        "metadata"]["labels"]["app.kubernetes.io/component"]


def test_the_events_relay_publishes_both_outboxes_as_its_own_identity() -> None:
    docs = rendered("prod")
    relay = of_kind(docs, "Deployment")["relay"]
    assert "replicas" not in relay["spec"]  # the autoscaler owns it
    hpa = of_kind(docs, "HorizontalPodAutoscaler")["relay"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 4)
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    assert of_kind(docs, "PodDisruptionBudget")["relay"]["spec"]["minAvailable"] == 1
    pod = relay["spec"]["template"]["spec"]
    app = pod["containers"][0]
    assert app["args"][:2] == ["events", "relay"] and "all" in app["args"]
    # Its Pub/Sub project, and no one else's: a service pod given one would open a bus.
    config = {m["configMapRef"]["name"] for m in app["envFrom"]}
    assert config == {"orchid-config", overlays.EVENTS_CONFIG}
    maps = of_kind(docs, "ConfigMap")
    assert maps[overlays.EVENTS_CONFIG]["data"] == {"ORCHID_PUBSUB_PROJECT": "orchid-prod"}
    assert "ORCHID_PUBSUB_PROJECT" not in maps["orchid-config"]["data"]
    for where, spec in pod_specs(docs):
        refs = {m.get("configMapRef", {}).get("name") for c in spec["containers"]
                for m in c.get("envFrom", [])}
        assert (overlays.EVENTS_CONFIG in refs) == (where == "Deployment/relay"), where
    # Both primaries through the Cloud SQL proxy; the identity Terraform grants Pub/Sub to.
    proxy = pod["initContainers"][0]
    keys = {e["valueFrom"]["configMapKeyRef"]["key"] for e in proxy["env"]}
    assert {"main-primary", "warehouse-primary"} <= keys
    account = of_kind(docs, "ServiceAccount")["relay"]["metadata"]["annotations"]
    assert account["iam.gke.io/gcp-service-account"] == (
        ENVIRONMENTS["prod"].service_account("relay"))
    # Prometheus alone reaches it; it reaches its databases and Redis, whose channel its
    # writers ring it awake on (the overlay's egress), and Google.
    policies = of_kind(docs, "NetworkPolicy")
    own = policies["relay"]["spec"]
    assert own["egress"] == [] and [s["namespaceSelector"]["matchLabels"] for s in
                                    own["ingress"][0]["from"]] == [
        {"kubernetes.io/metadata.name": "monitoring"}]
    stores = policies["relay-stores"]["spec"]["egress"]
    private = [{"ipBlock": {"cidr": ENVIRONMENTS["prod"].ranges.private_services}}]
    assert stores == [{"to": private, "ports": [{"protocol": "TCP",
                                                 "port": overlays.CLOUD_SQL_PORT}]},
                      {"to": private, "ports": [{"protocol": "TCP", "port": port}
                                                for port in overlays.REDIS_PORTS]}]
    # Scraped as the job EventsRelayDown watches.
    monitor = of_kind(docs, "PodMonitor")["orchid-relay"]["spec"]
    assert monitor["selector"]["matchLabels"]["app.kubernetes.io/component"] == \
        relay["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]


def test_the_relay_runs_with_options_its_command_takes() -> None:
    import typer.main

    from orchid.cli import app
    from orchid.deploy.relay import ARGS

    group = typer.main.get_command(app)
    command = group.commands[ARGS[0]].commands[ARGS[1]]  # type: ignore[attr-defined]
    options = {opt for param in command.params for opt in param.opts}
    given = [arg for arg in ARGS[2:] if arg.startswith("--")]
    assert set(given) <= options, f"`orchid events relay` takes {sorted(options)}"


def test_no_service_pod_relays_or_hosts_functions() -> None:
    docs = rendered("prod")
    for group in groups():
        container = of_kind(docs, "Deployment")[group.name]["spec"]["template"]["spec"][
            "containers"][0]
        env_vars = {e["name"]: e.get("value") for e in container["env"]}
        assert env_vars["ORCHID_EVENTS_RELAY"] == "false", group.name
        assert env_vars["ORCHID_FUNCTIONS_IN_PROCESS"] == "false", group.name


def test_the_shop_host_routes_every_public_prefix_but_the_staff_api() -> None:
    docs = rendered("prod")
    shop = of_kind(docs, "Ingress")["orchid-shop"]
    routed = {p["path"]: p["backend"]["service"]["name"]
              for p in shop["spec"]["rules"][0]["http"]["paths"]}
    assert shop["spec"]["rules"][0]["host"] == "www.orchid.example"
    for prefix, service in public_path_prefixes().items():
        if prefix.startswith("/api/v1/admin"):
            assert prefix not in routed
        else:
            assert routed[prefix.rstrip("/")] == service, prefix
    assert routed == shop_paths()
    assert shop["spec"]["defaultBackend"]["service"]["name"] == "storefront"
    manage = of_kind(docs, "Ingress")["orchid-manage"]
    staff = {p["path"]: p["backend"]["service"]["name"]
             for p in manage["spec"]["rules"][0]["http"]["paths"]}
    assert manage["spec"]["rules"][0]["host"] == "manage-api.orchid.example"
    assert staff == {path: f"{group}-manage" for path, group in manage_paths().items()}
    assert "/api/v1/admin/orders" in staff and "defaultBackend" not in manage["spec"]
    services = of_kind(docs, "Service")
    for name in staff.values():
        annotation = services[name]["metadata"]["annotations"]["cloud.google.com/backend-config"]
        assert "orchid-manage" in annotation
    assert of_kind(docs, "BackendConfig")["orchid-manage"]["spec"]["securityPolicy"] == {
        "name": "orchid-manage"}


def test_the_sale_day_floors_are_four_times_prods_and_never_step_down_at_night() -> None:
    normal = of_kind(rendered("prod"), "HorizontalPodAutoscaler")
    sale = of_kind(rendered("prod", ("sale-day",)), "HorizontalPodAutoscaler")
    for group in groups():
        assert sale[group.name]["spec"]["minReplicas"] == \
            SALE_DAY_FACTOR * normal[group.name]["spec"]["minReplicas"]
        assert sale[group.name]["spec"]["maxReplicas"] >= sale[group.name]["spec"]["minReplicas"]
    floors = of_kind(rendered("prod", ("sale-day",)), "ConfigMap")["orchid-floors"]
    assert '"night": 24' in floors["data"]["floors.json"]  # the storefront's, night = day


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_each_environment_keeps_floors_within_its_ceilings(env: str) -> None:
    hpas = of_kind(rendered(env), "HorizontalPodAutoscaler")
    for group in groups():
        spec = hpas[group.name]["spec"]
        day, night, ceiling = overlays.floors(ENVIRONMENTS[env], group, sale_day=False)
        assert (spec["minReplicas"], spec["maxReplicas"]) == (day, ceiling)
        assert 1 <= night <= day <= ceiling
    if ENVIRONMENTS[env].night_scaling:
        assert any(overlays.floors(ENVIRONMENTS[env], g, sale_day=False)[1] <
                   overlays.floors(ENVIRONMENTS[env], g, sale_day=False)[0] for g in groups())


def test_spot_nodes_move_every_group_and_nothing_else() -> None:
    docs = rendered("preprod", ("spot-nodes",))
    for where, spec in pod_specs(docs):
        on_spot = spec.get("nodeSelector", {}).get("cloud.google.com/gke-spot") == "true"
        # the probe stays on regular nodes: a preemption would blind the alerts for minutes
        assert on_spot == (where in {f"Deployment/{g.name}" for g in groups()}), where


@pytest.mark.parametrize(("env", "components", "image", "refusal"), [
    ("staging", (), None, "unknown environment 'staging'"),
    ("prod", ("black-friday",), None, "unknown components ['black-friday']"),
    ("prod", (), "asia-south1-docker.pkg.dev/orchid-prod/orchid/orchid:0.1.0", "by digest"),
])
def test_render_refuses_what_it_cannot_render(env: str, components: tuple[str, ...],
                                              image: str | None, refusal: str) -> None:
    with pytest.raises(RenderFailed, match=re.escape(refusal)):
        render(K8S, env, components=components, image=image)


def test_only_migrate_keeps_what_the_migrations_need_and_nothing_else() -> None:
    text = render(K8S, "prod", image=f"example.com/orchid@{PINNED}")
    kept = [d for d in yaml.safe_load_all(needed_by(text, "migrate")) if d]
    kinds = {(d["kind"], d["metadata"]["name"]) for d in kept}
    assert ("Job", "migrate") in kinds and ("ConfigMap", "cloud-sql") in kinds
    assert ("NetworkPolicy", "default-deny") in kinds and ("NetworkPolicy", "dns") in kinds
    assert not {k for k in kinds if k[0] in ("Deployment", "CronJob", "Ingress")}
    with pytest.raises(RenderFailed, match="no workload 'nothing'"):
        needed_by(text, "nothing")
