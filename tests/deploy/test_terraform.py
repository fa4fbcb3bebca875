"""deploy/terraform: formatted, valid where a provider is at hand, wired and described the same
way in every environment, agreeing with orchid.deploy's tables, and clean under checkov."""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchid.deploy import (
    environments,
    groups,
    ingress,
    overlays,
    platform,
    pods,
    secrets,
    workloads,
)
from orchid.services import MAIN_DB, REDIS, WAREHOUSE_DB
from tests.support.terraform import (
    MIRROR_HINT,
    REPO,
    TERRAFORM_ROOT,
    Terraform,
    blocks,
    copy_module,
    find_plugin_dir,
    load_hcl,
    module_files,
    module_locals,
    module_resources,
    module_variables,
    platform_root,
    plugin_dir_candidates,
    wire_platform,
)

MODULES = TERRAFORM_ROOT / "modules"
PLATFORM = MODULES / "platform"
ANSIBLE = REPO / "deploy" / "ansible"
ENVS = TERRAFORM_ROOT / "envs"
ENV_NAMES = sorted(environments.ENVIRONMENTS)
CHECKOV = REPO / ".cache" / "venvs" / "checkov" / "bin" / "checkov"
BASIC_ROLES = re.compile(r"^roles/(owner|editor|viewer)$")
# The files every root has; all but main.tf (the environment's values) and the backend are the
# same in every root.
SHARED_ROOT_FILES = ("providers.tf", "outputs.tf")
ROOT_FILES = ("main.tf", "backend.tf", *SHARED_ROOT_FILES)
LOCAL_REF = re.compile(r"\$\{local\.(\w+)\}")


def all_tf_files() -> list[Path]:
    """Every Terraform file of deploy/terraform."""
    return sorted(TERRAFORM_ROOT.rglob("*.tf"))


def module_dirs() -> list[Path]:
    """Every module folder."""
    return sorted(p for p in MODULES.iterdir() if p.is_dir())


def environment_values(env: str) -> dict[str, Any]:
    """The values an environment root gives the platform module, its locals filled in."""
    doc = load_hcl(ENVS / env / "main.tf")
    given = dict(blocks(doc, "module")["platform"])
    given.pop("source")
    values = {name: value for entry in doc.get("locals", []) for name, value in entry.items()}

    def resolve(value: object) -> object:
        ref = LOCAL_REF.fullmatch(value) if isinstance(value, str) else None
        return values[ref[1]] if ref else value

    return {name: resolve(value) for name, value in given.items()}


def strings(node: object) -> list[str]:
    """Every string anywhere in parsed HCL."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []


def identity_stores() -> dict[str, frozenset[str]]:
    """The stores each Google identity's pods reach."""
    found = {g.name: g.stores for g in workloads.groups()}
    found[workloads.PROBE] = workloads.PROBE_STORES
    found[workloads.RELAY] = workloads.RELAY_STORES
    return found | {t.name: t.stores for t in workloads.TASKS}


def test_terraform_files_are_formatted(tmp_path: Path) -> None:
    result = Terraform(REPO, tmp_path).run("fmt", "-check", "-recursive", "-diff",
                                           str(TERRAFORM_ROOT))
    assert result.returncode == 0, f"run `terraform fmt -recursive deploy/terraform`:\n" \
                                   f"{result.stdout}{result.stderr}"


def test_route53_module_validates_against_the_aws_provider(tmp_path: Path) -> None:
    plugins = find_plugin_dir()
    assert plugins is not None, (
        f"no Terraform provider mirror with {Path('registry.terraform.io/hashicorp/aws')} in "
        f"{', '.join(map(str, plugin_dir_candidates()))}: {MIRROR_HINT}")
    before = sorted(TERRAFORM_ROOT.rglob("*"))
    tf = Terraform(copy_module(MODULES / "route53", tmp_path / "route53"), tmp_path)
    init = tf.run("init", "-backend=false", f"-plugin-dir={plugins}")
    assert init.returncode == 0, init.stdout + init.stderr
    validate = tf.run("validate", "-json")
    report = json.loads(validate.stdout)
    assert report["valid"], json.dumps(report["diagnostics"], indent=1)
    assert report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=1)
    assert sorted(TERRAFORM_ROOT.rglob("*")) == before, "terraform wrote into the repository"


