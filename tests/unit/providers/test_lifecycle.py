"""The provider lifecycle against a fake systemd, a real unit directory and a real loopback health server."""

import json
import os
import time

from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.units import digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document

from provider_fakes import container_text


def _valid(result):
    for document in result["evidence"]:
        validate_document("RuntimeEvidence", document, source="test")
    return result


def _only(result):
    assert len(result["providers"]) == 1
    return result["providers"][0], result["evidence"][0]


def test_first_activation_writes_reloads_once_starts_and_passes_the_gate(harness):
    failed, result = harness.run([harness.provider()])
    assert not failed, result
    _valid(result)
    report, evidence = _only(result)
    assert report["outcome"] == "activated" and report["changed"] and report["healthy"]
    assert harness.read("coder.container") == container_text("good").encode()
    assert harness.systemd.changing_calls() == [["systemctl", "daemon-reload"], ["systemctl", "restart", "coder.service"]]
    assert result["daemon_reloads"] == 1
    assert report["saved_revision"] is None
    assert evidence["previousRevisionDigest"] is None
    assert evidence["newRevisionDigest"] == digest(container_text("good").encode())
    assert [check["status"] for check in evidence["healthChecks"]] == ["pass"] * 3
    assert evidence["activationDecision"]["id"].endswith("coder-node-1")


def test_unchanged_and_active_is_left_alone_but_checked_once(harness):
    harness.run([harness.provider()])
    requests_before = harness.server.requests
    failed, result = harness.run([harness.provider()])
    assert not failed
    _valid(result)
    report, evidence = _only(result)
    assert result["changed"] is False and report["outcome"] == "unchanged"
    assert harness.systemd.changing_calls() == []
    assert result["daemon_reloads"] == 0
    assert harness.server.requests == requests_before + 1
    assert len(evidence["healthChecks"]) == 1 and evidence["healthChecks"][0]["status"] == "pass"


def test_unchanged_files_but_stopped_service_is_started_without_reload(harness):
    harness.run([harness.provider()])
    harness.systemd.run(["systemctl", "stop", "coder.service"])
    failed, result = harness.run([harness.provider()])
    assert not failed
    assert harness.systemd.changing_calls() == [["systemctl", "restart", "coder.service"]]
    assert result["providers"][0]["outcome"] == "activated"


def test_one_daemon_reload_for_a_batch_of_changed_providers(harness):
    providers = [harness.provider("one"), harness.provider("two"), harness.provider("three")]
    failed, result = harness.run(providers)
    assert not failed, result
    assert len(harness.systemd.verbs("daemon-reload")) == 1
    assert [argv[2] for argv in harness.systemd.verbs("restart")] == ["one.service", "two.service", "three.service"]
    changed = [harness.provider("one"), harness.provider("two", marker="slow"), harness.provider("three")]
    failed, result = harness.run(changed)
    assert not failed
    assert len(harness.systemd.verbs("daemon-reload")) == 1
    assert [argv[2] for argv in harness.systemd.verbs("restart")] == ["two.service"]
    assert [item["outcome"] for item in result["providers"]] == ["unchanged", "activated", "unchanged"]


def test_gate_passes_after_503s_then_200s(harness):
    failed, result = harness.run([harness.provider(marker="slow")])
    assert not failed, result
    statuses = [(check["status"], check["httpStatus"]) for check in result["evidence"][0]["healthChecks"]]
    assert statuses == [("fail", 503), ("fail", 503), ("pass", 200), ("pass", 200), ("pass", 200)]


