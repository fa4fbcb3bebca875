"""The WAF corpus: every attack is blocked, every legitimate shop request passes; the probe
counts the rules behind the blocks from ModSecurity's audit log."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from orchid.monitoring.probe import WAF_VERDICT_RULES, WafLog
from tests.edge import ftw
from tests.edge.running import RunningEdge
from tests.support.waiting import until

CORPUS = Path(__file__).parent / "corpus"


def test_corpus_blocks_every_attack_and_passes_every_shop_request(
        shop_edge: RunningEdge, request: pytest.FixtureRequest) -> None:
    port = shop_edge.plan.http_port
    attacks, benign = ftw.load(CORPUS / "attacks"), ftw.load(CORPUS / "benign")
    attack_status = [(case, ftw.send(case, port)) for case in attacks]
    benign_status = [(case, ftw.send(case, port)) for case in benign]
    missed = [f"{c.file}:{c.title} → {s}" for c, s in attack_status
              if s not in c.expected]
    blocked = [f"{c.file}:{c.title}" for c, s in benign_status if s == 403]
    unexpected = [f"{c.file}:{c.title} → {s} (expected {c.expected})"
                  for c, s in benign_status if s not in c.expected and s != 403]
    block_rate = 100 * (len(attacks) - len(missed)) / len(attacks)
    false_positive_rate = 100 * len(blocked) / len(benign)
    request.config.stash[ftw.WAF_SCORE] = [
        f"attacks blocked: {len(attacks) - len(missed)}/{len(attacks)} = {block_rate:.1f}%",
        f"false positives: {len(blocked)}/{len(benign)} = {false_positive_rate:.1f}%",
        *(f"  missed attack: {line}" for line in missed),
        *(f"  false positive: {line}" for line in blocked),
    ]
    assert missed == [], missed
    assert blocked == [], blocked
    assert unexpected == [], unexpected


def test_the_probe_counts_the_rules_behind_the_wafs_blocks(shop_edge: RunningEdge) -> None:
    waf = WafLog(shop_edge.plan.prefix / "logs" / "modsec_audit.log")
    waf.read()  # what earlier tests left
    before = dict(waf.counts)
    attacks = {  # CRS family (rule id prefix) → a request it refuses
        "942": "/api/v1/search?q=1%27%20OR%20%271%27%3D%271%27%20--",  # SQL injection
        "941": "/api/v1/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",  # XSS
        "930": "/api/v1/search?q=..%2F..%2F..%2Fetc%2Fpasswd",  # path traversal
    }
    with httpx.Client(base_url=f"http://127.0.0.1:{shop_edge.plan.http_port}",
                      headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}) as client:
        assert {client.get(path).status_code for path in attacks.values()} == {403}
        assert client.get("/api/v1/search?q=lipstick").status_code == 200

    def grown() -> set[str]:
        waf.read()
        return {rule[:3] for rule, n in waf.counts.items() if n > before.get(rule, 0)}

    until(lambda: set(attacks) <= grown(), timeout=10, what="the three attacks' rules counted")
    assert not {rule for rule in waf.counts if rule.startswith(WAF_VERDICT_RULES)}
    samples = {labels["rule"] for name, labels, _, counter in waf.read().samples
               if name == "orchid_waf_rule_matches_total" and counter}
    assert samples == set(waf.counts)
