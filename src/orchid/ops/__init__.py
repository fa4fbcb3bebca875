"""`orchid ops`: backups, point-in-time restore, failover, online schema change, search cluster
operations — against the local stack (`orchid up`) or a real deployment (hosts from settings).

Every command works on `Targets` (targets.py): which servers make up each database, how an
operator reaches them, where backups go. Nothing here knows a service.
"""
