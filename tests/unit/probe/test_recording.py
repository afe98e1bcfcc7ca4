"""Recorded command output: what a replayable recording is, and what is refused."""

import json

import pytest

from support import capture
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import ReplayRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.document import build_document
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.recording import (
    RecordingError, check_recording, load_recording)


def test_every_capture_round_trips_through_its_recording(tmp_path):
    for name in capture.machine_names():
        machine = capture.load(name)
        path = machine.write_recording(str(tmp_path / (name + ".json")))
        assert load_recording(path) == machine.commands


@pytest.mark.parametrize("data, message", [
    ([], "$ must be an object mapping command lines to their output"),
    ({" ": {}}, '$[" "]: a command line must not be empty'),
    ({"lvm version": "ok"}, '$["lvm version"] must be an object with rc, stdout and stderr'),
    ({"lvm version": {"rc": True}}, '$["lvm version"].rc must be an integer exit status'),
    ({"lvm version": {"rc": 0, "stdout": 3}}, '$["lvm version"].stdout must be a string'),
    ({"lvm version": {"exit": 0}}, '$["lvm version"].exit is not a recording field (rc, stdout, stderr)'),
])
def test_a_malformed_recording_names_the_entry(data, message):
    with pytest.raises(RecordingError) as error:
        check_recording(data)
    assert str(error.value) == message


def test_unreadable_and_non_json_recordings_are_refused(tmp_path):
    with pytest.raises(RecordingError, match="cannot read"):
        load_recording(str(tmp_path / "absent.json"))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(RecordingError, match="is not JSON"):
        load_recording(str(tmp_path / "bad.json"))


def test_a_renamed_capture_is_another_machine_with_the_same_hardware(tmp_path):
    machine = capture.load("asahi-m2").renamed("studio-07")
    root = machine.materialize(str(tmp_path / "root"))
    recording = machine.write_recording(str(tmp_path / "commands.json"))
    context = ProbeContext(root=root, runner=ReplayRunner(load_recording(recording)), replayed_from=recording)
    document = build_document(context)
    assert document["id"] == "urn:srcos:agent-machine:machine:studio-07"
    assert document["profile"]["name"] == "m2-asahi-linux"
    assert document["runtime"]["podman"]["version"] == "5.1.1"
    assert document["probe"]["commandsReplayedFrom"] == recording
    assert json.loads(json.dumps(document))["probe"]["commandsRun"] is True
