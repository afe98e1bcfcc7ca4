# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cache_inventory through real ansible on localhost, and its inventory feeding place_pods."""

import hashlib
import json
import os

import yaml

from ansible_run import adhoc, playbook, task_results

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACK = hashlib.sha256(b"workroom pack").hexdigest()
MODEL = "sha256:" + hashlib.sha256(b"model bytes").hexdigest()
MACHINE_ID = "urn:srcos:agent-machine:machine:m2-air"
MODEL_BYTES = 2 * 10 ** 9  # a sparse file: no disk used


def example(name):
    with open(os.path.join(REPO, "contracts", "examples", name), encoding="utf-8") as handle:
        return json.load(handle)


def caches(tmp_path):
    warm, models = tmp_path / "warm", tmp_path / "models"
    (warm / "prefix").mkdir(parents=True)
    (warm / "prefix" / (PACK + ".bin")).write_bytes(b"k" * 64)
    (warm / "prefix" / "partial.tmp").write_bytes(b"t")
    models.mkdir()
    with open(str(models / "coder.gguf"), "wb") as handle:
        handle.truncate(MODEL_BYTES)
    (models / ".residency.json").write_text(json.dumps({"specVersion": "0.1.0", "models": [
        {"ref": "hf://test/coder.gguf", "digest": MODEL, "sizeBytes": MODEL_BYTES, "path": "coder.gguf", "format": "gguf",
         "materializedAt": "2026-03-01T10:00:00Z", "lastUsedAt": None}]}), encoding="utf-8")
    return str(warm), str(models)


def test_inventory_of_a_warm_cache_and_a_models_volume(tmp_path):
    warm, models = caches(tmp_path)
    rc, result = adhoc("sourceos.agent_machine.cache_inventory", "warm_cache_root=%s models_root=%s machine_id=%s" % (warm, models, MACHINE_ID))
    assert rc == 0, result
    inventory = result["cache_inventory"]
    assert result["changed"] is False
    assert inventory["agentMachineId"] == MACHINE_ID
    assert [entry["digest"] for entry in inventory["prefixes"]] == ["sha256:" + PACK]
    assert inventory["prefixes"][0]["sizeBytes"] == 64
    assert [(model["digest"], model["onDisk"]) for model in inventory["models"]] == [(MODEL, True)]
    assert [os.path.basename(entry["path"]) for entry in inventory["ignored"]] == ["partial.tmp"]
    assert any("partial.tmp: ignored" in warning for warning in result.get("warnings", []))
    assert result["ansible_facts"]["agent_machine_cache_inventory"] == inventory


def test_check_mode_reports_the_same_and_changes_nothing(tmp_path):
    warm, models = caches(tmp_path)
    before = sorted(os.listdir(warm + "/prefix")) + sorted(os.listdir(models))
    args = "warm_cache_root=%s models_root=%s" % (warm, models)
    rc, checked = adhoc("sourceos.agent_machine.cache_inventory", args, extra=["--check"])
    rc_live, live = adhoc("sourceos.agent_machine.cache_inventory", args)
    assert rc == rc_live == 0
    assert checked["cache_inventory"] == live["cache_inventory"]
    assert sorted(os.listdir(warm + "/prefix")) + sorted(os.listdir(models)) == before


def test_missing_roots_are_an_empty_inventory(tmp_path):
    rc, result = adhoc("sourceos.agent_machine.cache_inventory",
                       "warm_cache_root=%s models_root=%s" % (tmp_path / "no-warm", tmp_path / "no-models"))
    assert rc == 0, result
    assert result["cache_inventory"]["prefixes"] == [] and result["cache_inventory"]["models"] == []
    assert result["cache_inventory"]["manifestFound"] is False


def test_an_unparsable_manifest_fails_clearly(tmp_path):
    warm, models = caches(tmp_path)
    with open(os.path.join(models, ".residency.json"), "w", encoding="utf-8") as handle:
        handle.write("{truncated")
    rc, result = adhoc("sourceos.agent_machine.cache_inventory", "warm_cache_root=%s models_root=%s" % (warm, models))
    assert rc != 0
    assert result["failed"] is True
    assert result["msg"].startswith(os.path.join(models, ".residency.json") + ": the residency manifest cannot be read as JSON")


def test_bad_machine_id_fails_before_reading(tmp_path):
    rc, result = adhoc("sourceos.agent_machine.cache_inventory", "warm_cache_root=%s machine_id=node-1" % tmp_path)
    assert rc != 0 and result["msg"].startswith("machine_id: ")


PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Inventory
      sourceos.agent_machine.cache_inventory:
        warm_cache_root: "{{ warm }}"
        models_root: "{{ models }}"
        machine_id: "{{ machine.id }}"
    - name: Place
      sourceos.agent_machine.place_pods:
        pods: "{{ pods }}"
        machines: ["{{ machine }}", "{{ other }}"]
        inventories: ["{{ ansible_facts.agent_machine_cache_inventory }}"]
        volume_classes: "{{ classes }}"
        decided_at: "2026-03-02T09:33:00Z"
    - name: Bad input
      sourceos.agent_machine.place_pods:
        pods: "{{ pods }}"
        machines: ["{{ machine }}"]
        cordoned: [urn:srcos:agent-machine:machine:typo]
      ignore_errors: true
"""


def test_placement_follows_the_inventory(tmp_path):
    warm, models = caches(tmp_path)
    machine = example("agent-machine.json")
    other = json.loads(json.dumps(machine).replace(MACHINE_ID, "urn:srcos:agent-machine:machine:m2-other"))
    other["host"]["hostname"] = "m2-other"
    pod = example("agent-pod.json")
    pod["model"].update(digest=MODEL, sizeBytes=MODEL_BYTES)
    pod["context"] = {"prefixDigests": ["sha256:" + PACK], "prefixTokens": 6000}
    pod["resources"]["memoryBytes"] = 4 << 30
    path = tmp_path / "play.yml"
    path.write_text(PLAY, encoding="utf-8")
    classes = {machine["id"]: ["agent-models", "agent-cache-warm"], other["id"]: ["agent-models", "agent-cache-warm"]}
    rc, output, stderr = playbook(str(path), extra_vars={
        "warm": warm, "models": models, "machine": machine, "other": other, "pods": [pod], "classes": classes}, tmp_path=tmp_path)
    results = task_results(output)
    assert rc == 0, stderr
    decision = results["Place"]["decisions"][0]
    assert decision["status"] == "placed"
    assert decision["agentMachineId"] == MACHINE_ID
    assert decision["cost"]["downloadSeconds"] == 0.0 and decision["cost"]["prefillSeconds"] == 0.0
    elsewhere = [entry for entry in decision["candidates"] if entry["agentMachineId"] != MACHINE_ID][0]
    assert elsewhere["cost"]["downloadSeconds"] > 0 and elsewhere["cost"]["prefillSeconds"] > 0
    assert results["Place"]["summary"]["placed"] == 1
    assert results["Place"]["changed"] is False
    bad = results["Bad input"]
    assert bad["failed"] is True
    assert bad["msg"] == "cordoned[0]: urn:srcos:agent-machine:machine:typo is not one of the machines"
    yaml.safe_dump(decision)
