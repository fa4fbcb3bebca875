"""What watches the shop: SLOs and alert rules, Alertmanager's routing, dashboards, the stores'
probe and the receivers' sinks — one Python source, generated into deploy/monitoring/."""
