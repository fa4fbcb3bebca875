"""The pure decisions of a failover: GTID positions per domain, who is the primary, which
replica to promote."""

from __future__ import annotations

import pytest

from orchid.ops.failover import repoint_sql
from orchid.ops.targets import Member
from orchid.ops.topology import (
    Gtid,
    MemberState,
    Topology,
    behind,
    covers,
    format_position,
    most_advanced,
    parse_position,
)


def replica(name: str, received: str, applied: str | None = None) -> MemberState:
    return MemberState(name, reachable=True, read_only=True, replicating=True,
                       io_running="Connecting", sql_running="Yes",
                       received=parse_position(received),
                       applied=parse_position(applied if applied is not None else received),
                       current=parse_position(applied if applied is not None else received))


def test_a_position_is_parsed_per_domain_and_written_back() -> None:
    position = parse_position("0-1-42,1-2-7")
    assert position == {0: Gtid(42, 1), 1: Gtid(7, 2)}
    assert format_position(position) == "0-1-42,1-2-7"
    assert parse_position("") == {} and parse_position(None) == {}
    assert parse_position("1-2-7,\n0-1-42") == position  # the server may wrap long ones


def test_covering_compares_every_domain_of_the_other() -> None:
    assert covers(parse_position("0-1-42,1-2-7"), parse_position("0-1-41"))
    assert not covers(parse_position("0-1-42"), parse_position("0-1-41,1-2-1"))
    assert not covers(parse_position("0-1-42,1-2-7"), parse_position("0-1-40,1-2-8"))
    # A promoted server writes the next sequence numbers of the domain under its own id.
    assert covers(parse_position("0-3-50"), parse_position("0-1-42"))
    assert behind(parse_position("0-1-40,1-2-5"), parse_position("0-1-42,1-2-7")) == 4


def test_the_replica_that_received_most_is_chosen_even_if_it_applied_less() -> None:
    ahead = replica("b", received="0-1-100", applied="0-1-90")
    applied_all = replica("c", received="0-1-95")
    assert most_advanced([applied_all, ahead]) is ahead
    assert ahead.unapplied == 10 and applied_all.unapplied == 0


def test_a_tie_goes_to_the_one_that_applied_most_then_the_configured_order() -> None:
    slow = replica("b", received="0-1-100", applied="0-1-97")
    quick = replica("c", received="0-1-100")
    assert most_advanced([slow, quick]) is quick
    first, second = replica("b", "0-1-100"), replica("c", "0-1-100")
    assert most_advanced([first, second]) is first


def test_no_choice_when_each_replica_lacks_what_another_has() -> None:
    domain_0_ahead = replica("b", received="0-1-100,1-2-5")
    domain_1_ahead = replica("c", received="0-1-99,1-2-6")
    with pytest.raises(ValueError, match="no replica has every transaction"):
        most_advanced([domain_0_ahead, domain_1_ahead])
    with pytest.raises(ValueError):
        most_advanced([])


def test_the_primary_is_the_one_writable_member_that_replicates_from_no_one() -> None:
    primary = MemberState("a", reachable=True, read_only=False)
    fenced = MemberState("b", reachable=True, read_only=True)
    writable_replica = MemberState("c", reachable=True, read_only=False, replicating=True)
    down = MemberState("d", reachable=False, error="refused")
    found = Topology("main", (fenced, writable_replica, down, primary))
    assert found.primary is primary
    assert [s.role for s in found.states] == ["read-only", "replica", "down", "primary"]
    split = Topology("main", (primary, MemberState("e", reachable=True)))
    assert split.primary is None and len(split.writable) == 2  # never pick between two


def test_repointing_keeps_credentials_and_follows_by_gtid() -> None:
    statement = repoint_sql(Member("b", "10.0.0.6", 3306))
    assert "MASTER_HOST='10.0.0.6', MASTER_PORT=3306" in statement
    assert "MASTER_USE_GTID=slave_pos" in statement
    assert "PASSWORD" not in statement  # CHANGE MASTER keeps what it is not given
