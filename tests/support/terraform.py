"""Terraform for the deploy tests: the CLI in a scratch folder, its provider mirror, HCL parsing,
and provider-free roots: the platform tables wired into the modules' variables, and an
environment's values given to the platform module's variables.

This machine has no Terraform registry, so providers come from a local filesystem mirror (the
folder holding registry.terraform.io/hashicorp/aws/…), passed to `terraform init -plugin-dir`.
Nothing is written into the repository: every command runs on a copy, with its data directory
and CLI configuration in the test's own temporary folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import hcl2

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_ROOT = REPO / "deploy" / "terraform"
AWS_PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"
MIRROR_HINT = (
    "install the AWS provider into a filesystem mirror on a machine with registry access: "
    "`terraform providers mirror -platform=linux_amd64 /opt/tf-plugins` in a folder whose "
    'required_providers pin hashicorp/aws "~> 5.100" (then copy /opt/tf-plugins here), '
    "or point TF_PLUGIN_DIR at such a folder"
)
_WIRED = ("iam", "secrets", "pubsub", "functions", "armor", "cloudsql", "management")
_HCL = hcl2.SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True)


def plugin_dir_candidates() -> list[Path]:
    """Where a provider mirror may be, in the order it is looked for."""
    named = [Path(os.environ["TF_PLUGIN_DIR"])] if os.environ.get("TF_PLUGIN_DIR") else []
    return [*named, Path("/opt/tf-plugins"), Path.home() / ".terraform.d" / "plugins",
            Path("/usr/share/terraform/plugins")]


def find_plugin_dir() -> Path | None:
    """The first mirror that holds the AWS provider, if any."""
    return next((d for d in plugin_dir_candidates() if (d / AWS_PROVIDER).is_dir()), None)


@dataclass(frozen=True)
class Terraform:
    """The terraform CLI run in `workdir`, with its state of mind kept under `scratch`."""

    workdir: Path
    scratch: Path
    timeout: float = 300

    def env(self) -> dict[str, str]:
        """The process environment: no registry, no checkpoint calls, no prompts."""
        cli_config = self.scratch / "terraformrc"
        cli_config.touch()
        plain = {f"TF_CLI_ARGS_{command}": "-no-color" for command in ("init", "validate", "plan")}
        return {**os.environ, **plain, "TF_DATA_DIR": str(self.scratch / "data"),
                "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1",
                "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `terraform <args>` and return what happened (never raises on failure)."""
        return subprocess.run(["terraform", *args], cwd=self.workdir, env=self.env(),
                              capture_output=True, text=True, timeout=self.timeout,
                              check=False)


def copy_module(source: Path, into: Path) -> Path:
    """Copy a module's .tf files into a fresh folder and return it."""
    into.mkdir(parents=True)
    for path in source.glob("*.tf"):
        shutil.copy2(path, into / path.name)
    return into


def load_hcl(path: Path) -> dict[str, Any]:
    """A .tf or .tfvars file as plain data: strings unquoted, expressions as ${…} strings."""
    return cast(dict[str, Any], hcl2.loads(path.read_text(), serialization_options=_HCL))


