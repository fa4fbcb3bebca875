"""What the Cloud Functions read and how they reach it (orchid.deploy.function_settings and the
Terraform it feeds): each function gets the stores of the services it builds and calls, the
secrets of exactly those, its own TLS URLs and CA files written by Terraform, and the VPC on a
subnet of its own."""

from __future__ import annotations

import ipaddress
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from orchid.deploy import environments, function_settings, secrets
from orchid.deploy.events import registered
from orchid.functions.runtime import Function
from orchid.services import ELASTICSEARCH, MAIN_DB, REDIS, WAREHOUSE_DB
from orchid.services.registry import declared_peers, specs
from tests.support.terraform import (
    TERRAFORM_ROOT,
    Terraform,
    blocks,
    load_hcl,
    module_locals,
    module_resources,
    module_variables,
    wire_platform,
)

MODULES = TERRAFORM_ROOT / "modules"
FUNCTIONS = MODULES / "functions"
# What modules/platform gives the functions and Cloud SQL beyond the shared wiring
# (tests/support/terraform.py): a Terraform override file merges it into those module blocks.
FUNCTION_WIRING = """
module "functions" {
  network  = { network = "projects/p/global/networks/n", subnetwork = "s" }
  ca_files = module.workloads.function_ca_files
  settings = merge(module.workloads.function_settings, { ORCHID_ENV = "sandbox" })
}

module "cloudsql" {
  direct_url_secrets = {
    for key, name in module.workloads.function_url_secrets : key => "projects/p/secrets/${name}"
    if key != "redis"
  }
  server_ca_secret = "projects/p/secrets/${module.workloads.function_ca_files.cloudsql.secret}"
  server_ca_file   = module.workloads.function_ca_files.cloudsql.path
}
"""


def function(name: str) -> Function:
    return next(f for f in registered() if f.spec.name == name)


def test_a_module_is_read_for_the_services_it_calls_and_whether_it_mails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fn_reader_probe.py").write_text(
        "from orchid.kit.mail import mailer\n"
        "async def handle(ctx, services):\n"
        "    await ctx.services.orders.get_order(number='1')\n"
        "    await services.cart.get_lines(cart_id='c')\n"
        "    ctx.resources.cache('catalog')  # a cache, not the catalog service\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        found = function_settings.reach("fn_reader_probe")
    finally:
        sys.modules.pop("fn_reader_probe", None)
    assert found == function_settings.Reach(frozenset({"orders", "cart"}), True, False)


def test_a_function_mailing_through_the_hosts_mailer_is_given_the_smtp_url() -> None:
    for name in ("order-notifications", "abandoned-cart", "low-stock"):
        assert function_settings.reach(function(name).module).mails, name
        assert "ORCHID_SMTP_URL" in function_settings.secrets(function(name)), name
    assert not function_settings.reach(function("cache-invalidation").module).mails


def test_a_function_reads_the_stores_of_every_service_it_builds_and_calls() -> None:
    for fn in registered():
        touched = function_settings.reach(fn.module)
        stores = function_settings.stores(fn)
        assert fn.spec.stores <= stores, fn.spec.name
        for name in touched.services:
            assert specs()[name].stores <= stores, (fn.spec.name, name)
            for peer in declared_peers(name):  # placed in the same process, called in it
                assert specs()[peer].stores <= stores, (fn.spec.name, peer)
    # search-index names only Elasticsearch, but reads the catalog's feed and the stock
    assert function_settings.stores(function("search-index")) == {
        ELASTICSEARCH, MAIN_DB, WAREHOUSE_DB, REDIS}
    assert function_settings.stores(function("cache-invalidation")) == {REDIS}
    assert function_settings.stores(function("low-stock")) == {MAIN_DB}


def test_a_function_is_given_exactly_the_secrets_it_needs() -> None:
    for fn in registered():
        given = function_settings.secrets(fn)
        touched = function_settings.reach(fn.module)
        stores = function_settings.stores(fn)
        wanted = {s for store in stores for s in secrets.STORE_SETTINGS[store]}
        # assembling the services builds storefront, payments and accounts
        assert ("ORCHID_SECRET_KEY" in given) == bool(touched.services), fn.spec.name
        assert ("ORCHID_SMTP_URL" in given) == touched.mails, fn.spec.name
        assert ("ORCHID_SMS_API_KEY" in given) == bool(touched.services or touched.texts)
        assert {f"ORCHID_{s.upper()}" for s in wanted} <= set(given)
        assert set(function_settings.ca_files(fn)) == {
            function_settings.STORE_CAS[s] for s in stores if s in function_settings.STORE_CAS}
    assert function_settings.secrets(function("cache-invalidation")) == {
        "ORCHID_REDIS_URL": "orchid-redis-url-functions"}
    low_stock = function_settings.secrets(function("low-stock"))
    assert low_stock == {"ORCHID_MAIN_PRIMARY_URL": "orchid-main-primary-url-functions",
                         "ORCHID_MAIN_REPLICA_URLS": "orchid-main-replica-urls-functions",
                         "ORCHID_SMTP_URL": "orchid-smtp-url"}


def test_only_a_function_that_texts_leaves_through_cloud_nat() -> None:
    egress = {fn.spec.name: function_settings.egress(fn) for fn in registered()}
    assert egress.pop("order-notifications") == function_settings.ALL_TRAFFIC
    assert set(egress.values()) == {function_settings.PRIVATE_ONLY}