def test_workloads_module_validates(tmp_path: Path) -> None:
    # Data only, so it needs no provider: Terraform itself checks its expressions.
    tf = Terraform(copy_module(MODULES / "workloads", tmp_path / "workloads"), tmp_path)
    init = tf.run("init", "-backend=false")
    assert init.returncode == 0, init.stdout + init.stderr
    validate = tf.run("validate", "-json")
    assert json.loads(validate.stdout)["valid"], validate.stdout


def test_platform_tables_fit_the_modules_that_take_them(tmp_path: Path) -> None:
    # The tables wired as modules/platform wires them, into the modules cut down to their
    # variables: a plan type-checks every argument and runs every validation, no provider.
    tf = Terraform(wire_platform(tmp_path / "wiring"), tmp_path)
    init = tf.run("init", "-backend=false")
    assert init.returncode == 0, init.stdout + init.stderr
    plan = tf.run("plan", "-refresh=false")
    assert plan.returncode == 0, plan.stdout + plan.stderr


@pytest.mark.parametrize("env", ENV_NAMES)
def test_environment_values_pass_the_platform_variables(env: str, tmp_path: Path) -> None:
    # The root's main.tf against the platform module's variables alone needs no provider: a plan
    # type-checks every value and runs every validation (cluster name, zones in the region, …).
    tf = Terraform(platform_root((ENVS / env / "main.tf").read_text(), tmp_path), tmp_path)
    init = tf.run("init", "-backend=false")
    assert init.returncode == 0, init.stdout + init.stderr
    plan = tf.run("plan", "-refresh=false")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_the_platform_variables_refuse_a_wrong_environment_value(tmp_path: Path) -> None:
    main_tf = (ENVS / "sandbox" / "main.tf").read_text()
    assert 'cluster_name = "orchid-sandbox"' in main_tf
    wrong = main_tf.replace('cluster_name = "orchid-sandbox"', 'cluster_name = "orchid-prod"')
    tf = Terraform(platform_root(wrong, tmp_path), tmp_path)
    assert tf.run("init", "-backend=false").returncode == 0
    plan = tf.run("plan", "-refresh=false")
    assert plan.returncode != 0
    assert "cluster_name must be orchid-<environment>" in plan.stdout + plan.stderr


def test_no_working_state_is_in_the_tree() -> None:
    left = [p for p in TERRAFORM_ROOT.rglob("*")
            if p.name == ".terraform" or p.name.endswith((".tfstate", ".tfstate.backup"))]
    assert not left, f"remove {left}: state lives in the GCS backend, test runs in a copy"


@pytest.mark.parametrize("path", all_tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM_ROOT)))
def test_every_variable_has_a_type_and_a_description(path: Path) -> None:
    for name, body in blocks(load_hcl(path), "variable").items():
        assert "type" in body, f"variable {name} has no type"
        assert str(body.get("description", "")).strip(), f"variable {name} has no description"


@pytest.mark.parametrize("path", all_tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM_ROOT)))
def test_every_output_has_a_description(path: Path) -> None:
    for name, body in blocks(load_hcl(path), "output").items():
        assert str(body.get("description", "")).strip(), f"output {name} has no description"


@pytest.mark.parametrize("module", module_dirs(), ids=lambda p: p.name)
def test_every_module_has_the_standard_files(module: Path) -> None:
    names = {p.name for p in module.glob("*.tf")}
    assert {"main.tf", "variables.tf", "outputs.tf", "versions.tf"} <= names
    settings = load_hcl(module / "versions.tf")["terraform"][0]
    assert "required_version" in settings
    declared = set(settings.get("required_providers", [{}])[0])
    used: set[str] = set()
    for doc in module_files(module).values():
        for kind in ("resource", "data", "ephemeral"):
            for entry in doc.get(kind, []):
                for rtype, named in entry.items():
                    used |= {str(body.get("provider", rtype.split("_")[0]))
                             for body in named.values()}
    assert used <= declared, f"declare {used - declared} in {module.name}/versions.tf"


def test_the_platform_module_wires_every_other_module() -> None:
    called: set[str] = set()
    for doc in module_files(PLATFORM).values():
        called |= {Path(body["source"]).name for body in blocks(doc, "module").values()}
    assert called == {m.name for m in module_dirs()} - {PLATFORM.name}


@pytest.mark.parametrize("env", ENV_NAMES)
def test_each_environment_root_calls_the_platform_module(env: str) -> None:
    called = {name: body["source"]
              for name, body in blocks(load_hcl(ENVS / env / "main.tf"), "module").items()}
    assert called == {"platform": "../../modules/platform"}


