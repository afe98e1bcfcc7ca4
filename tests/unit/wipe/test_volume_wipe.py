"""volume_wipe: empty what may be emptied, refuse the rest before touching anything, never follow links."""

import os

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.wipe import WipeError, check_volumes, wipe_volume
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document


def _fill(root):
    (root / "slots").mkdir(parents=True)
    (root / "slots" / "a.bin").write_bytes(b"x" * 100)
    (root / "b.bin").write_bytes(b"y" * 20)
    (root / ".hidden").write_text("z")


def test_wipe_empties_the_directory_and_keeps_it(tmp_path):
    warm = tmp_path / "warm"
    _fill(warm)
    entry, skipped = wipe_volume({"volume_class": "agent-cache-warm", "path": str(warm)}, check_mode=False)
    assert entry == {"volumeClass": "agent-cache-warm", "path": str(warm), "removedEntries": 4, "freedBytes": 121}
    assert skipped == [] and warm.is_dir() and os.listdir(warm) == []
    again, _skipped = wipe_volume({"volume_class": "agent-cache-warm", "path": str(warm)}, check_mode=False)
    assert again["removedEntries"] == 0


def test_check_mode_counts_and_removes_nothing(tmp_path):
    scratch = tmp_path / "scratch"
    _fill(scratch)
    entry, _skipped = wipe_volume({"volume_class": "agent-scratch", "path": str(scratch)}, check_mode=True)
    assert entry["removedEntries"] == 4 and entry["freedBytes"] == 121
    assert sorted(os.listdir(scratch)) == [".hidden", "b.bin", "slots"]


def test_symbolic_links_are_removed_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    warm = tmp_path / "warm"
    warm.mkdir()
    os.symlink(str(outside), str(warm / "link-to-dir"))
    os.symlink(str(outside / "keep.txt"), str(warm / "link-to-file"))
    entry, _skipped = wipe_volume({"volume_class": "agent-cache-warm", "path": str(warm)}, check_mode=False)
    assert entry["removedEntries"] == 2 and entry["freedBytes"] == 0
    assert (outside / "keep.txt").read_text() == "keep"


def test_missing_volume_is_empty(tmp_path):
    entry, _skipped = wipe_volume({"volume_class": "agent-scratch", "path": str(tmp_path / "none")}, check_mode=False)
    assert entry["removedEntries"] == 0


@pytest.mark.parametrize("volume,include_models,message", [
    ({"volume_class": "agent-evidence", "path": "/var/lib/agent-machine/evidence"}, True,
     r"volumes\[0\]\.volume_class: agent-evidence is never wiped"),
    ({"volume_class": "agent-artifacts", "path": "/x"}, True, "is never wiped"),
    ({"volume_class": "agent-models", "path": "/var/lib/agent-machine/models"}, False,
     r"volumes\[0\]\.volume_class: agent-models is wiped only with include_models: true"),
    ({"volume_class": "agent-cash", "path": "/x"}, False, "unknown volume class 'agent-cash'"),
    ({"volume_class": "agent-scratch", "path": "/"}, False, r"volumes\[0\]\.path: must be an absolute path other than /"),
    ({"volume_class": "agent-scratch", "path": "scratch"}, False, "must be an absolute path"),
])
def test_refusals_name_the_field(volume, include_models, message):
    with pytest.raises(WipeError, match=message):
        check_volumes([volume], include_models)


def test_models_with_include_models_and_link_volume_refused(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    check_volumes([{"volume_class": "agent-models", "path": str(models)}], include_models=True)
    link = tmp_path / "link"
    os.symlink(str(models), str(link))
    with pytest.raises(WipeError, match="is not a real directory"):
        check_volumes([{"volume_class": "agent-scratch", "path": str(link)}], include_models=False)
    with pytest.raises(WipeError, match=r"volumes\[1\]\.path: .* is listed twice"):
        check_volumes([{"volume_class": "agent-scratch", "path": str(models)},
                       {"volume_class": "agent-cache-warm", "path": str(models) + "/"}], include_models=False)


def test_wipe_evidence_validates_without_a_pod():
    document = {
        "specVersion": "0.1.0", "kind": "RuntimeEvidence", "id": "urn:srcos:agent-machine:runtime-evidence:node-1-wipe",
        "agentPodId": None, "agentMachineId": "urn:srcos:agent-machine:machine:node-1", "activationDecision": None,
        "action": "wipe", "outcome": "wiped", "unitName": None, "previousRevisionDigest": None,
        "newRevisionDigest": None, "rolledBack": False, "healthChecks": [],
        "wiped": [{"volumeClass": "agent-scratch", "path": "/var/lib/agent-machine/scratch", "removedEntries": 3,
                   "freedBytes": 10}],
        "events": ["removed 3 entries from 1 volume(s)"],
        "startedAt": "2026-03-02T09:34:05Z", "finishedAt": "2026-03-02T09:34:06Z",
    }
    validate_document("RuntimeEvidence", document)
