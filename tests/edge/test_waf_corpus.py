"""The WAF corpus: every attack is blocked, every legitimate shop request passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.edge import ftw
from tests.edge.running import RunningEdge

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