def test_the_functions_own_secrets_are_theirs_alone() -> None:
    workloads = module_locals(MODULES / "workloads")
    read = {s for fn in workloads["functions"].values() for s in fn["secrets"].values()}
    read |= {ca["secret"] for ca in workloads["function_ca_files"].values()}
    # Shared with the pods where the value is the same; the rest no pod mounts.
    shared = read & set(workloads["secret_accessors"])
    assert shared == {"orchid-elasticsearch-url", "orchid-secret-key", "orchid-sms-api-key"}
    own = read - shared
    assert own == {*function_settings.url_secrets().values(), "orchid-smtp-url",
                   *(ca.secret for ca in function_settings.CA_FILES.values())}
    assert not own & set(secrets.secret_ids())
    # The secrets module creates them; the functions module grants each function its own.
    output = blocks(load_hcl(MODULES / "workloads" / "outputs.tf"), "output")["secrets"]
    assert "local.function_secrets" in output["value"]
    grant = module_resources(FUNCTIONS)[("google_secret_manager_secret_iam_member", "function")]
    assert grant["for_each"] == "${local.secret_reads}"
    assert grant["role"] == "roles/secretmanager.secretAccessor"
    assert grant["member"] == "${google_service_account.function[each.value.function].member}"


def test_terraform_writes_the_urls_and_cas_the_functions_read() -> None:
    workloads = module_locals(MODULES / "workloads")
    assert workloads["function_url_secrets"] == function_settings.url_secrets()
    assert workloads["function_ca_files"] == {
        name: asdict(ca) for name, ca in function_settings.CA_FILES.items()}
    assert workloads["function_settings"] == function_settings.PLAIN_SETTINGS
    # each CA in a folder of its own: a mounted secret hides the rest of its folder
    folders = [Path(ca.path).parent for ca in function_settings.CA_FILES.values()]
    assert len(set(folders)) == len(folders)
    stores_tf = blocks(load_hcl(MODULES / "platform" / "stores.tf"), "module")
    cloudsql = stores_tf["cloudsql"]
    assert "module.workloads.function_url_secrets" in cloudsql["direct_url_secrets"]
    assert cloudsql["server_ca_file"] == "${module.workloads.function_ca_files.cloudsql.path}"
    redis = stores_tf["memorystore"]
    assert redis["client_url"]["ca_file"] == "${module.workloads.function_ca_files.redis.path}"
    # The URLs are the forms the settings take (docs/operations.md, "Secure connections").
    sql = (MODULES / "cloudsql" / "main.tf").read_text()
    assert '"?ssl_ca=${var.server_ca_file}"' in sql
    assert ":3306/${local.clusters[cluster].database}${local.ssl_ca}" in sql
    memorystore = (MODULES / "memorystore" / "main.tf").read_text()
    assert "/0?ssl_ca_certs=${var.client_url.ca_file}&ssl_cert_reqs=required" in memorystore
    # No client certificate on the functions' side: the instances take any TLS client.
    for name in ("primary", "replica"):
        settings = module_resources(MODULES / "cloudsql")[
            ("google_sql_database_instance", name)]["settings"][0]["ip_configuration"][0]
        assert settings["ssl_mode"] == "ENCRYPTED_ONLY"
        assert settings["server_ca_mode"] == "GOOGLE_MANAGED_CAS_CA"  # names the addresses


def test_the_functions_reach_the_vpc_on_their_own_subnet() -> None:
    service = module_resources(FUNCTIONS)[("google_cloudfunctions2_function", "this")][
        "service_config"][0]
    assert service["direct_vpc_egress"] == "VPC_EGRESS_${each.value.egress}"
    dynamic = {name: body for block in service["dynamic"] for name, body in block.items()}
    assert dynamic["direct_vpc_network_interface"]["for_each"] == (
        "${var.network == null ? [] : [var.network]}")
    assert dynamic["secret_environment_variables"]["for_each"] == "${each.value.secrets}"
    assert dynamic["secret_volumes"]["content"][0]["mount_path"] == (
        "${dirname(secret_volumes.value.path)}")
    assert service["environment_variables"] == "${var.settings}"
    version = load_hcl(FUNCTIONS / "versions.tf")["terraform"][0]["required_providers"][0]
    assert version["google"]["version"] == "~> 7.21"  # Direct VPC egress of functions
    egress = module_variables(FUNCTIONS)["functions"]["type"]
    assert 'egress = optional(string, "PRIVATE_RANGES_ONLY")' in egress.replace("  ", " ")
    wired = blocks(load_hcl(MODULES / "platform" / "stores.tf"), "module")["functions"]
    assert wired["network"]["subnetwork"] == '${module.network.subnet_ids["functions"]}'
    network = module_locals(MODULES / "network")
    assert network["subnets"]["functions"]["range"] == "${var.ranges.functions}"
    assert "${var.ranges.functions}" in network["internal_ranges"]  # Elasticsearch lets it in


@pytest.mark.parametrize("env", sorted(environments.ENVIRONMENTS))
def test_each_environments_functions_range_is_its_own(env: str) -> None:
    ranges = asdict(environments.ENVIRONMENTS[env].ranges)
    functions = ipaddress.ip_network(ranges.pop("functions"))
    assert functions.prefixlen <= 26  # Cloud Run takes addresses 16 at a time
    assert functions.is_private
    assert not [name for name, cidr in ranges.items()
                if functions.overlaps(ipaddress.ip_network(cidr))]


def test_the_function_tables_fit_the_modules_as_the_platform_wires_them(tmp_path: Path) -> None:
    # Planned against the modules' variables: types and validations (egress, ORCHID_* names,
    # the URL keys, an absolute CA path), no provider.
    root = wire_platform(tmp_path / "wiring")
    (root / "functions_override.tf").write_text(FUNCTION_WIRING)
    tf = Terraform(root, tmp_path)
    init = tf.run("init", "-backend=false")
    assert init.returncode == 0, init.stdout + init.stderr
    plan = tf.run("plan", "-refresh=false")
    assert plan.returncode == 0, plan.stdout + plan.stderr
