"""The sections: what each shows from its documents, "None recorded" for a missing kind, and tolerance of odd values."""

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.collect import collect_run
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.layout import SECTIONS
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.sections import build_report

from report_runs import RUN, RunBuilder, example

CLEAN = {"ok": True, "checked": 12, "problems": []}
KEY = "sha256:" + "ab" * 32


def fresh_run(tmp_path):
    """A second, empty run next to the fleet run."""
    return RunBuilder(str(tmp_path / "other-artifacts"))


def report_of(run, verification=None, key_ids=(KEY,)):
    return build_report(collect_run(run.artifacts, run.run_id), verification or CLEAN, list(key_ids))


def section(report, section_id):
    return next(s for s in report.sections if s.id == section_id)


def cells(table, column):
    """Text and lines of one column, per row."""
    index = table.columns.index(column)
    return [(row[index].text, row[index].lines) for row in table.rows]


def test_sections_come_in_the_documented_order(fleet_run):
    assert [s.id for s in report_of(fleet_run).sections] == [entry[0] for entry in SECTIONS]


def test_nodes_show_host_profile_arch_and_memory(fleet_run):
    table = section(report_of(fleet_run), "nodes").blocks[0].table
    assert [row[0].text for row in table.rows] == ["gpu-a100-01", "m2-air"]
    m2 = table.rows[1]
    assert [c.text for c in m2[:4]] == ["m2-air", "m2-asahi-linux", "aarch64", "24.0 GiB (20.0 GiB available)"]
    assert m2[5].text == "5.1.1 with Quadlet"


def test_accelerators_show_devices_with_their_details(fleet_run):
    table = section(report_of(fleet_run), "accelerators").blocks[0].table
    gpu, m2 = table.rows
    assert gpu[1].text == "cpu, cuda"
    assert gpu[2].text == "NVIDIA A100-SXM4-40GB (cuda)" and gpu[3].text == "40.0 GiB" and gpu[4].text == "nvidia 550.54.15"
    assert gpu[5].lines == ["compute capability 8.0", "CUDA driver 12.4", "MIG enabled: 2 instances"]
    assert m2[3].text == "unified with the CPU"
    assert m2[5].lines == ["render node /dev/dri/renderD128", "Vulkan usable"]


def test_a_node_without_devices_says_cpu_only(run_builder):
    machine = example("agent-machine")
    machine["accelerators"]["devices"] = []
    run_builder.record("edge-1", machine)
    row = section(report_of(run_builder), "accelerators").blocks[0].table.rows[0]
    assert (row[2].text, row[2].tone) == ("none: CPU inference only", "warn")


def test_storage_use_shows_sizes_use_and_mismatches(fleet_run, tmp_path):
    other = fresh_run(tmp_path)
    table = section(report_of(fleet_run), "storage").blocks[0].table
    models = next(row for row in table.rows if row[1].text == "agent-models")
    assert [c.text for c in models[2:9]] == ["lvm-thin vg_agent/agent_models", "/var/lib/agent-machine/models", "64.0 GiB",
                                             "5.4 GiB", "58.6 GiB", "8%", "unchanged"]
    assert models[7].percent == 8.5 and models[7].tone == "ok"

    full = example("storage-receipt")
    full["capacity"] = {"sizeBytes": 100, "usedBytes": 96, "freeBytes": 4}
    full["mount"]["mounted"] = False
    full["mismatches"] = [{"code": "not-mounted", "message": "the volume is not mounted"}]
    other.record("m2-air", full)
    row = section(report_of(other), "storage").blocks[0].table.rows[0]
    assert row[3].text.endswith("(not mounted)")
    assert (row[7].text, row[7].tone) == ("96%", "bad")
    assert (row[9].text, row[9].tone, row[9].lines) == ("1", "warn", ["not-mounted: the volume is not mounted"])