def test_environment_roots_differ_only_in_their_values_and_backend() -> None:
    for name in SHARED_ROOT_FILES:
        texts = {env: (ENVS / env / name).read_text() for env in ENV_NAMES}
        assert len(set(texts.values())) == 1, f"envs/*/{name} differ: keep them identical"
    names = {env: sorted(p.name for p in (ENVS / env).iterdir()) for env in ENV_NAMES}
    assert len({tuple(found) for found in names.values()}) == 1, names
    for env in ENV_NAMES:
        assert sorted(p.name for p in (ENVS / env).glob("*.tf")) == sorted(ROOT_FILES), env
        assert not list((ENVS / env).glob("*.tfvars")), f"envs/{env}: values go in main.tf"
    # main.tf gives the platform module values, the same names in every root, and nothing else.
    shapes = set()
    for env in ENV_NAMES:
        doc = load_hcl(ENVS / env / "main.tf")
        assert set(doc) <= {"locals", "module"}, f"envs/{env}/main.tf: only the platform's values"
        given = environment_values(env)
        assert not [s for s in strings(given) if "${" in s], f"envs/{env}: values, not expressions"
        locals_names = tuple(sorted(name for entry in doc.get("locals", []) for name in entry))
        shapes.add((locals_names, tuple(sorted(given))))
    assert len(shapes) == 1, "give every environment the same platform arguments"


@pytest.mark.parametrize("env", ENV_NAMES)
def test_each_root_configures_every_provider_its_modules_need(env: str) -> None:
    doc = load_hcl(ENVS / env / "providers.tf")
    configured = {name for entry in doc["provider"] for name in entry}
    required: set[str] = set()
    for module in module_dirs():
        for path in module.glob("*.tf"):
            module_doc = load_hcl(path)
            assert "provider" not in module_doc, f"{path}: providers are configured in the roots"
            for settings in module_doc.get("terraform", []):
                for providers in settings.get("required_providers", []):
                    required |= set(providers)
    assert configured == required == {"google", "google-beta", "aws", "random", "helm"}
    # The providers and the platform read the same locals: one project, region and environment.
    shared = {name: f"${{local.{name}}}" for name in ("environment", "project_id", "region")}
    given = blocks(load_hcl(ENVS / env / "main.tf"), "module")["platform"]
    assert {name: given[name] for name in shared} == shared
    for google in (entry[name] for entry in doc["provider"] for name in entry
                   if name.startswith("google")):
        assert google == {"project": shared["project_id"], "region": shared["region"]}
    helm = next(entry["helm"] for entry in doc["provider"] if "helm" in entry)
    access = strings(helm)
    assert any("module.platform.cluster_access.endpoint" in s for s in access)
    assert any("module.platform.cluster_access.ca_certificate" in s for s in access)


def test_the_roots_output_all_but_the_platforms_sensitive_outputs() -> None:
    outputs = blocks(load_hcl(PLATFORM / "outputs.tf"), "output")
    sensitive = {name for name, body in outputs.items() if body.get("sensitive")}
    assert sensitive == {"cluster_access"}
    root = blocks(load_hcl(ENVS / ENV_NAMES[0] / "outputs.tf"), "output")
    assert set(root) == {"platform"}
    assert root["platform"]["value"] == (
        '${{for name, value in module.platform : name => value if name != "cluster_access"}}')


@pytest.mark.parametrize("env", ENV_NAMES)
def test_environment_values_match_the_environment_table(env: str) -> None:
    want = environments.ENVIRONMENTS[env]
    got = environment_values(env)
    assert got["environment"] == want.name
    assert got["project_id"] == want.project
    assert got["region"] == want.region
    assert got["zones"] == list(want.zones)
    assert got["domain"] == want.domain
    assert got["cluster_name"] == want.cluster
    assert got["ranges"] == asdict(want.ranges)
    assert got["staff_networks"] == list(want.staff_networks)


@pytest.mark.parametrize("env", ENV_NAMES)
def test_state_is_kept_in_the_environments_own_bucket(env: str) -> None:
    backend = load_hcl(ENVS / env / "backend.tf")["terraform"][0]["backend"][0]
    assert backend["gcs"]["bucket"] == f"orchid-{env}-tfstate"


def test_workload_identities_are_the_deploy_tables() -> None:
    platform = module_locals(MODULES / "workloads")
    assert platform["workloads"] == workloads.google_identities()
    assert module_variables(MODULES / "workloads")["namespace"]["default"] == "orchid"


