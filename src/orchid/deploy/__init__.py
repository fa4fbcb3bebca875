"""`orchid deploy`: the GKE deploy generated from the service registry (docs/deploy.md).

What runs where comes from the services' specs (workloads.py); each module builds one kind of
object — pods.py the hardened pod, groups.py a service group's six objects, tasks.py the Jobs,
ingress.py the load balancers, platform.py the namespace's policies and roles, floors.py night
step-scaling, probe.py and relay.py the stores' probe and the events relay, secrets.py and
overlays.py what differs per environment — and tree.py lays them out as deploy/k8s and renders
it with kustomize. events.py writes the events' and functions' Terraform tables and the Cloud
Functions' entry points (deploy/functions/main.py, run by cloud_functions.py); hcl.py lays out
the HCL as `terraform fmt` does.
"""