def test_models_show_digest_check(fleet_run, tmp_path):
    other = fresh_run(tmp_path)
    row = section(report_of(fleet_run), "models").blocks[0].table.rows[0]
    assert row[1].text.startswith("hf://Qwen/") and row[3].text == "4.4 GiB"
    assert (row[5].text, row[5].tone) == ("sha256 verified", "ok")
    quarantined = example("model-receipt")
    quarantined.update(outcome="quarantined", verified=False)
    other.record("m2-air", quarantined)
    row = section(report_of(other), "models").blocks[0].table.rows[0]
    assert (row[5].text, row[5].tone) == ("quarantined", "bad")


def test_placement_shows_the_chosen_node_its_cost_and_every_rejection(fleet_run):
    placements = section(report_of(fleet_run), "placements")
    assert placements.summary == "2 decisions: 1 placed, 1 unplaceable"
    placed, unplaceable = placements.blocks
    assert placed.title == "Pod coder-qwen" and (placed.badge.text, placed.badge.tone) == ("placed on m2-air", "ok")
    assert placed.lines[0] == ("Chosen node m2-air, cold-start cost 1.45 s: download 0.00 s, load 1.20 s, "
                               "prefill 0.00 s, balance 0.25 s.")
    table = placed.table
    assert [row[0].text for row in table.rows] == ["m2-air", "edge-x86-01", "gpu-a100-01"]  # chosen first
    assert [c.text for c in table.rows[0][1:7]] == ["chosen", "0.00 s", "1.20 s", "0.00 s", "0.25 s", "1.45 s"]
    assert cells(table, "Rejection reasons")[1][1] == [
        "accelerator-missing: no vulkan accelerator (the pod requires 1)",
        "profile-mismatch: profile linux-edge-node is not one of m2-asahi-linux, m1-asahi-linux, linux-gpu-node"]
    assert (unplaceable.badge.text, unplaceable.badge.tone) == ("unplaceable", "bad")
    assert unplaceable.lines[0] == "Not placed: no-feasible-machine: all 3 machines were rejected by hard filters."
    assert all(row[1].text == "rejected" for row in unplaceable.table.rows)


def test_feasible_candidates_follow_the_chosen_one_cheapest_first(run_builder):
    decision = example("placement-decision")
    decision["candidates"][1] = {"agentMachineId": "urn:srcos:agent-machine:machine:gpu-a100-01", "feasible": True,
                                 "cost": {"downloadSeconds": 2.0, "loadSeconds": 3.0, "prefillSeconds": 0.5,
                                          "balance": 0.0, "total": 5.5}, "rejectionReasons": []}
    run_builder.record("localhost", decision)
    table = section(report_of(run_builder), "placements").blocks[0].table
    assert [(row[0].text, row[1].text, row[6].text) for row in table.rows] == [
        ("m2-air", "chosen", "1.45 s"), ("gpu-a100-01", "feasible", "5.50 s"), ("edge-x86-01", "rejected", "—")]


def test_activation_decisions_show_status_reasons_and_what_is_required(fleet_run):
    activations = section(report_of(fleet_run), "activations")
    assert activations.summary == "2 decisions: 1 allowed, 1 fail-closed"
    rows = {row[2].text: row for row in activations.blocks[0].table.rows}
    closed = rows["fail-closed"]
    assert closed[2].tone == "bad" and closed[1].text == "m2-air"
    assert closed[4].lines == ["grant-revoked: grant registry:grants/coder-qwen-m2-air is revoked",
                               "policy-expired: policy admission expired at 2026-03-03T09:30:00Z, decision time 2026-03-04T08:00:00Z"]
    assert closed[5].lines == ["an active, unrevoked AgentRegistryGrant for this pod and machine",
                               "a PolicyAdmission for activation that has not expired"]
    assert rows["allowed"][2].tone == "ok" and rows["allowed"][4].text == "none"