def ansible_secrets() -> set[str]:
    """The Secret Manager secrets the management VMs' playbook looks up."""
    text = "".join(p.read_text() for p in sorted(ANSIBLE.rglob("*.yml")))
    return set(re.findall(r"gcp_secret_manager', key='([a-z0-9-]+)'", text))


def ansible_secret_settings() -> dict[str, str]:
    """Setting → the Secret Manager secret the management VMs' playbook reads it from."""
    given = yaml.safe_load((ANSIBLE / "group_vars" / "all.yml").read_text())["orchid_secrets"]
    found = {setting: re.findall(r"gcp_secret_manager', key='([a-z0-9-]+)'", value)
             for setting, value in given.items()}
    assert all(len(keys) == 1 for keys in found.values()), found
    return {setting: keys[0] for setting, keys in found.items()}


def test_secrets_are_the_ones_the_workloads_mount() -> None:
    accessors: dict[str, list[str]] = module_locals(MODULES / "workloads")["secret_accessors"]
    mounted: dict[str, set[str]] = {}
    for workload, files in secrets.workload_secrets().items():
        for secret in files.values():
            mounted.setdefault(secret, set()).add(workload)
    # Besides: the password the URLs embed and Redis AUTH (for the VMs and for rotation), and
    # the management VMs' own settings (those the pods do not share with them).
    own = ansible_secrets() - set(mounted)
    assert own and all(s.startswith("orchid-manage-") for s in own), own
    extra = {"orchid-db-password", "orchid-redis-auth"} | own
    assert set(accessors) - set(mounted) == extra
    assert set(mounted) == set(secrets.secret_ids())
    for secret, workloads_mounting in mounted.items():
        readers = set(accessors[secret]) - {"management"}
        assert readers == workloads_mounting, f"{secret}: readers {readers}"


def test_ansible_finds_every_secret_it_reads() -> None:
    found = ansible_secrets()
    assert found, f"no gcp_secret_manager lookups found under {ANSIBLE}"
    accessors = module_locals(MODULES / "workloads")["secret_accessors"]
    assert found <= set(accessors)
    assert all("management" in accessors[s] for s in found)


def test_the_management_vms_read_the_database_urls_terraform_writes() -> None:
    # Their Cloud SQL Auth Proxy listens on the pods' ports (deploy/ansible's cloud_sql_proxy
    # role), so the pods' URL secrets serve them as they are, under the same settings.
    read = ansible_secret_settings()
    databases = [s for store in (MAIN_DB, WAREHOUSE_DB) for s in secrets.STORE_SETTINGS[store]]
    assert {s: read.get(s) for s in databases} == {s: secrets.secret_id(s) for s in databases}
    written: dict[str, str] = module_locals(PLATFORM)["db_url_secrets"]
    assert {read[s] for s in databases} == set(written.values())
    url_secrets = blocks(load_hcl(PLATFORM / "stores.tf"), "module")["cloudsql"]["url_secrets"]
    assert "local.db_url_secrets" in url_secrets, "the URLs Terraform writes are these secrets"
    # Every other setting is the VMs' own.
    others = {s: secret for s, secret in read.items() if s not in databases}
    assert others == {s: secrets.secret_id(s).replace("orchid-", "orchid-manage-", 1)
                      for s in others}


@pytest.mark.parametrize("env", ENV_NAMES)
def test_management_addresses_are_ansibles_inventory(env: str) -> None:
    inventory = yaml.safe_load((ANSIBLE / "inventories" / env / "hosts.yml").read_text())
    hosts: dict[str, str] = {}
    for group in inventory["management"]["children"].values():
        hosts |= {name: spec["ansible_host"] for name, spec in group["hosts"].items()}
    subnet = ipaddress.ip_network(environments.ENVIRONMENTS[env].ranges.management)
    groups = environment_values(env)["management_groups"]
    assert {name: str(subnet[spec["host"]]) for name, spec in groups.items()} == hosts


def test_sql_proxy_ports_are_the_pods() -> None:
    ports = module_locals(MODULES / "workloads")["sql_proxy_ports"]
    assert ports == {key: port for db in pods.SQL_PORTS.values() for key, port in db.items()}


def test_only_database_workloads_are_cloud_sql_clients() -> None:
    roles: dict[str, list[str]] = module_locals(MODULES / "workloads")["workload_roles"]
    for workload, stores in identity_stores().items():
        client = "roles/cloudsql.client" in roles.get(workload, [])
        assert client == bool(stores & {MAIN_DB, WAREHOUSE_DB}), workload


