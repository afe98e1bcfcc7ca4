"""provider_render and activation_decision through real ansible-playbook.

provider_render probes a real node container (podman connection), renders
on the controller from the probe document, writes the units on the node
with check mode and diff, and the node's own Quadlet generator accepts
them. activation_decision runs on the controller and answers allowed only
for inputs that match.
"""

import os
import shutil
import subprocess
import uuid

import pytest

from ansible_run import REPO_ROOT, playbook, task_results
from support import render_cases as cases
from support import decision_cases

pytestmark = pytest.mark.skipif(shutil.which("podman") is None, reason="podman runs the node container")
UNIT_DIR = "/etc/containers/systemd"

RENDER_PLAY = """
- name: Render on the controller, write on the node
  hosts: agent_machines
  gather_facts: false
  tasks:
    - name: Probe
      sourceos.agent_machine.machine_facts:
    - name: Render
      sourceos.agent_machine.provider_render:
        pod: "{{ pod }}"
        dest: %s
      register: rendered
      diff: true
""" % UNIT_DIR

DECIDE_PLAY = """
- name: Decide on the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Decide
      sourceos.agent_machine.activation_decision:
        pod: "{{ inputs.pod }}"
        policy: "{{ inputs.policy | default(omit) }}"
        grant: "{{ inputs.grant }}"
        storage_receipts: "{{ inputs.storage_receipts }}"
        deployment_receipt: "{{ inputs.deployment_receipt }}"
        machine: "{{ inputs.machine }}"
        decided_at: "{{ inputs.decided_at }}"
        fail_when_closed: "{{ strict | default(false) }}"
"""


def _shell(command):
    return subprocess.run(["bash", "-c", "source scripts/env.sh && " + command], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=False)


@pytest.fixture(scope="module")
def node():
    image = _shell("scripts/node-image.sh")
    assert image.returncode == 0, image.stderr
    name = "am-render-test-" + uuid.uuid4().hex[:8]
    started = _shell("podman run -d --rm --privileged --systemd=always --name %s %s /sbin/init"
                     % (name, image.stdout.strip().splitlines()[-1]))
    assert started.returncode == 0, started.stderr
    yield name
    _shell("podman rm -f -t 0 %s" % name)


def _inventory(node_name):
    return ("agent_machines:\n  hosts:\n    %s:\n      ansible_connection: containers.podman.podman\n"
            "      ansible_python_interpreter: /usr/bin/python3\n" % node_name)


def _run(tmp_path, node_name, pod, check=False):
    path = os.path.join(str(tmp_path), "render.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(RENDER_PLAY)
    rc, output, stderr = playbook(path, extra_vars={"pod": pod}, inventory_text=_inventory(node_name),
                                  tmp_path=tmp_path, check=check)
    return rc, task_results(output, host=node_name), stderr


def test_render_writes_with_check_mode_diff_and_idempotency(tmp_path, node):
    pod = cases.pod_for("llama.cpp", "cpu")
    rc, results, stderr = _run(tmp_path, node, pod, check=True)
    assert rc == 0, stderr
    planned = results["Render"]
    assert planned["changed"] is True and planned["deployment_receipt"]["outcome"] == "planned"
    assert [entry["after_header"] for entry in planned["diff"]] == [
        UNIT_DIR + "/llama-cpp-cpu.container", UNIT_DIR + "/llama-cpp-cpu.network"]
    assert _shell("podman exec %s test -e %s/llama-cpp-cpu.container" % (node, UNIT_DIR)).returncode == 1

    rc, results, stderr = _run(tmp_path, node, pod)
    assert rc == 0, stderr
    written = results["Render"]
    assert written["changed"] is True and written["deployment_receipt"]["outcome"] == "written"
    assert written["plan_digest"] == planned["plan_digest"]
    on_node = _shell("podman exec %s cat %s/llama-cpp-cpu.container" % (node, UNIT_DIR))
    assert on_node.stdout == written["files"][0]["text"]
    podman = _shell("podman exec %s podman --version" % node).stdout.split()[-1]
    assert written["deployment_receipt"]["agentMachineId"].startswith("urn:srcos:agent-machine:machine:")
    assert podman.startswith("5.")

    rc, results, stderr = _run(tmp_path, node, pod)
    assert rc == 0, stderr
    assert results["Render"]["changed"] is False
    assert results["Render"]["deployment_receipt"]["outcome"] == "unchanged"

    generated = _shell("podman exec -e QUADLET_UNIT_DIRS=%s %s /usr/libexec/podman/quadlet -dryrun" % (UNIT_DIR, node))
    assert generated.returncode == 0, generated.stderr
    assert "---llama-cpp-cpu.service---" in generated.stdout
    assert "--read-only" in generated.stdout and "--cap-drop all" in generated.stdout


def test_render_refusal_names_the_field_and_touches_nothing(tmp_path, node):
    pod = cases.pod_for("llama.cpp", "cpu", **{"workload.name": "refused"})
    pod["runtime"]["args"] = ["--alias", "a\nExecStartPre=/bin/sh"]
    rc, results, _stderr = _run(tmp_path, node, pod)
    assert rc != 0
    assert "$.runtime.args" in results["Render"]["msg"]
    assert _shell("podman exec %s test -e %s/refused.container" % (node, UNIT_DIR)).returncode == 1


def _decide(tmp_path, inputs, strict=False):
    path = os.path.join(str(tmp_path), "decide.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(DECIDE_PLAY)
    rc, output, stderr = playbook(path, extra_vars={"inputs": inputs, "strict": strict}, tmp_path=tmp_path,
                                  inventory_text="all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    return rc, task_results(output)["Decide"], stderr


def test_activation_decision_allows_matching_inputs_only(tmp_path):
    inputs = decision_cases.baseline()
    rc, result, stderr = _decide(tmp_path, inputs)
    assert rc == 0, stderr
    assert result["allowed"] is True and result["reasons"] == [] and result["changed"] is False
    assert result["decision"]["decision"]["status"] == "allowed"

    del inputs["policy"]
    rc, result, stderr = _decide(tmp_path, inputs)
    assert rc == 0, stderr
    assert result["allowed"] is False and "policy-missing" in result["reasons"]
    assert result["decision"]["decision"]["status"] == "fail-closed"

    rc, result, _stderr = _decide(tmp_path, inputs, strict=True)
    assert rc != 0 and result["failed"] is True and "policy-missing" in result["msg"]