def test_provider_health_reads_the_last_health_check(fleet_run, tmp_path):
    other = fresh_run(tmp_path)
    rows = section(report_of(fleet_run), "providers").blocks[0].table.rows
    activated, rolled_back = rows
    assert (activated[4].text, activated[4].tone) == ("activated", "ok")
    assert (activated[5].text, activated[5].tone) == ("healthy: HTTP 200 in 2 ms", "ok")
    assert activated[6].text == "3 of 4 passed"
    assert (rolled_back[4].text, rolled_back[4].tone) == ("rolled-back", "warn")

    failing = example("runtime-evidence")
    failing.update(outcome="failed", healthChecks=failing["healthChecks"][:1])
    failing["healthChecks"][0].update(httpStatus=None, error="connection refused", latencySeconds=None)
    other.record("m2-air", failing)
    row = section(report_of(other), "providers").blocks[0].table.rows[0]
    assert (row[4].tone, row[5].text, row[5].tone) == ("bad", "failing: connection refused", "bad")


@pytest.mark.parametrize("section_id, kind", [
    ("storage", "StorageReceipt"), ("models", "ModelReceipt"), ("placements", "PlacementDecision"),
    ("activations", "ActivationDecision"), ("providers", "RuntimeEvidence"),
    ("nodes", "AgentMachine"), ("accelerators", "AgentMachine"),
])
def test_a_kind_the_run_did_not_record_is_said_so(run_builder, section_id, kind):
    run_builder.record("controller", {"kind": "DeploymentReceipt", "id": "urn:srcos:agent-machine:deployment-receipt:x"})
    result = section(report_of(run_builder), section_id)
    assert result.blocks == []
    assert result.empty.startswith("None recorded: the run has no %s" % kind)


def test_odd_values_are_shown_not_fatal(run_builder):
    machine = example("agent-machine")
    machine["memory"] = "lots"
    machine["accelerators"] = {"types": ["cpu"], "devices": "none"}
    machine["warnings"] = "[redacted hmac-sha256:0123456789abcdef]"
    decision = example("placement-decision")
    decision.update(candidates="?", cost=None)
    run_builder.record_all([("m2-air", machine), ("localhost", decision)])
    report = report_of(run_builder)
    node = section(report, "nodes").blocks[0].table.rows[0]
    assert node[3].text == "—" and node[6].lines == ["[redacted hmac-sha256:0123456789abcdef]"]
    assert section(report, "accelerators").blocks[0].table.rows[0][1].text == "—"
    assert section(report, "placements").blocks[0].table.rows == []


def test_verification_states(fleet_run):
    problem = {"path": "m2-air/model-receipt/x.json", "code": "digest-mismatch", "detail": "signed a, file now b"}
    verified = section(report_of(fleet_run), "verification")
    assert (verified.blocks[0].badge.text, verified.blocks[0].badge.tone) == ("verified", "ok")
    assert verified.blocks[0].lines[0] == "Signature checked against key %s." % KEY
    assert verified.blocks[1].lines == ["No problem found."]
    chains = verified.blocks[0].table
    assert [(row[0].text, row[1].text) for row in chains.rows] == [("gpu-a100-01", "1"), ("localhost", "4"), ("m2-air", "7")]

    failed = section(report_of(fleet_run, {"ok": False, "checked": 12, "problems": [problem]}), "verification")
    assert (failed.summary, failed.blocks[0].badge.tone) == ("FAILED: 1 problem", "bad")
    assert [c.text for c in failed.blocks[1].table.rows[0]] == ["m2-air/model-receipt/x.json", "digest-mismatch", "signed a, file now b"]
    m2_chain = failed.blocks[0].table.rows[2]
    assert (m2_chain[3].text, m2_chain[3].lines) == ("1", ["digest-mismatch"])

    unchecked = section(report_of(fleet_run, key_ids=()), "verification")
    assert (unchecked.summary, unchecked.blocks[0].badge.tone) == ("not verified: no public key given", "warn")


def test_overview_counts_receipts_by_kind(fleet_run):
    facts = dict(report_of(fleet_run).facts)
    assert facts["Run"].text == RUN and facts["Nodes"].text == "2"
    assert facts["Receipts"].text == "12 receipts from 3 hosts"
    assert "PlacementDecision: 2" in facts["Receipts"].lines
    assert facts["Verification"].text == "verified"