def test_failing_gate_restores_the_previous_revision_byte_for_byte(harness):
    # An installed revision with bytes a renderer would never produce: CRLF, trailing blanks, no final newline, not UTF-8.
    previous = b"[Unit]\r\nDescription=good hand-made  \r\n\xff\xfe[Container]\nImage=x\n# good\nExec=-m good"
    harness.install("coder.container", previous)
    harness.install("coder.network", b"[Network]\nNetworkName=agent-coder\n")
    os.chmod(harness.unit_path("coder.network"), 0o600)
    harness.systemd.run(["systemctl", "daemon-reload"])
    failed, result = harness.run([harness.provider(marker="bad")])
    assert failed
    _valid(result)
    report, evidence = _only(result)
    assert report["outcome"] == "rolled-back" and report["rolled_back"] is True
    assert harness.read("coder.container") == previous
    assert harness.read("coder.network") == b"[Network]\nNetworkName=agent-coder\n"
    assert os.stat(harness.unit_path("coder.network")).st_mode & 0o777 == 0o600
    assert result["daemon_reloads"] == 2
    assert [argv[1] for argv in harness.systemd.changing_calls()] == ["daemon-reload", "restart", "daemon-reload", "restart"]
    assert evidence["outcome"] == "rolled-back" and evidence["rolledBack"] is True
    assert evidence["previousRevisionDigest"] == digest(previous)
    assert evidence["newRevisionDigest"] == digest(container_text("bad").encode())
    statuses = [check["status"] for check in evidence["healthChecks"]]
    assert "fail" in statuses and statuses[-3:] == ["pass"] * 3
    assert any("restored byte-for-byte and healthy again" in message for message in evidence["events"])
    assert any(message.startswith("health checks 1-") and "new revision" in message for message in evidence["events"])
    assert any("restored revision 1" in message for message in evidence["events"])
    assert "coder: rolled-back" in result["msg"]
    saved = os.path.join(harness.revisions_dir, "coder", "1")
    with open(os.path.join(saved, "coder.container"), "rb") as handle:
        assert handle.read() == previous
    with open(os.path.join(saved, "revision.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    assert manifest["units"]["coder.container"]["digest"] == digest(previous)
    assert manifest["units"]["coder.network"]["mode"] == "0600"


def test_failed_gate_without_a_previous_revision_removes_the_units(harness):
    failed, result = harness.run([harness.provider(marker="bad")])
    assert failed
    _valid(result)
    report, evidence = _only(result)
    assert report["outcome"] == "rolled-back"
    assert not os.path.exists(harness.unit_path("coder.container"))
    assert ["systemctl", "stop", "coder.service"] in harness.systemd.calls
    assert evidence["previousRevisionDigest"] is None
    assert any("no previous revision" in message for message in evidence["events"])
    assert harness.systemd.state["coder.service"]["ActiveState"] == "inactive"


def test_a_crashing_service_fails_the_gate_early(harness):
    harness.install("coder.container", container_text("good").encode())
    harness.systemd.run(["systemctl", "daemon-reload"])
    began = time.monotonic()
    failed, result = harness.run([harness.provider(marker="crash", health={"window": 30, "interval": 0.05})])
    assert time.monotonic() - began < 10, "the gate waited out the window instead of failing at the crash"
    assert failed
    evidence = result["evidence"][0]
    assert any("being restarted by systemd" in (check["error"] or "") for check in evidence["healthChecks"])
    assert evidence["outcome"] == "rolled-back"
    assert harness.read("coder.container") == container_text("good").encode()


def test_rollback_that_does_not_become_healthy_is_reported(harness):
    harness.install("coder.container", container_text("bad", "# old\n").encode())
    harness.systemd.run(["systemctl", "daemon-reload"])
    failed, result = harness.run([harness.provider(marker="bad")])
    assert failed
    _valid(result)
    assert result["providers"][0]["outcome"] == "rollback-failed"
    assert harness.read("coder.container") == container_text("bad", "# old\n").encode()


def test_check_mode_touches_nothing(harness):
    harness.install("coder.container", container_text("good").encode())
    harness.systemd.run(["systemctl", "daemon-reload"])
    before = harness.snapshot()
    failed, result = harness.run([harness.provider(marker="bad"), harness.provider("other")], check_mode=True, diff=True)
    assert not failed
    _valid(result)
    assert harness.snapshot() == before
    assert harness.systemd.changing_calls() == []
    assert [item["outcome"] for item in result["providers"]] == ["planned", "planned"]
    assert result["changed"] is True
    assert not os.path.exists(harness.revisions_dir)
    headers = [entry["after_header"] for entry in result["diff"]]
    assert headers == [harness.unit_path("coder.container"), harness.unit_path("other.container")]
    assert result["diff"][0]["before"] == container_text("good") and result["diff"][0]["after"] == container_text("bad")


def test_teardown_stops_removes_and_keeps_a_revision(harness):
    harness.run([harness.provider(units=[
        {"name": "coder.container", "text": container_text("good")},
        {"name": "coder.network", "text": "[Network]\nNetworkName=agent-coder\n"}])])
    failed, result = harness.run([harness.provider()], state="absent")
    assert not failed
    _valid(result)
    assert result["providers"][0]["outcome"] == "stopped"
    assert [argv[1:] for argv in harness.systemd.changing_calls()] == [
        ["stop", "coder.service"], ["stop", "coder-network.service"], ["daemon-reload"]]
    assert os.listdir(harness.unit_dir) == []
    assert os.path.isfile(os.path.join(harness.revisions_dir, "coder", "1", "coder.network"))
    assert result["evidence"][0]["action"] == "teardown"
    failed, result = harness.run([harness.provider()], state="absent")
    assert not failed and result["changed"] is False
    assert result["providers"][0]["outcome"] == "unchanged"
    assert harness.systemd.changing_calls() == []


def test_rollback_on_demand_restores_the_previous_revision_and_can_be_undone(harness):
    harness.run([harness.provider(marker="good")])
    harness.run([harness.provider(marker="slow")])
    failed, result = harness.run([harness.provider()], state="rolled_back")
    assert not failed, result
    _valid(result)
    report, evidence = _only(result)
    assert report["outcome"] == "rolled-back" and report["restored_revision"] == 1 and report["saved_revision"] == 2
    assert harness.read("coder.container") == container_text("good").encode()
    assert evidence["action"] == "rollback" and evidence["rolledBack"] is True
    assert evidence["newRevisionDigest"] == digest(container_text("good").encode())
    failed, result = harness.run([harness.provider()], state="rolled_back")
    assert not failed
    assert harness.read("coder.container") == container_text("slow").encode()


def test_rollback_without_an_earlier_revision_fails_and_changes_nothing(harness):
    harness.run([harness.provider()])
    failed, result = harness.run([harness.provider()], state="rolled_back")
    assert failed
    assert "no saved revision" in result["msg"]
    assert harness.systemd.changing_calls() == []


def test_a_tampered_revision_is_never_restored(harness):
    harness.run([harness.provider(marker="good")])
    harness.run([harness.provider(marker="slow")])
    with open(os.path.join(harness.revisions_dir, "coder", "1", "coder.container"), "ab") as handle:
        handle.write(b"ExecStartPre=/bin/sh -c true\n")
    failed, result = harness.run([harness.provider()], state="rolled_back")
    assert failed
    assert "no longer matches its recorded digest" in result["msg"]
    assert harness.read("coder.container") == container_text("slow").encode()


def test_old_revisions_are_pruned(harness):
    for index in range(5):
        harness.run([harness.provider(marker="good", units=[
            {"name": "coder.container", "text": container_text("good", "# %d\n" % index)}])], keep_revisions=2)
    assert sorted(os.listdir(os.path.join(harness.revisions_dir, "coder"))) == ["3", "4"]


def test_failed_daemon_reload_rolls_back(harness):
    harness.install("coder.container", container_text("good").encode())
    harness.systemd.fail["daemon-reload"] = "Failed to reload daemon: Access denied"
    failed, result = harness.run([harness.provider(marker="slow")])
    assert failed
    assert harness.read("coder.container") == container_text("good").encode()
    assert "Access denied" in result["msg"]


def test_leftovers_of_an_interrupted_save_do_not_block_the_next_revision(harness):
    harness.run([harness.provider(marker="good")])
    store = os.path.join(harness.revisions_dir, "coder")
    os.makedirs(os.path.join(store, ".saving-dead"))
    os.makedirs(os.path.join(store, "1"))  # a numbered folder without its manifest
    failed, result = harness.run([harness.provider(marker="slow")])
    assert not failed, result
    assert result["providers"][0]["saved_revision"] == 2
    assert sorted(os.listdir(store)) == ["1", "2"]
