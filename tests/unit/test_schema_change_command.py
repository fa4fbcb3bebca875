"""The gh-ost command flag by flag, the pt-osc command, the flag files and the state file."""

from __future__ import annotations

from pathlib import Path

from orchid.ops import schema_change as osc
from orchid.ops.targets import Member

PRIMARY = Member("main-a", "10.0.0.5", 3306)
REPLICAS = [Member("main-b", "10.0.0.6", 3306), Member("main-c", "10.0.0.7", 3307)]
CHANGE = osc.Change("main", "orchid_main", "orders", "ADD COLUMN gift_note VARCHAR(200) NULL")
# docs/architecture's command, less --user/--password/--host/--database/--table/--alter.
ARCHITECTURE = ["--verbose", "--critical-load=Threads_running=1000", "--chunk-size=1000",
                "--max-lag-millis=1500", "--allow-on-master", "--switch-to-rbr",
                "--exact-rowcount", "--concurrent-rowcount", "--default-retries=120",
                "--panic-flag-file=/tmp/ghost_orders.panic.flag",
                "--postpone-cut-over-flag-file=/tmp/ghost_orders.postpone.flag", "--execute",
                "--initially-drop-ghost-table", "--replica-server-id=10000"]


def ghost() -> list[str]:
    return osc.ghost_command(CHANGE, primary=PRIMARY, replicas=REPLICAS, user="orchid_ops",
                             conf=Path("/run/orchid/ghost.cnf"))


def test_ghost_command_carries_every_flag_of_the_architecture_in_its_order() -> None:
    argv = ghost()
    assert argv[0] == "gh-ost"
    assert [flag for flag in argv if flag in ARCHITECTURE] == ARCHITECTURE


def test_ghost_command_connects_to_the_primary_by_name_and_never_holds_the_password() -> None:
    argv = ghost()
    assert "--user=orchid_ops" in argv and "--conf=/run/orchid/ghost.cnf" in argv
    assert "--host=10.0.0.5" in argv and "--port=3306" in argv
    assert "--database=orchid_main" in argv and "--table=orders" in argv
    assert "--alter=ADD COLUMN gift_note VARCHAR(200) NULL" in argv
    assert not [flag for flag in argv if flag.startswith("--password")]


def test_ghost_command_adds_only_the_replicas_whose_lag_it_must_watch() -> None:
    connection = {"--user=orchid_ops", "--conf=/run/orchid/ghost.cnf", "--host=10.0.0.5",
                  "--port=3306", "--database=orchid_main", "--table=orders",
                  "--alter=ADD COLUMN gift_note VARCHAR(200) NULL"}
    extra = [f for f in ghost()[1:] if f not in ARCHITECTURE and f not in connection]
    assert extra == ["--throttle-control-replicas=10.0.0.6:3306,10.0.0.7:3307"]
    alone = osc.ghost_command(CHANGE, primary=PRIMARY, replicas=[], user="u", conf=Path("c"))
    assert not [f for f in alone if f.startswith("--throttle-control-replicas")]


def test_ptosc_command_has_the_same_controls_and_leaves_the_swap_to_the_cut_over() -> None:
    argv = osc.ptosc_command(CHANGE, primary=PRIMARY, defaults_file=Path("/run/o.cnf"),
                             watch_replicas=True)
    assert argv[0] == "pt-online-schema-change"
    for flag in ("--execute", "--chunk-size=1000", "--max-lag=1.5",
                 "--critical-load=Threads_running=1000", "--no-swap-tables",
                 "--no-drop-triggers", "--no-drop-new-table",
                 "--pause-file=/tmp/ghost_orders.pause.flag", "--progress=percentage,1",
                 "--recursion-method=dsn=D=orchid_ops,t=ptosc_dsns",
                 "--alter=ADD COLUMN gift_note VARCHAR(200) NULL"):
        assert flag in argv, flag
    [tries] = [f for f in argv if f.startswith("--tries=")]
    operations = dict(item.split(":", 1) for item in tries.removeprefix("--tries=").split(","))
    assert set(operations) == {"create_triggers", "drop_triggers", "copy_rows", "swap_tables",
                               "update_foreign_keys", "analyze_table"}
    assert {value.split(":")[0] for value in operations.values()} == {"120"}
    assert argv[-1] == "F=/run/o.cnf,h=10.0.0.5,P=3306,D=orchid_main,t=orders"
    assert not [f for f in argv if f.startswith("--password") or ",p=" in f]


def test_ptosc_reaches_a_local_member_through_its_socket_and_may_watch_no_replica() -> None:
    local = Member("main-1", "127.0.0.1", 3310, socket=Path("/s/main-1.sock"))
    argv = osc.ptosc_command(CHANGE, primary=local, defaults_file=Path("f"),
                             watch_replicas=False)
    assert argv[-1] == "F=f,h=localhost,S=/s/main-1.sock,D=orchid_main,t=orders"
    assert "--recursion-method=none" in argv


def test_cut_over_and_panic_act_on_the_flag_files(tmp_path: Path) -> None:
    change = osc.Change("main", "orchid_main", "orders", "ADD INDEX ix (status)", tmp_path)
    change.postpone_flag.touch()
    osc.request_cut_over(change)
    assert not change.postpone_flag.exists()
    osc.request_panic(change)
    assert change.panic_flag.exists()
    assert change.triggers == ("pt_osc_orchid_main_orders_del", "pt_osc_orchid_main_orders_upd",
                               "pt_osc_orchid_main_orders_ins")


def test_the_state_file_names_the_change_for_another_shell(tmp_path: Path) -> None:
    state = osc.State("main", "orchid_main", "orders", "ADD INDEX ix (status)", "/tmp", "pt-osc",
                      1234, "postponed", 100)
    osc._write_state(tmp_path, state)
    [read] = osc.read_states(tmp_path)
    assert read == state and read.change().postpone_flag == Path("/tmp/ghost_orders.postpone.flag")


def test_progress_lines_of_ptosc_are_parsed() -> None:
    found = osc.PROGRESS.search("Copying `orchid_main`.`orders`:  47% 00:12 remain")
    assert found is not None and found.group(1) == "47"
