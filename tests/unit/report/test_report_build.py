"""The report's verification status is the verifier's answer for the run."""

import os

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import signing
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.build import build_fleet_report
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.collect import ReportError


def flip_a_byte(run, relative):
    path = os.path.join(run.run_dir, relative)
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    position = data.index(b'"sizeBytes":') + len(b'"sizeBytes":')
    data[position] = ord("1") if data[position] != ord("1") else ord("2")
    with open(path, "wb") as handle:
        handle.write(bytes(data))


def test_an_intact_run_is_verified(fleet_run):
    built = build_fleet_report(fleet_run.artifacts, fleet_run.run_id, [fleet_run.key.public_key()])
    assert built.verified is True and built.verification["problems"] == []
    assert built.verification["checked"] == 12
    assert built.section_summaries()["verification"] == "verified"


def test_a_tampered_receipt_is_named_in_the_report(fleet_run):
    flip_a_byte(fleet_run, os.path.join("m2-air", "model-receipt", "m2-air-qwen2-5-coder-7b-q4.json"))
    built = build_fleet_report(fleet_run.artifacts, fleet_run.run_id, [fleet_run.key.public_key()])
    assert built.verified is False
    assert [(p["path"], p["code"]) for p in built.verification["problems"]] == [
        (os.path.join("m2-air", "model-receipt", "m2-air-qwen2-5-coder-7b-q4.json"), "digest-mismatch")]
    page = built.files["report.html"].decode()
    assert "m2-air/model-receipt/m2-air-qwen2-5-coder-7b-q4.json" in page and "FAILED: 1 problem" in page


def test_another_key_is_a_bad_signature(fleet_run):
    built = build_fleet_report(fleet_run.artifacts, fleet_run.run_id, [signing.generate_private_key().public_key()])
    assert built.verified is False
    assert "bad-signature" in [p["code"] for p in built.verification["problems"]]


def test_without_a_key_the_signature_is_not_checked_but_digests_are(fleet_run):
    built = build_fleet_report(fleet_run.artifacts, fleet_run.run_id, [])
    assert built.verified is None and built.verification["problems"] == []
    assert built.section_summaries()["verification"] == "not verified: no public key given"

    flip_a_byte(fleet_run, os.path.join("m2-air", "model-receipt", "m2-air-qwen2-5-coder-7b-q4.json"))
    built = build_fleet_report(fleet_run.artifacts, fleet_run.run_id, [])
    assert [p["code"] for p in built.verification["problems"]] == ["digest-mismatch"]
    assert built.section_summaries()["verification"] == "not verified: no public key given; 1 problem"


def test_an_unsealed_run_is_reported_as_such(run_builder):
    run_builder.record("m2-air", {"kind": "ModelReceipt", "id": "urn:srcos:agent-machine:model-receipt:m", "sizeBytes": 1})
    built = build_fleet_report(run_builder.artifacts, run_builder.run_id, [run_builder.key.public_key()])
    assert built.verified is False
    assert sorted(p["code"] for p in built.verification["problems"]) == ["missing-manifest", "missing-signature", "unlisted-receipt"]
    assert "the run is not sealed" in built.files["report.md"].decode()


def test_no_such_run(tmp_path):
    with pytest.raises(ReportError, match="run_id: no run 'missing'"):
        build_fleet_report(str(tmp_path), "missing", [])