def test_redis_readers_are_the_redis_workloads() -> None:
    accessors = module_locals(MODULES / "workloads")["secret_accessors"]
    users = {w for w, stores in identity_stores().items() if REDIS in stores}
    assert set(accessors["orchid-redis-url"]) == users


def test_no_basic_role_is_granted_anywhere() -> None:
    granted: list[str] = []
    for path in all_tf_files():
        doc = load_hcl(path)
        # Variables are left out: their validations name the basic roles to refuse them.
        granted += strings(doc.get("resource", [])) + strings(doc.get("locals", []))
        granted += strings(doc.get("module", []))
    for env in ENV_NAMES:
        granted += strings(environment_values(env))
    assert not [s for s in granted if BASIC_ROLES.match(s)]


def test_iam_module_refuses_basic_roles(tmp_path: Path) -> None:
    # The module's variables alone need no provider: plan them with a basic role and without.
    tf = Terraform(tmp_path / "iam", tmp_path)
    (tmp_path / "iam").mkdir()
    (tmp_path / "iam" / "variables.tf").write_text((MODULES / "iam" / "variables.tf").read_text())
    assert tf.run("init", "-backend=false").returncode == 0
    given = ["-var=project_id=orchid-sandbox", "-var=workload_pool=orchid-sandbox.svc.id.goog",
             '-var=workloads=["catalog"]']
    editor = tf.run("plan", *given, '-var=roles={catalog=["roles/editor"]}')
    assert editor.returncode != 0
    assert "Basic roles" in editor.stdout + editor.stderr
    narrow = tf.run("plan", *given, '-var=roles={catalog=["roles/cloudsql.client"]}')
    assert narrow.returncode == 0, narrow.stdout + narrow.stderr


def test_cloud_sql_is_the_architectures_topology() -> None:
    module = MODULES / "cloudsql"
    clusters = module_locals(module)["clusters"]
    assert {db: spec["replicas"] for db, spec in clusters.items()} == {"main": 3, "warehouse": 1}
    assert {spec["database"] for spec in clusters.values()} == {"orchid_main", "orchid_warehouse"}
    # Instance names are what the pods' Cloud SQL proxy connects to.
    prefix = module_variables(module)["name_prefix"]["default"]
    names = {f"{prefix}-{db}" for db in clusters} | {
        f"{prefix}-{db}-replica-{i}" for db, spec in clusters.items()
        for i in range(1, spec["replicas"] + 1)}
    assert names == {overlays.instance_name(k) for db in pods.SQL_PORTS.values() for k in db}
    assert module_variables(module)["user_name"]["default"] == "orchid"


def test_cloud_sql_is_backed_up_private_and_encrypted_in_transit() -> None:
    found = module_resources(MODULES / "cloudsql")
    primary = found[("google_sql_database_instance", "primary")]["settings"][0]
    backup = primary["backup_configuration"][0]
    assert backup["enabled"] is True and backup["binary_log_enabled"] is True
    assert primary["availability_type"] == "REGIONAL"
    for name in ("primary", "replica"):
        settings = found[("google_sql_database_instance", name)]["settings"][0]
        network = settings["ip_configuration"][0]
        assert network["ipv4_enabled"] is False, name
        assert network["ssl_mode"] in ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
    user = found[("google_sql_user", "orchid")]
    assert "password" not in user, "the password comes from Secret Manager, write-only"
    assert "ephemeral.google_secret_manager_secret_version" in module_files(
        MODULES / "cloudsql")["main.tf"]["locals"][1]["password"]


def test_functions_are_internal_and_invoked_only_by_name() -> None:
    found = module_resources(MODULES / "functions")
    service = found[("google_cloudfunctions2_function", "this")]["service_config"][0]
    assert service["ingress_settings"] == "ALLOW_INTERNAL_ONLY"
    invokers = {body["role"] for (rtype, _), body in found.items() if "run_v2_service_iam" in rtype}
    assert invokers == {"roles/run.invoker"}


def test_edge_names_are_the_ones_kubernetes_uses() -> None:
    armor = module_variables(MODULES / "armor")
    assert armor["shop_policy_name"]["default"] == ingress.SHOP
    assert armor["manage_policy_name"]["default"] == ingress.MANAGE
    assert armor["ssl_policy_name"]["default"] == ingress.TLS_POLICY
    assert armor["staff_api_prefixes"]["default"] == list(workloads.ADMIN_PREFIXES)
    assert {"/internal/", "/metrics"} <= set(armor["hidden_paths"]["default"])
    hosts = module_locals(MODULES / "workloads")["staff_api_hosts"]
    assert hosts == list(ingress.MANAGE_HOSTS)
    addresses = module_variables(MODULES / "network")["ingress_address_names"]["default"]
    assert {ingress.SHOP, ingress.MANAGE} <= set(addresses)


