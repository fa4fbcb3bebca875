"""The Jobs and CronJobs of the app's image: migrations before a rollout, the sweeper every
minute, the nightly backup — each with its own identity, policy and secrets like a group."""

from __future__ import annotations

from orchid.deploy.groups import network_egress_to_peers, peer_urls, service_account
from orchid.deploy.pods import Manifest, app_container, labels, pod_spec
from orchid.deploy.secrets import workload_secrets
from orchid.deploy.workloads import TASKS, Task

ZONE = "Asia/Kolkata"  # the shop's clock: schedules read as its staff say them


def task_objects(task: Task) -> list[Manifest]:
    """A task's ServiceAccount, its Job or CronJob, and its NetworkPolicy."""
    return [service_account(task.name), cron_job(task) if task.schedule else job(task),
            task_policy(task)]


def all_task_objects() -> list[Manifest]:
    """Every task's objects."""
    return [obj for task in TASKS for obj in task_objects(task)]


def _job_spec(task: Task) -> Manifest:
    env = []
    group = task.group
    if group is not None:
        env.append({"name": "ORCHID_SERVICES", "value": ",".join(group.services)})
        if group.calls:
            env.append({"name": "ORCHID_PEER_URLS", "value": peer_urls(group)})
    secrets = bool(workload_secrets()[task.name])
    container = app_container(args=list(task.args), env=env, cpu="100m", cpu_limit="1",
                              memory="384Mi", serving=False, secrets=secrets)
    spec = pod_spec(task.name, containers=[container], stores=task.stores, restart="Never",
                    zones_spread=False, secrets=secrets)
    return {
        "backoffLimit": 2,
        "activeDeadlineSeconds": task.deadline_seconds,
        "ttlSecondsAfterFinished": 86400,
        # A native sidecar (the Cloud SQL proxy) ends with the app: the Job completes.
        "template": {"metadata": {"labels": labels(task.name, "task")}, "spec": spec},
    }


def job(task: Task) -> Manifest:
    """A Job the pipeline runs (and deletes before the next rollout: Jobs are immutable)."""
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": task.name, "labels": labels(task.name, "task"),
                         "annotations": {"orchid.example/summary": task.summary}},
            "spec": _job_spec(task)}


def cron_job(task: Task) -> Manifest:
    """A CronJob on the shop's clock; never two at once, a late start skipped, not queued."""
    assert task.schedule is not None
    return {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": task.name, "labels": labels(task.name, "task"),
                     "annotations": {"orchid.example/summary": task.summary}},
        "spec": {"schedule": task.schedule, "timeZone": ZONE, "concurrencyPolicy": "Forbid",
                 "startingDeadlineSeconds": min(task.deadline_seconds, 300),
                 "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3,
                 "jobTemplate": {"metadata": {"labels": labels(task.name, "task")},
                                 "spec": _job_spec(task)}},
    }


def task_policy(task: Task) -> Manifest:
    """Nothing may reach a task; it reaches the peers of the group it runs as."""
    group = task.group
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": task.name, "labels": labels(task.name, "task")},
        "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": task.name,
                                                 "app.kubernetes.io/part-of": "orchid"}},
                 "policyTypes": ["Ingress", "Egress"], "ingress": [],
                 "egress": network_egress_to_peers(group.calls if group else ())},
    }
