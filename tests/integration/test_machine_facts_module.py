"""machine_facts run by real Ansible, by FQCN."""

import json
import os
import subprocess
import sys

from jsonschema import Draft202012Validator

from ansible_run import adhoc
from support import capture
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.agent_machine import AgentMachine
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.registry import schema_text

MODULE = "sourceos.agent_machine.machine_facts"
UNPACK = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support", "unpack_capture.py")


def _validate(document):
    Draft202012Validator(json.loads(schema_text("agent-machine"))).validate(document)
    AgentMachine.model_validate(document)


def test_live_probe_of_this_machine_matches_the_contract():
    rc, result = adhoc(MODULE)
    assert rc == 0, result
    document = result["ansible_facts"]["agent_machine"]
    _validate(document)
    assert result["changed"] is False
    with open("/proc/meminfo", encoding="utf-8") as handle:
        mem_total_kib = int(next(line for line in handle if line.startswith("MemTotal:")).split()[1])
    assert document["memory"]["totalBytes"] == mem_total_kib * 1024
    assert document["probe"]["commandsRun"] is True


def test_probe_of_a_captured_asahi_machine(tmp_path):
    root = capture.load("asahi-m2").materialize(str(tmp_path))
    rc, result = adhoc(MODULE, "root=%s" % root, extra=["--check"])
    assert rc == 0, result
    document = result["ansible_facts"]["agent_machine"]
    _validate(document)
    assert document["profile"]["name"] == "m2-asahi-linux"
    assert document["probe"]["commandsRun"] is False
    assert any("commands were not run" in w for w in result.get("warnings", []))


def test_bad_root_is_a_clear_error_naming_the_option(tmp_path):
    rc, result = adhoc(MODULE, "root=%s" % (tmp_path / "absent"))
    assert rc != 0
    assert result["failed"] is True
    assert result["msg"].startswith("root: ")
    assert "is not a directory" in result["msg"]


def test_bad_timeout_is_a_clear_error_naming_the_option():
    rc, result = adhoc(MODULE, "command_timeout=0")
    assert rc != 0
    assert result["msg"].startswith("command_timeout: ")


def test_probe_of_a_captured_gpu_server_replays_its_recorded_commands(tmp_path):
    subprocess.run([sys.executable, UNPACK, "nvidia-a100-mig", str(tmp_path), "--hostname", "gpu-a100-07"], check=True)
    recording = str(tmp_path / "commands.json")
    rc, result = adhoc(MODULE, "root=%s recorded_commands=%s" % (tmp_path / "root", recording), extra=["--check"])
    assert rc == 0, result
    document = result["ansible_facts"]["agent_machine"]
    _validate(document)
    assert document["id"] == "urn:srcos:agent-machine:machine:gpu-a100-07"
    assert document["probe"]["commandsReplayedFrom"] == recording
    assert document["profile"]["name"] == "linux-gpu-node"
    gpu = document["accelerators"]["devices"][0]
    assert (gpu["name"], gpu["computeCapability"], gpu["mig"]["mode"]) == ("NVIDIA A100-SXM4-40GB", "8.0", "enabled")
    assert any("replayed from %s" % recording in w for w in result.get("warnings", []))


def test_a_bad_recording_is_refused_naming_the_entry(tmp_path):
    recording = tmp_path / "commands.json"
    recording.write_text(json.dumps({"podman --version": {"rc": "0", "stdout": "podman version 5.1.1\n"}}))
    rc, result = adhoc(MODULE, "root=%s recorded_commands=%s" % (tmp_path, recording))
    assert rc != 0
    assert result["msg"] == 'recorded_commands: $["podman --version"].rc must be an integer exit status'


def test_a_recording_for_the_running_machine_is_refused(tmp_path):
    recording = tmp_path / "commands.json"
    recording.write_text("{}")
    rc, result = adhoc(MODULE, "recorded_commands=%s" % recording)
    assert rc != 0
    assert result["msg"].startswith("recorded_commands: replaying needs a root other than /")
