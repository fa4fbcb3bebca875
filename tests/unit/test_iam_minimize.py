"""`orchid ops iam minimize`: unused bindings go, basic roles become the predefined roles that
cover what was used, nothing is ever granted beyond the old grants, and what cannot be judged is
left alone and said."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orchid.cli import app
from orchid.ops import iam
from orchid.ops.iam_inputs import (
    BASIC_ROLES,
    BasicRole,
    Binding,
    Catalogue,
    IamInputError,
    Insight,
    InsightActivity,
    Policy,
    Role,
    load_activity,
    load_catalogue,
    load_policy,
    parse_activity,
    parse_catalogue,
    parse_policy,
)

FIXTURES = Path(__file__).parent / "fixtures" / "iam"
SHIPPED = Path(iam.__file__).parent / "iam_roles.json"
AS_OF = datetime(2026, 11, 30, 12, tzinfo=UTC)
CATALOGUE = load_catalogue()
# Test data, not Google's word: what this test supposes `gcloud iam roles describe` lists for the
# basic roles beyond what the shipped catalogue's pages state, as a fuller --catalogue would.
ASSUMED = {
    "roles/viewer": ["cloudtrace.traces.get", "cloudtrace.traces.list",
                     "resourcemanager.projects.get", "resourcemanager.projects.list"],
    "roles/editor": ["cloudtrace.traces.patch", "telemetry.traces.write"],
    "roles/owner": ["secretmanager.versions.access"],
}
runner = CliRunner()


def fuller_raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(SHIPPED.read_text())
    for role, listed in ASSUMED.items():
        raw["basic"][role]["grants"] += listed
        raw["sources"][role] = [f"gcloud iam roles describe {role} (as this test supposes)"]
    return raw


FULLER = parse_catalogue(fuller_raw())
JOBS = "serviceAccount:orchid-jobs@orchid-prod.iam.gserviceaccount.com"


def sa(name: str) -> str:
    return f"serviceAccount:orchid-{name}@orchid-prod.iam.gserviceaccount.com"


def plan_of(activity: str = "insights.json", *, window_days: int = 90,
            catalogue: Catalogue = CATALOGUE) -> iam.Plan:
    return iam.propose(policy=load_policy(FIXTURES / "policy.json"),
                       activity=load_activity(FIXTURES / activity), catalogue=catalogue,
                       window_days=window_days, as_of=AS_OF)


def actions(plan: iam.Plan) -> dict[tuple[str, str], tuple[str, ...]]:
    return {(p.member, p.role): (p.action, *p.replacement) for p in plan.proposals}


def left(plan: iam.Plan) -> dict[tuple[str, str], str]:
    return {(a.member, a.role): a.reason for a in plan.left_alone}


def insight(member: str, role: str, *used: str, days: int = 90) -> dict[str, Any]:
    return {"content": {"member": member, "role": role,
                        "exercisedPermissions": [{"permission": p} for p in used],
                        "inferredPermissions": []},
            "insightSubtype": "PERMISSIONS_USAGE", "observationPeriod": f"{days * 86400}s"}


def plan_for(bindings: list[tuple[str, list[str]]], insights: list[dict[str, Any]],
             catalogue: Catalogue = CATALOGUE) -> iam.Plan:
    return iam.propose(policy=policy(*bindings), activity=parse_activity(insights),
                       catalogue=catalogue, window_days=90, as_of=AS_OF)


def policy(*bindings: tuple[str, list[str]]) -> Policy:
    return parse_policy({"bindings": [{"role": r, "members": m} for r, m in bindings],
                         "etag": "BwX=", "version": 1})


def patched(text: str, diff: str) -> str:
    """Apply a unified diff, as difflib writes it, to text."""
    source, out, at = text.splitlines(keepends=True), [], 0
    for line in diff.splitlines(keepends=True)[2:]:
        if line.startswith("@@"):
            start = int(line.split()[1].split(",")[0][1:]) - 1
            out += source[at:start]
            at = start
        elif line[0] in " -":
            assert source[at] == line[1:]
            at += 1
            if line[0] == " ":
                out.append(line[1:])
        else:
            out.append(line[1:])
    return "".join(out + source[at:])


def test_catalogue_is_written_from_googles_documentation() -> None:
    raw = json.loads(SHIPPED.read_text())
    assert not any(word in SHIPPED.read_text().lower() for word in ("github", "dataset"))
    for role in [*raw["roles"], *raw["basic"]]:
        assert CATALOGUE.sources[role], role
        assert all(source.startswith(("https://cloud.google.com/", "https://firebase.google.com/",
                                      "https://developers.google.cn/"))
                   for source in CATALOGUE.sources[role]), role
    client = CATALOGUE.roles["roles/cloudsql.client"]
    assert client == Role(frozenset({"cloudsql.instances.connect", "cloudsql.instances.get"}),
                          partial=True)
    assert CATALOGUE.roles["roles/secretmanager.secretAccessor"] == Role(frozenset(
        {"resourcemanager.projects.get", "resourcemanager.projects.list",
         "secretmanager.versions.access"}))
    # Cloud SQL's page: Editor holds cloudsql.* but not its IAM policies; Viewer reads.
    assert CATALOGUE.documented("roles/editor", "cloudsql.instances.connect")
    assert not CATALOGUE.documented("roles/editor", "cloudsql.instances.setIamPolicy")
    assert CATALOGUE.denied("roles/editor", "cloudsql.instances.setIamPolicy")
    assert CATALOGUE.documented("roles/owner", "cloudsql.instances.setIamPolicy")
    assert CATALOGUE.documented("roles/viewer", "cloudsql.instances.get")
    assert not CATALOGUE.documented("roles/viewer", "cloudsql.instances.connect")
    # Owner contains Editor contains Viewer; nothing says a basic role reads secrets.
    assert all(CATALOGUE.documented(r, "serviceusage.services.get") for r in BASIC_ROLES)
    assert not any(CATALOGUE.documented(r, "secretmanager.versions.access") for r in BASIC_ROLES)
    assert CATALOGUE.size("roles/cloudtrace.agent") == 2
    assert CATALOGUE.size("roles/cloudsql.client") is None
    assert CATALOGUE.size("roles/editor") is None


def test_patterns_are_read_as_the_docs_write_them() -> None:
    catalogue = Catalogue(roles={}, basic={
        "roles/viewer": BasicRole(grants=("sql.*.get", "a.b.c")),
        "roles/editor": BasicRole(grants=("sql.*",), excludes=("sql.*.setIamPolicy",),
                                  includes="roles/viewer"),
        "roles/owner": BasicRole(includes="roles/editor")})
    assert catalogue.documented("roles/viewer", "sql.instances.get")
    assert not catalogue.documented("roles/viewer", "sql.instances.getIamPolicy")
    assert not catalogue.documented("roles/viewer", "a.b.cd")
    assert catalogue.documented("roles/owner", "a.b.c")  # through editor, through viewer
    assert catalogue.documented("roles/editor", "sql.users.update")
    assert not catalogue.documented("roles/owner", "sql.instances.setIamPolicy")


def test_catalogue_refuses_roles_without_sources_or_shape(tmp_path: Path) -> None:
    raw = json.loads(SHIPPED.read_text())
    del raw["sources"]["roles/run.invoker"]
    bad_partial = json.loads(SHIPPED.read_text())
    bad_partial["roles"]["roles/run.invoker"]["partial"] = "yes"
    upward = json.loads(SHIPPED.read_text())
    upward["basic"]["roles/viewer"]["includes"] = "roles/owner"
    for broken, says in [(raw, "should name a source for roles/run.invoker"),
                         (bad_partial, "'partial' should be true or false"),
                         (upward, "roles/viewer includes no other basic role")]:
        (tmp_path / "c.json").write_text(json.dumps(broken))
        try:
            load_catalogue(tmp_path / "c.json")
        except IamInputError as exc:
            assert says in str(exc)
        else:
            raise AssertionError(f"accepted a catalogue that should fail: {says}")


def test_policy_keeps_etag_version_and_everything_else() -> None:
    raw = json.loads((FIXTURES / "policy.json").read_text())
    loaded = load_policy(FIXTURES / "policy.json")
    assert iam.document(loaded) == raw
    after = iam.apply(policy=loaded, proposals=plan_of(catalogue=FULLER).proposals)
    kept = iam.document(after)
    assert (kept["etag"], kept["version"], kept["auditConfigs"]) == (
        raw["etag"], raw["version"], raw["auditConfigs"])


def test_unused_bindings_are_removed() -> None:
    plan = plan_of()
    found = actions(plan)
    for member, role in [("user:former-contractor@orchid.example", "roles/cloudsql.viewer"),
                         ("user:former-contractor@orchid.example", "roles/logging.viewer"),
                         (sa("catalog"), "roles/redis.viewer"),
                         (sa("payments"), "roles/storage.objectAdmin"),
                         (sa("storefront"), "roles/cloudsql.client")]:
        assert found[(member, role)] == ("remove",)
    reasons = {(p.member, p.role): p.reason for p in plan.proposals}
    # The insight saw no use: the catalogue listing only part of the role does not matter.
    assert reasons[(sa("storefront"), "roles/cloudsql.client")] == (
        "0 of its permissions used in 90 days")
    assert (sa("cart"), "roles/redis.viewer") not in found  # cart uses it
    assert (sa("orders"), "roles/pubsub.subscriber") not in found


def test_deleted_principals_lose_their_bindings() -> None:
    deleted = "deleted:user:old-dev@orchid.example?uid=113245678901234567890"
    assert actions(plan_of())[(deleted, "roles/viewer")] == ("remove",)


def test_basic_roles_are_left_alone_unless_the_docs_cover_the_replacement() -> None:
    plan = plan_of()
    assert not [p for p in plan.proposals if p.role in BASIC_ROLES and p.action == "replace"]
    reasons = left(plan)
    assert reasons[(sa("ci"), "roles/editor")].startswith(
        "used 9 permission(s) no catalogue role shown to lie within roles/editor grants: ")
    assert "roles/cloudsql.client lists only part of its permissions" in reasons[
        (sa("ci"), "roles/editor")]
    # Trace's pages give Editor cloudtrace.traces.patch, but not telemetry.traces.write.
    assert reasons[(JOBS, "roles/editor")].endswith(
        "(roles/cloudtrace.agent has telemetry.traces.write, not documented in roles/editor)")
    assert reasons[("user:arjun@orchid.example", "roles/viewer")].startswith("used 6 permission(s)")


def test_basic_roles_become_the_fewest_covering_predefined_roles() -> None:
    found = actions(plan_of(catalogue=FULLER))
    assert found[(JOBS, "roles/editor")] == ("replace", "roles/cloudtrace.agent")
    jobs = next(p for p in plan_of(catalogue=FULLER).proposals if p.member == JOBS)
    assert jobs.used == ("cloudtrace.traces.patch", "telemetry.traces.write")  # inferred kept
    assert jobs.reason == ("used 2 of 8,000 permissions (1 inferred as needed): "
                           "cloudtrace.traces.patch, telemetry.traces.write")
    assert actions(plan_of("last_used.json", catalogue=FULLER))[(JOBS, "roles/editor")] == (
        "replace", "roles/cloudtrace.agent")
    root = "user:root@orchid.example"
    plan = plan_for([("roles/owner", [root, "user:priya@orchid.example"])], [
        insight(root, "roles/owner", "cloudtrace.traces.patch", "secretmanager.versions.access")],
        FULLER)
    assert actions(plan)[(root, "roles/owner")] == (
        "replace", "roles/cloudtrace.agent", "roles/secretmanager.secretAccessor")


def test_cover_breaks_ties_by_fewest_permissions_then_name() -> None:
    everything = {r: BasicRole(grants=("*",)) for r in BASIC_ROLES}
    roles = {"roles/a.wide": Role(frozenset({"x", "y", "q"})), "roles/b.one": Role(frozenset("x")),
             "roles/c.pair": Role(frozenset({"x", "y"})), "roles/d.pair": Role(frozenset("xy")),
             "roles/e.y": Role(frozenset({"y"}))}
    catalogue = Catalogue(roles=roles, basic=everything)
    assert iam.cover(needed=frozenset({"x", "y"}), basic="roles/editor",
                     catalogue=catalogue) == (("roles/c.pair",), frozenset())
    assert iam.cover(needed=frozenset({"x"}), basic="roles/editor",
                     catalogue=catalogue) == (("roles/b.one",), frozenset())
    narrower = Catalogue(roles=roles, basic={**everything, "roles/viewer": BasicRole(("x", "q"))})
    assert iam.cover(needed=frozenset({"x", "y"}), basic="roles/viewer",
                     catalogue=narrower) == (("roles/b.one",), frozenset({"y"}))


def test_cover_drops_a_role_later_choices_made_redundant() -> None:
    catalogue = Catalogue(
        roles={"roles/a.three": Role(frozenset("abc")), "roles/b.ad": Role(frozenset("ad")),
               "roles/c.be": Role(frozenset("be")), "roles/d.cf": Role(frozenset("cf"))},
        basic={r: BasicRole(grants=("*",)) for r in BASIC_ROLES})
    chosen, rest = iam.cover(needed=frozenset("abcdef"), basic="roles/owner",
                             catalogue=catalogue)
    assert chosen == ("roles/b.ad", "roles/c.be", "roles/d.cf") and not rest


def test_a_partial_role_never_replaces_a_basic_role() -> None:
    # Even when all it lists is the basic role's: what its page leaves out cannot be checked.
    listed = Role(frozenset({"x.y.use"}), partial=True)
    catalogue = Catalogue(roles={"roles/x.user": listed},
                          basic={r: BasicRole(grants=("x.*",)) for r in BASIC_ROLES})
    assert not catalogue.within("roles/x.user", "roles/editor")
    assert iam.cover(needed=frozenset({"x.y.use"}), basic="roles/editor",
                     catalogue=catalogue) == ((), frozenset({"x.y.use"}))
    # ... and adding one counts as new: what its page leaves out was not held before.
    who = "user:a@x.com"
    before, after = policy(("roles/editor", [who])), policy(("roles/x.user", [who]))
    assert iam.new_grants(before=before, after=after, catalogue=catalogue) == {
        who: frozenset({"role:roles/x.user"})}
    whole = Catalogue(roles={"roles/x.user": Role(listed.permissions)}, basic=catalogue.basic)
    assert iam.cover(needed=frozenset({"x.y.use"}), basic="roles/editor",
                     catalogue=whole) == (("roles/x.user",), frozenset())


def test_replacements_stay_within_the_basic_role() -> None:
    # Secret payloads: the accessor role is complete, but no page shows Editor reading them.
    app = sa("app")
    said = ("used 1 permission(s) no catalogue role shown to lie within roles/editor grants: "
            "secretmanager.versions.access (roles/secretmanager.secretAccessor has ")
    for catalogue, has in [(CATALOGUE, "resourcemanager.projects.get, "
                                       "resourcemanager.projects.list, …"),
                           (FULLER, "secretmanager.versions.access")]:
        plan = plan_for([("roles/editor", [app])],
                        [insight(app, "roles/editor", "secretmanager.versions.access")], catalogue)
        assert not plan.proposals
        assert left(plan)[(app, "roles/editor")] == (
            f"{said}{has}, not documented in roles/editor)")


def test_nothing_is_granted_beyond_the_old_grants() -> None:
    before = load_policy(FIXTURES / "policy.json")
    for activity in ("insights.json", "last_used.json"):
        for catalogue in (CATALOGUE, FULLER):
            plan = plan_of(activity, catalogue=catalogue)
            after = iam.apply(policy=before, proposals=plan.proposals)
            assert iam.new_grants(before=before, after=after, catalogue=catalogue) == {}
    replaced = iam.apply(policy=before, proposals=plan_of(catalogue=FULLER).proposals)
    assert replaced != before  # the check above saw a replacement, not only removals


def test_conditions_agents_and_unknown_evidence_are_left_alone_and_said() -> None:
    reasons = left(plan_of())
    assert reasons[("user:devi@orchid.example", "roles/container.developer")] == (
        "conditional binding (on-call until 2026-12-31): use is not judged per condition")
    assert reasons[(sa("payments"), "roles/secretmanager.secretAccessor")].startswith(
        "conditional binding")
    for agent, role in [("service-481516234200@gcp-sa-pubsub", "roles/pubsub.serviceAgent"),
                        ("service-481516234200@container-engine-robot",
                         "roles/container.serviceAgent")]:
        assert reasons[(f"serviceAccount:{agent}.iam.gserviceaccount.com", role)] == (
            "Google-managed service agent")
    assert reasons[("serviceAccount:481516234200@cloudservices.gserviceaccount.com",
                    "roles/editor")] == "Google-managed service agent"
    assert reasons[(sa("search"), "roles/bigquery.dataViewer")] == (
        "observed 21 days, less than the 90-day window")
    assert reasons[("user:intern-2025@orchid.example", "roles/monitoring.viewer")] == (
        "no policy insight for this binding")
    assert reasons[("group:orchid-breakglass@orchid.example", "roles/owner")].startswith(
        "used 3 permission(s) no catalogue role shown to lie within roles/owner grants: "
        "iam.roles.create")
    touched = {(p.member, p.role) for p in plan_of().proposals}
    assert not touched & set(reasons)


def test_public_principals_are_left_alone() -> None:
    plan = iam.propose(policy=policy(("roles/run.invoker", ["allUsers"])),
                       activity=parse_activity({}), catalogue=CATALOGUE, window_days=90,
                       as_of=AS_OF)
    assert left(plan) == {("allUsers", "roles/run.invoker"): "public principal: review by hand"}


def test_last_used_form_windows_use_and_removes_the_absent() -> None:
    plan = plan_of("last_used.json")
    found = actions(plan)
    assert found[("user:intern-2025@orchid.example", "roles/monitoring.viewer")] == ("remove",)
    assert found[(sa("search"), "roles/storage.objectViewer")] == ("remove",)  # June only
    reasons = left(plan)
    assert reasons[(sa("backup"), "projects/orchid-prod/roles/orchidBackupOperator")] == (
        "role not in the catalogue: which permissions it grants is unknown")
    # Storefront used none of what the catalogue lists for the client role: that is not enough.
    assert reasons[(sa("storefront"), "roles/cloudsql.client")] == (
        "the catalogue lists only part of the role's permissions and none of those was used: "
        "use of the rest cannot be told")
    assert (sa("catalog"), "roles/storage.objectViewer") not in found  # used in November
    longer = actions(plan_of("last_used.json", window_days=300))
    assert (sa("search"), "roles/storage.objectViewer") not in longer
    assert ("user:former-contractor@orchid.example", "roles/logging.viewer") not in longer


def test_the_last_owner_stays() -> None:
    priya = "user:priya@orchid.example"
    plan = plan_for([("roles/owner", [priya])], [insight(priya, "roles/owner")])
    assert not plan.proposals
    assert left(plan)[(priya, "roles/owner")] == (
        "remove would leave the project without an owner")


def test_proposals_are_deterministic() -> None:
    raw_policy = json.loads((FIXTURES / "policy.json").read_text())
    raw_insights = json.loads((FIXTURES / "insights.json").read_text())
    expected = plan_of()
    shuffle = random.Random(7)
    for _ in range(3):
        shuffle.shuffle(raw_insights)
        for binding in raw_policy["bindings"]:
            shuffle.shuffle(binding["members"])
        again = iam.propose(policy=parse_policy(raw_policy),
                            activity=parse_activity(raw_insights), catalogue=CATALOGUE,
                            window_days=90, as_of=AS_OF)
        assert again == expected


def test_rest_form_and_bucket_insights() -> None:
    raw = json.loads((FIXTURES / "insights.json").read_text())
    activity = parse_activity({"insights": raw})
    assert isinstance(activity, InsightActivity)
    assert len(activity.insights) == len(raw) - 1  # the bucket-level one is about a bucket
    assert iam.propose(policy=load_policy(FIXTURES / "policy.json"), activity=activity,
                       catalogue=CATALOGUE, window_days=90, as_of=AS_OF) == plan_of()


ROLES = sorted([*BASIC_ROLES, *CATALOGUE.roles, "roles/container.developer",
                "roles/logging.logWriter", "projects/p/roles/custom"])
MEMBERS = ["user:a@example.com", "serviceAccount:b@p.iam.gserviceaccount.com",
           "group:c@example.com"]
UNIVERSE = sorted(FULLER.universe | {p for listed in ASSUMED.values() for p in listed}
                  | {"cloudsql.instances.setIamPolicy", "iam.roles.create", "custom.thing.do"})


@st.composite
def cases(draw: st.DrawFn) -> tuple[Catalogue, Policy, InsightActivity]:
    catalogue = draw(st.sampled_from([CATALOGUE, FULLER, FULLER]))  # only FULLER replaces
    bindings, insights = [], []
    for role in draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=5, unique=True)):
        members = draw(st.lists(st.sampled_from(MEMBERS), min_size=1, unique=True))
        bindings.append(Binding(role, tuple(members)))
        entry = catalogue.roles.get(role)
        # A complete role was used for what it lists; anything else for whatever it holds, and
        # a basic role often for what roles shown to lie within it grant (so some get replaced).
        pool = sorted(entry.permissions) if entry is not None and not entry.partial else UNIVERSE
        if role in BASIC_ROLES:
            coverable = sorted({p for r, e in catalogue.roles.items()
                                if catalogue.within(r, role) for p in e.permissions})
            pool = draw(st.sampled_from([coverable or UNIVERSE, UNIVERSE]))
        for member in members:
            used = draw(st.lists(st.sampled_from(pool), min_size=1 if role in BASIC_ROLES else 0,
                                 max_size=6))
            insights.append(Insight(member, role, frozenset(used), frozenset(), None, 90.0,
                                    False))
    return catalogue, Policy(tuple(bindings), {"etag": "BwX="}), InsightActivity(tuple(insights))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_a_proposal_never_grants_what_a_member_did_not_have(
        case: tuple[Catalogue, Policy, InsightActivity]) -> None:
    catalogue, before, activity = case
    plan = iam.propose(policy=before, activity=activity, catalogue=catalogue, window_days=90,
                       as_of=AS_OF)
    after = iam.apply(policy=before, proposals=plan.proposals)
    assert iam.new_grants(before=before, after=after, catalogue=catalogue) == {}
    for proposal in plan.proposals:  # and every replacement is one the docs cover
        assert all(catalogue.within(r, proposal.role) for r in proposal.replacement)


def test_cli_prints_the_table_and_a_diff_that_gives_what_it_writes(tmp_path: Path) -> None:
    new, fuller = tmp_path / "new.json", tmp_path / "fuller.json"
    fuller.write_text(json.dumps(fuller_raw()))
    result = runner.invoke(app, ["ops", "iam", "minimize", "--policy",
                                 str(FIXTURES / "policy.json"), "--activity",
                                 str(FIXTURES / "insights.json"), "--write", str(new),
                                 "--catalogue", str(fuller)])
    assert result.exit_code == 1, result.output
    assert "Proposals (" in result.stdout and "Left alone (" in result.stdout
    assert "replace with roles/cloudtrace.agent" in result.stdout
    diff = result.stdout[result.stdout.index("--- "):]
    before = iam.policy_text(load_policy(FIXTURES / "policy.json"))
    assert patched(before, diff) == new.read_text()
    assert json.loads(new.read_text())["etag"] == "BwYmW3lq6Fs="


def test_cli_json_lists_the_proposals() -> None:
    result = runner.invoke(app, ["ops", "iam", "minimize", "--policy",
                                 str(FIXTURES / "policy.json"), "--activity",
                                 str(FIXTURES / "last_used.json"), "--as-of",
                                 "2026-11-30T12:00:00Z", "--format", "json"])
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert out["window_days"] == 90
    expected = plan_of("last_used.json")
    assert [p["member"] for p in out["proposals"]] == [p.member for p in expected.proposals]
    assert {"member", "role", "action", "reason", "replacement", "used"} <= set(
        out["proposals"][0])


def test_cli_exits_0_when_nothing_is_to_be_proposed(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps(
        {"bindings": [{"role": "roles/pubsub.publisher", "members": [sa("orders")]}],
         "etag": "BwX=", "version": 1}))
    (tmp_path / "a.json").write_text(json.dumps(
        [insight(sa("orders"), "roles/pubsub.publisher", "pubsub.topics.publish")]))
    result = runner.invoke(app, ["ops", "iam", "minimize", "--policy", str(tmp_path / "p.json"),
                                 "--activity", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output
    assert "Nothing to propose." in result.stdout and "--- " not in result.stdout


def test_cli_bad_input_is_exit_2_with_one_line(tmp_path: Path) -> None:
    broken, shapeless = tmp_path / "broken.json", tmp_path / "shapeless.json"
    broken.write_text('{"bindings": [')
    shapeless.write_text(json.dumps([{"content": {"member": "user:a@example.com"}}]))
    policy_path, activity_path = str(FIXTURES / "policy.json"), str(FIXTURES / "insights.json")
    for argv, says in [
        (["--policy", str(broken), "--activity", activity_path], "not JSON"),
        (["--policy", policy_path, "--activity", str(shapeless)], "content.role"),
        (["--policy", str(tmp_path / "missing.json"), "--activity", activity_path],
         "No such file"),
        (["--policy", policy_path, "--activity", activity_path, "--as-of", "soon"], "--as-of"),
        (["--policy", policy_path, "--activity", activity_path, "--catalogue", policy_path],
         "'roles', 'basic' and 'sources'"),
    ]:
        result = runner.invoke(app, ["ops", "iam", "minimize", *argv])
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_help_documents_the_inputs() -> None:
    result = runner.invoke(app, ["ops", "iam", "minimize", "--help"])
    assert result.exit_code == 0
    for words in ("get-iam-policy", "google.iam.policy.Insight", "exercisedPermissions",
                  "set-iam-policy"):
        assert words in result.stdout