def blocks(doc: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The labelled blocks of one kind (variable, output, module) by label."""
    found: dict[str, dict[str, Any]] = {}
    for entry in doc.get(kind, []):
        found.update(entry)
    return found


def resources(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Resource bodies by (type, name)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in doc.get("resource", []):
        for rtype, named in entry.items():
            for name, body in named.items():
                found[(rtype, name)] = body
    return found


def locals_of(doc: dict[str, Any]) -> dict[str, Any]:
    """Every local value defined in a file."""
    found: dict[str, Any] = {}
    for entry in doc.get("locals", []):
        found.update(entry)
    return found


def module_files(module: Path) -> dict[str, dict[str, Any]]:
    """Every .tf file of a module, parsed, by file name."""
    return {path.name: load_hcl(path) for path in sorted(module.glob("*.tf"))}


def module_resources(module: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every resource of a module, whichever file declares it."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in module_files(module).values():
        found |= resources(doc)
    return found


def module_locals(module: Path) -> dict[str, Any]:
    """Every local value of a module."""
    found: dict[str, Any] = {}
    for doc in module_files(module).values():
        found |= locals_of(doc)
    return found


def module_variables(module: Path) -> dict[str, dict[str, Any]]:
    """Every variable of a module by name."""
    found: dict[str, dict[str, Any]] = {}
    for doc in module_files(module).values():
        found |= blocks(doc, "variable")
    return found


# The platform tables (modules/workloads) wired into the modules that take them as
# modules/platform wires them, with placeholders for everything else.
_WIRING = """
module "workloads" {
  source = "./workloads"
}

locals {
  members = merge(
    { for w in module.workloads.workloads :
      w => "serviceAccount:orchid-${w}@p.iam.gserviceaccount.com" },
    { management = "serviceAccount:orchid-manage-vm@p.iam.gserviceaccount.com" },
  )
}

module "iam" {
  source        = "./iam"
  project_id    = "p"
  workload_pool = "p.svc.id.goog"
  namespace     = module.workloads.namespace
  workloads     = module.workloads.workloads
  custom_roles  = module.workloads.custom_roles
  roles         = module.workloads.workload_roles
}

module "secrets" {
  source         = "./secrets"
  project_id     = "p"
  region         = "asia-south1"
  secrets        = module.workloads.secrets
  generated      = ["orchid-db-password"]
  public_values  = { orchid-trusted-proxies = "130.211.0.0/22,35.191.0.0/16" }
  accessors      = module.workloads.secret_accessors
  members        = local.members
  encryption_key = "k"
}

module "pubsub" {
  source         = "./pubsub"
  project_id     = "p"
  region         = "asia-south1"
  service_agent  = "serviceAccount:service-1@gcp-sa-pubsub.iam.gserviceaccount.com"
  encryption_key = "k"
  topics         = module.workloads.event_topics
  members        = local.members
}

module "functions" {
  source         = "./functions"
  project_id     = "p"
  region         = "asia-south1"
  source_archive = { bucket = "b", object = "o" }
  topic_ids      = { for t in keys(module.workloads.event_topics) : t => "projects/p/topics/${t}" }
  functions      = module.workloads.functions
  members        = local.members
}

module "armor" {
  source         = "./armor"
  project_id     = "p"
  staff_networks = ["203.0.113.0/24"]
  staff_hosts    = [for h in module.workloads.staff_api_hosts : "${h}.orchid.example"]
}

module "cloudsql" {
  source                       = "./cloudsql"
  project_id                   = "p"
  region                       = "asia-south1"
  zones                        = ["asia-south1-a", "asia-south1-b"]
  network_id                   = "n"
  allocated_ip_range           = "r"
  tiers                        = { main = "t", warehouse = "t" }
  replica_tiers                = { main = "t", warehouse = "t" }
  encryption_key               = "k"
  user_password_secret         = "s"
  user_password_secret_version = "1"
  url_secrets = {
    main_primary = "a", main_replicas = "b", warehouse_primary = "c", warehouse_replicas = "d"
  }
  proxy_ports                  = module.workloads.sql_proxy_ports
}

module "management" {
  source              = "./management"
  project_id          = "p"
  region              = "asia-south1"
  zones               = ["asia-south1-a", "asia-south1-b"]
  subnet_id           = "s"
  subnet_range        = "10.0.16.0/24"
  groups              = { manage-01 = { machine_type = "m", host = 10 } }
  load_balancers = {
    for name, lb in module.workloads.management_load_balancers :
    name => merge(lb, { host = "${lb.host}.orchid.example", group = "manage-01" })
  }
  roles               = module.workloads.management_roles
  security_policy     = "a"
  ssl_policy          = "b"
  disk_encryption_key = "k"
  tags                = ["t"]
}
"""


def wire_platform(root: Path) -> Path:
    """A provider-free root: modules/workloads, and the modules it feeds cut to their variables."""
    copy_module(TERRAFORM_ROOT / "modules" / "workloads", root / "workloads")
    for name in _WIRED:
        (root / name).mkdir()
        source = TERRAFORM_ROOT / "modules" / name / "variables.tf"
        (root / name / "variables.tf").write_text(source.read_text())
    (root / "main.tf").write_text(_WIRING)
    return root


def platform_root(main_tf: str, into: Path) -> Path:
    """A provider-free environment root: `main_tf` calling modules/platform cut to its variables."""
    root = into / "envs" / "root"
    root.mkdir(parents=True)
    (root / "main.tf").write_text(main_tf)
    platform = into / "modules" / "platform"
    platform.mkdir(parents=True)
    source = TERRAFORM_ROOT / "modules" / "platform" / "variables.tf"
    (platform / "variables.tf").write_text(source.read_text())
    return root