def test_the_cluster_addons_serve_what_the_pods_and_autoscalers_expect() -> None:
    addons = module_variables(MODULES / "cluster-addons")
    assert addons["namespace"]["default"] == environments.MONITORING_NAMESPACE
    assert addons["requests_metric"]["default"] == groups.REQUESTS_METRIC
    # the app's spans go where the collector listens, and only the shop's namespace may send
    collector = (addons["otel_collector_name"]["default"], addons["namespace"]["default"],
                 addons["otlp_http_port"]["default"])
    assert "http://{}.{}.svc.cluster.local:{}".format(*collector) == environments.OTLP_ENDPOINT
    assert addons["app_namespace"]["default"] == platform.NAMESPACE
    traces = next(p for p in platform.policies() if p["metadata"]["name"] == "traces")
    to = traces["spec"]["egress"][0]["to"][0]["podSelector"]["matchLabels"]
    assert to == {"app.kubernetes.io/instance": collector[0]}  # the Helm release's pods
    hpa = groups.autoscaler(workloads.groups()[0])
    assert groups.REQUESTS_METRIC in {m["pods"]["metric"]["name"]
                                      for m in hpa["spec"]["metrics"] if m["type"] == "Pods"}


def test_alertmanager_mounts_every_receiver_file_its_configuration_reads() -> None:
    addons = module_variables(MODULES / "cluster-addons")
    mounted = addons["receiver_secrets"]["default"]
    config = yaml.safe_load((TERRAFORM_ROOT.parent / "monitoring" / "alertmanager" /
                             "alertmanager.yml").read_text())
    read = {value.rsplit("/", 1)[-1] for receiver in config["receivers"]
            for configs in receiver.values() if isinstance(configs, list)
            for entry in configs for key, value in entry.items() if key.endswith("_file")}
    assert read == set(mounted)
    assert all(secret.startswith("orchid-alerts-") for secret in mounted.values())


def test_the_shop_policy_admits_india_only() -> None:
    shop = module_resources(MODULES / "armor")[("google_compute_security_policy", "shop")]
    rules = {r["priority"]: r for r in shop["rule"]}
    default = rules[2147483647]
    assert default["action"] == "deny(403)"
    allowing = [r for r in rules.values() if r["action"] in ("allow", "rate_based_ban")]
    geo = [r for r in allowing if r["action"] == "rate_based_ban"]
    assert [r["match"][0]["expr"][0]["expression"] for r in geo] == ["origin.region_code == 'IN'"]
    assert shop["adaptive_protection_config"][0]["layer_7_ddos_defense_config"][0]["enable"]


def test_the_internet_reaches_only_google_front_ends() -> None:
    network = MODULES / "network"
    assert module_variables(network)["load_balancer_ranges"]["default"] == list(
        environments.GOOGLE_LB_RANGES)
    assert module_variables(network)["private_apis_range"]["default"] == (
        environments.GOOGLE_PRIVATE_APIS)
    for (rtype, name), body in module_resources(network).items():
        if rtype == "google_compute_firewall" and "allow" in body:
            assert "0.0.0.0/0" not in strings(body.get("source_ranges", [])), name


def test_every_checkov_skip_says_why() -> None:
    skips = [(path, line.strip()) for path in all_tf_files()
             for line in path.read_text().splitlines() if "checkov:skip" in line]
    assert skips, "expected the justified skips (replicas' backups, Route 53 records, …)"
    for path, line in skips:
        match = re.fullmatch(r"#checkov:skip=(CKV2?_[A-Z]+_\d+):(.+)", line)
        assert match and len(match[2].split()) >= 8, f"{path}: give a reason: {line}"


def test_checkov_finds_nothing(tmp_path: Path) -> None:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `make deploy-tools`"
    result = subprocess.run(
        [str(CHECKOV), "-d", str(TERRAFORM_ROOT), "--framework", "terraform", "--quiet",
         "--compact", "-o", "json", "--skip-download"],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{c['check_id']} {c['check_name']} — {c['resource']} ({c['file_path']})"
              for r in reports for c in r["results"]["failed_checks"]]
    assert not failed, "\n".join(failed)
    summary = reports[0]["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0 and summary["resource_count"] > 0
