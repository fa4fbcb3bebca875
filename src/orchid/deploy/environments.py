"""The three environments Orchid deploys to, and what differs between them.

One table read by the manifest generator (hosts, namespaces, address ranges, replica floors)
and checked against the Terraform roots (`deploy/terraform/envs/<name>/main.tf` gives the
platform module the same project, region, cluster and ranges; tests/deploy/test_terraform.py
compares).
"""

from __future__ import annotations

from dataclasses import dataclass

# The ranges Google's load balancers and health checks come from (GCLB front ends and their
# probes reach pods directly with container-native load balancing).
GOOGLE_LB_RANGES = ("130.211.0.0/22", "35.191.0.0/16")
# private.googleapis.com: Google APIs (Cloud SQL Admin, Secret Manager, Pub/Sub) reached
# without the internet from a private cluster.
GOOGLE_PRIVATE_APIS = "199.36.153.8/30"
# The cluster's monitoring (deploy/terraform/modules/cluster-addons): Prometheus scrapes from this
# namespace, and the OpenTelemetry Collector there takes the app's spans to Cloud Trace.
MONITORING_NAMESPACE = "monitoring"
OTEL_COLLECTOR = "otel-collector"  # its Helm release and Service
OTLP_HTTP_PORT = 4318
OTLP_ENDPOINT = f"http://{OTEL_COLLECTOR}.{MONITORING_NAMESPACE}.svc.cluster.local:{OTLP_HTTP_PORT}"


@dataclass(frozen=True)
class Ranges:
    """One environment's address plan (RFC 1918, non-overlapping across environments)."""

    nodes: str  # the GKE subnet's primary range
    pods: str  # secondary range for pods
    services: str  # secondary range for Services
    management: str  # the management VMs' subnet
    data: str  # VMs of the data tier (Elasticsearch)
    functions: str  # the Cloud Functions' addresses (Direct VPC egress; a /26 at least)
    private_services: str  # private service access: Cloud SQL and Memorystore
    control_plane: str  # the GKE control plane's /28


@dataclass(frozen=True)
class Environment:
    """Everything one environment needs named: where it lives and how big it runs."""

    name: str
    project: str
    region: str
    zones: tuple[str, ...]
    domain: str  # the shop is www.<domain>; management hosts are <host>.<domain>
    ranges: Ranges
    staff_networks: tuple[str, ...]  # who may reach the management hosts (office, VPN)
    floor_scale: float  # day floors relative to prod's (sizing in workloads.py)
    ceiling_scale: float  # HPA maxima relative to prod's
    night_scaling: bool  # lower floors 01:00–07:00 Asia/Kolkata
    trace_sample_ratio: float  # share of traces started here that are kept (ORCHID_TRACE_…)

    @property
    def namespace(self) -> str:
        return "orchid"

    @property
    def cluster(self) -> str:
        return f"orchid-{self.name}"

    @property
    def shop_host(self) -> str:
        return f"www.{self.domain}"

    def host(self, name: str) -> str:
        """A management host's name: manage-api.<domain>."""
        return f"{name}.{self.domain}"

    def service_account(self, workload: str) -> str:
        """The Google service account a workload runs as (Workload Identity)."""
        return f"orchid-{workload}@{self.project}.iam.gserviceaccount.com"


ENVIRONMENTS: dict[str, Environment] = {
    env.name: env for env in (
        Environment(
            name="sandbox", project="orchid-sandbox", region="asia-south1",
            zones=("asia-south1-a", "asia-south1-b"), domain="sandbox.orchid.example",
            ranges=Ranges(nodes="10.32.0.0/20", pods="10.36.0.0/14", services="10.40.0.0/20",
                          management="10.32.16.0/24", data="10.32.32.0/24",
                          functions="10.32.48.0/23", private_services="10.41.0.0/16",
                          control_plane="172.16.0.32/28"),
            staff_networks=("203.0.113.0/24",),
            floor_scale=0.0, ceiling_scale=0.1, night_scaling=False,
            trace_sample_ratio=1.0),
        Environment(
            name="preprod", project="orchid-preprod", region="asia-south1",
            zones=("asia-south1-a", "asia-south1-b"), domain="preprod.orchid.example",
            ranges=Ranges(nodes="10.16.0.0/20", pods="10.20.0.0/14", services="10.24.0.0/20",
                          management="10.16.16.0/24", data="10.16.32.0/24",
                          functions="10.16.48.0/23", private_services="10.25.0.0/16",
                          control_plane="172.16.0.16/28"),
            staff_networks=("203.0.113.0/24",),
            floor_scale=0.25, ceiling_scale=0.25, night_scaling=True,
            trace_sample_ratio=0.25),
        Environment(
            name="prod", project="orchid-prod", region="asia-south1",
            zones=("asia-south1-a", "asia-south1-b"), domain="orchid.example",
            ranges=Ranges(nodes="10.0.0.0/20", pods="10.4.0.0/14", services="10.8.0.0/20",
                          management="10.0.16.0/24", data="10.0.32.0/24",
                          functions="10.0.48.0/23", private_services="10.9.0.0/16",
                          control_plane="172.16.0.0/28"),
            staff_networks=("203.0.113.0/24", "198.51.100.0/24"),
            floor_scale=1.0, ceiling_scale=1.0, night_scaling=True,
            # ~400 requests/s by day: 5 % keeps a trace of every path without a bill per span
            trace_sample_ratio=0.05),
    )
}
