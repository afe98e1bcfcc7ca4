"""Reading a run: every receipt by host and kind, the manifest, and files that are not receipts."""

import os

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.collect import ReportError, collect_run

from report_runs import RUN, SEALED_AT, example


def test_every_receipt_is_read_by_kind_and_host(fleet_run):
    evidence = collect_run(fleet_run.artifacts, RUN)
    assert evidence.hosts == ["gpu-a100-01", "localhost", "m2-air"]
    assert evidence.counts() == {"AgentMachine": 2, "StorageReceipt": 2, "ModelReceipt": 1, "PlacementDecision": 2,
                                 "DeploymentReceipt": 1, "ActivationDecision": 2, "RuntimeEvidence": 2}
    assert [r.document["id"] for r in evidence.of_kind("PlacementDecision")] == [
        "urn:srcos:agent-machine:placement-decision:coder-qwen", "urn:srcos:agent-machine:placement-decision:research-llama-70b"]
    assert evidence.sealed_at == SEALED_AT
    assert evidence.unreadable == []


def test_receipts_are_in_chain_order_per_host(fleet_run):
    evidence = collect_run(fleet_run.artifacts, RUN)
    m2 = [r for r in evidence.receipts if r.host == "m2-air"]
    assert [r.sequence for r in m2] == list(range(1, len(m2) + 1))
    assert m2[0].kind == "AgentMachine" and m2[0].path == os.path.join("m2-air", "agent-machine", "m2-air.json")


def test_latest_document_of_a_kind_per_host_wins(run_builder):
    first = example("agent-machine")
    second = example("agent-machine")
    second["profile"]["name"] = "m1-asahi-linux"
    run_builder.record_all([("m2-air", first), ("m2-air", second)])
    latest = collect_run(run_builder.artifacts, run_builder.run_id).latest_per_host("AgentMachine")
    assert list(latest) == ["m2-air"]
    assert latest["m2-air"].document["profile"]["name"] == "m1-asahi-linux"


def test_a_file_that_is_not_a_receipt_is_set_aside(fleet_run):
    folder = os.path.join(fleet_run.run_dir, "m2-air", "model-receipt")
    with open(os.path.join(folder, "broken.json"), "w", encoding="utf-8") as handle:
        handle.write("{not json")
    with open(os.path.join(folder, "other.json"), "w", encoding="utf-8") as handle:
        handle.write('{"receipt": []}')
    evidence = collect_run(fleet_run.artifacts, RUN)
    assert sorted(item["path"] for item in evidence.unreadable) == [
        os.path.join("m2-air", "model-receipt", "broken.json"), os.path.join("m2-air", "model-receipt", "other.json")]
    assert len(evidence.of_kind("ModelReceipt")) == 1


def test_the_report_folder_inside_the_run_is_not_a_host(fleet_run):
    os.makedirs(os.path.join(fleet_run.run_dir, "report"))
    with open(os.path.join(fleet_run.run_dir, "report", "report.md"), "w", encoding="utf-8") as handle:
        handle.write("# old report\n")
    assert "report" not in collect_run(fleet_run.artifacts, RUN).hosts


def test_an_unsealed_run_has_no_seal_time(run_builder):
    run_builder.record("m2-air", example("agent-machine"))
    evidence = collect_run(run_builder.artifacts, run_builder.run_id)
    assert evidence.sealed_at is None and evidence.manifest is None


def test_a_missing_run_names_the_run_id(tmp_path):
    with pytest.raises(ReportError, match=r"run_id: no run 'nope' under"):
        collect_run(str(tmp_path), "nope")


def test_a_bad_run_id_is_refused_before_any_path_is_built(tmp_path):
    with pytest.raises(ReportError, match=r"run_id: '\.\./etc' is not a valid run id"):
        collect_run(str(tmp_path), "../etc")
