"""Provider activation for real: Quadlet, systemd and llama-server inside a node container, run by ansible.

One privileged node container (the cached node image, systemd as PID 1,
podman with vfs storage and cgroupfs inside) gets the provider image
(``scripts/provider-image.sh``: Debian sid's llama-server) through
``podman save | podman load`` and a generated tiny GGUF model. Each step
renders the pod with the Quadlet renderer, makes its DeploymentReceipt and
an ActivationDecision with the evaluator, and runs
``sourceos.agent_machine.provider_units`` through ansible-playbook over the
podman connection. Selected alone with ``-m provider``; part of the
default integration run.
"""

import copy
import datetime
import json
import os
import shutil
import subprocess
import time
import uuid

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.units import digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import (
    evaluate_activation, plan_digest,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.deployment_receipt import deployment_receipt
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.quadlet import render_container

from ansible_run import playbook, task_results
from support import decision_cases, render_cases
from support.tiny_gguf import write_tiny_gguf

pytestmark = [
    pytest.mark.provider,
    pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed: the node is a podman container"),
]

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MACHINE_ID = "urn:srcos:agent-machine:machine:am-prov-test"
NAME = "tiny-llama"
PORT = 18080
HEALTH = {"url": "http://127.0.0.1:%d/health" % PORT, "passes": 3, "interval": 1, "window": 90, "timeout": 3}
MODELS_DIR = "/var/lib/agent-machine/models"
UNIT = "/etc/containers/systemd/%s.container" % NAME
STORAGE_CONF = '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n'
CONTAINERS_CONF = '[engine]\ncgroup_manager = "cgroupfs"\n'
PLAY = """
- name: Provider lifecycle
  hosts: all
  gather_facts: false
  tasks:
    - name: Providers
      sourceos.agent_machine.provider_units:
        state: "{{ provider_state }}"
        providers: "{{ provider_list }}"
        decisions: "{{ decision_list }}"
        deployment_receipts: "{{ receipt_list }}"
"""
COMPLETION = """
import json, urllib.request
request = urllib.request.Request("http://127.0.0.1:%d/v1/completions", method="POST",
    data=json.dumps({"prompt": "the agent", "max_tokens": 8}).encode(), headers={"Content-Type": "application/json"})
with urllib.request.urlopen(request, timeout=60) as response:
    body = json.loads(response.read())
print(json.dumps({"status": response.status, "choices": len(body["choices"]), "usage": body["usage"]}))
""" % PORT
HEALTH_GET = """
import urllib.request
with urllib.request.urlopen("http://127.0.0.1:%d/health", timeout=10) as response:
    print(response.status, response.read().decode())
""" % PORT


def _shell(command, stdin=None):
    return subprocess.run(["bash", "-c", "source scripts/env.sh && " + command], cwd=REPO_ROOT, capture_output=True,
                          text=stdin is None or isinstance(stdin, str), input=stdin, check=False)


def _image(script):
    built = _shell(script)
    assert built.returncode == 0, built.stderr[-3000:]
    return built.stdout.strip().splitlines()[-1]


class NodeContainer:
    def __init__(self, name):
        self.name = name

    def exec(self, command, stdin=None):
        return subprocess.run(["podman", "exec", "-i", self.name, "sh", "-c", command], capture_output=True, text=True,
                              input=stdin, check=False)

    def python(self, code):
        return subprocess.run(["podman", "exec", "-i", self.name, "python3", "-"], capture_output=True, text=True,
                              input=code, check=False)

    def read(self, path):
        found = subprocess.run(["podman", "exec", self.name, "cat", path], capture_output=True, check=False)
        return found.stdout if found.returncode == 0 else None


@pytest.fixture(scope="module", name="node")
def node_fixture(tmp_path_factory):
    started = time.monotonic()
    node_image = _image("scripts/node-image.sh")
    provider_image = _image("scripts/provider-image.sh")
    name = "am-prov-test-" + uuid.uuid4().hex[:8]
    run = _shell("podman run -d --name %s --hostname %s --privileged --systemd=always %s /sbin/init"
                 % (name, name, node_image))
    assert run.returncode == 0, run.stderr
    node = NodeContainer(name)
    try:
        for _attempt in range(60):
            state = node.exec("systemctl is-system-running").stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        assert node.exec("cat > /etc/containers/storage.conf", STORAGE_CONF).returncode == 0
        assert node.exec("cat > /etc/containers/containers.conf", CONTAINERS_CONF).returncode == 0
        loaded = _shell("podman save %s | podman exec -i %s podman load" % (provider_image, name))
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        model = tmp_path_factory.mktemp("model") / "tiny.gguf"
        node.sha256 = write_tiny_gguf(model, seed=0)
        node.size = os.path.getsize(model)
        assert node.exec("mkdir -p %s" % MODELS_DIR).returncode == 0
        copied = _shell("podman cp %s %s:%s/tiny.gguf" % (model, name, MODELS_DIR))
        assert copied.returncode == 0, copied.stderr
        node.provider_image = provider_image
        node.setup_seconds = time.monotonic() - started
        node.tmp = tmp_path_factory.mktemp("plays")
        yield node
    finally:
        _shell("podman rm -f -t 0 %s" % name)


def _stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pod(node, model_file="tiny.gguf", args=()):
    pod = render_cases.pod_for("llama.cpp", "cpu")
    pod["workload"]["name"] = NAME
    pod["runtime"].update(image=node.provider_image, imageDigest=None, imageReferencePolicy="tag-allowed-bootstrap",
                          networkMode="host", args=list(args))
    pod["policy"]["allowHostNetwork"] = True
    pod["ports"] = [{"name": "http", "containerPort": PORT, "hostPort": None, "exposure": "loopback"}]
    pod["storage"] = [entry for entry in pod["storage"] if entry["volumeClass"] == "agent-models"]
    pod["model"].update(ref="hf://sourceos/agent-machine-tiny/" + model_file, digest="sha256:" + node.sha256,
                        sizeBytes=node.size, format="gguf")
    pod["inference"] = {"contextSize": 256, "parallelSlots": 1}
    pod["context"] = {"prefixDigests": []}
    pod["resources"]["memoryBytes"] = 1024 ** 3
    return pod


def _machine():
    machine = copy.deepcopy(decision_cases.baseline()["machine"])
    machine["id"] = MACHINE_ID
    machine["runtime"]["selinux"]["mode"] = "disabled"
    machine["runtime"]["podman"]["version"] = "5.4.2"
    return machine


def _activation(pod, granted=True):
    """(provider entry, decision, receipt) for ``pod`` on the test node, decided now."""
    machine = _machine()
    provider = catalog.provider("llama.cpp")
    rendered = render_container(pod, provider, machine, machine["runtime"]["podman"]["version"])
    receipt = deployment_receipt(pod, provider, machine, rendered["units"], outcome="written")
    inputs = decision_cases.baseline()
    now = datetime.datetime.now(datetime.timezone.utc)
    policy, grant = inputs["policy"], inputs["grant"]
    policy["request"].update(agentPodId=pod["id"], agentMachineId=MACHINE_ID, planDigest=plan_digest(receipt))
    policy["decidedAt"] = _stamp(now - datetime.timedelta(minutes=1))
    policy["obligations"]["expiresAt"] = _stamp(now + datetime.timedelta(hours=1))
    for key, value in (("sideEffects", "network-egress"), ("networkExposure", "host")):
        allowed, denied = policy["scope"]["allowed"], policy["scope"].setdefault("denied", {})
        allowed[key] = sorted(set(allowed.get(key, [])) | {value})
        denied[key] = [item for item in denied.get(key, []) if item != value]
    grant["request"].update(agentPodId=pod["id"], agentMachineId=MACHINE_ID)
    grant["issuedAt"] = _stamp(now - datetime.timedelta(minutes=5))
    grant["grant"]["expiresAt"] = _stamp(now + datetime.timedelta(hours=1))
    grant["scope"]["allowed"]["modelRefs"] = [pod["model"]["ref"]]
    if not granted:
        grant["grant"].update(status="revoked", authorizationGranted=False)
    for storage in inputs["storage_receipts"]:
        storage["agentMachineId"] = MACHINE_ID
    decision = evaluate_activation(pod, policy, grant, inputs["storage_receipts"], receipt, machine,
                                   decided_at=_stamp(now))
    assert decision["decision"]["status"] == ("allowed" if granted else "fail-closed"), decision["decision"]
    entry = {"name": NAME, "agent_pod_id": pod["id"], "agent_machine_id": MACHINE_ID, "health": HEALTH,
             "units": [{"name": unit["name"], "text": unit["text"]} for unit in rendered["units"]]}
    return entry, decision, receipt


def _run(node, state, activation=None, check=False):
    """Run the task on the node; returns (rc, task result, seconds)."""
    if activation is None:
        entry = {"name": NAME, "agent_pod_id": "urn:srcos:agent-machine:pod:coder-qwen", "agent_machine_id": MACHINE_ID,
                 "health": HEALTH}
        extra = {"provider_list": [entry], "decision_list": [], "receipt_list": []}
    else:
        entry, decision, receipt = activation
        extra = {"provider_list": [entry], "decision_list": [decision], "receipt_list": [receipt]}
    extra["provider_state"] = state
    path = node.tmp / "play.yml"
    path.write_text(PLAY)
    inventory = ("all:\n  hosts:\n    %s:\n      ansible_connection: containers.podman.podman\n"
                 "      ansible_python_interpreter: /usr/bin/python3\n" % node.name)
    began = time.monotonic()
    rc, output, stderr = playbook(str(path), extra_vars=extra, inventory_text=inventory, tmp_path=node.tmp, check=check)
    seconds = time.monotonic() - began
    results = task_results(output, host=node.name)
    assert "Providers" in results, stderr[-3000:]
    return rc, results["Providers"], seconds


def _serves(node):
    health = node.python(HEALTH_GET)
    completion = node.python(COMPLETION)
    assert health.returncode == 0 and health.stdout.startswith("200 "), health.stderr[-2000:]
    assert '"ok"' in health.stdout
    assert completion.returncode == 0, completion.stderr[-2000:]
    answer = json.loads(completion.stdout)
    assert answer["status"] == 200 and answer["choices"] == 1 and answer["usage"]["completion_tokens"] > 0
    return answer


def _container_names(node):
    listed = node.exec("podman ps -a --format '{{.Names}}'")
    assert listed.returncode == 0, listed.stderr
    return listed.stdout.split()


def test_provider_lifecycle_on_a_real_node(node):
    timings = {"node setup": node.setup_seconds}
    revision_a = _activation(_pod(node))
    text_a = revision_a[0]["units"][0]["text"].encode()

    # A revoked grant: refused on the controller, nothing reaches the node.
    rc, result, timings["refused"] = _run(node, "started", _activation(_pod(node), granted=False))
    assert rc != 0 and result["refused"][0]["name"] == NAME
    assert result["evidence"][0]["outcome"] == "refused"
    assert node.read(UNIT) is None and NAME not in _container_names(node)

    # Check mode: planned, nothing written.
    rc, result, timings["check mode"] = _run(node, "started", revision_a, check=True)
    assert rc == 0, result.get("msg")
    assert result["providers"][0]["outcome"] == "planned" and node.read(UNIT) is None

    # Revision A: installed, started, healthy, serving.
    rc, result, timings["activate"] = _run(node, "started", revision_a)
    assert rc == 0, result.get("msg")
    evidence = result["evidence"][0]
    assert evidence["outcome"] == "activated" and result["daemon_reloads"] == 1
    assert evidence["newRevisionDigest"] == digest(text_a) == revision_a[2]["artifacts"][0]["artifactDigest"]
    assert [check["status"] for check in evidence["healthChecks"]][-3:] == ["pass"] * 3
    assert node.read(UNIT) == text_a
    _serves(node)

    # The same again: nothing changes.
    rc, result, timings["unchanged"] = _run(node, "started", revision_a)
    assert rc == 0 and result["changed"] is False, result
    assert result["providers"][0]["outcome"] == "unchanged" and result["daemon_reloads"] == 0

    # Revision A2 (one more server argument), then a rollback on demand back to A.
    revision_a2 = _activation(_pod(node, args=["--alias", "tiny-a2"]))
    rc, result, timings["activate a2"] = _run(node, "started", revision_a2)
    assert rc == 0, result.get("msg")
    assert result["providers"][0]["saved_revision"] == 1
    rc, result, timings["rollback on demand"] = _run(node, "rolled_back")
    assert rc == 0, result.get("msg")
    assert result["evidence"][0]["outcome"] == "rolled-back" and result["providers"][0]["restored_revision"] == 1
    assert node.read(UNIT) == text_a
    _serves(node)

    # Revision B points at a model that is not there: the gate fails, A is restored and serves again.
    revision_b = _activation(_pod(node, model_file="missing.gguf"))
    rc, result, timings["failed activation + rollback"] = _run(node, "started", revision_b)
    assert rc != 0
    evidence = result["evidence"][0]
    assert evidence["outcome"] == "rolled-back" and evidence["rolledBack"] is True, evidence["events"]
    assert evidence["previousRevisionDigest"] == digest(text_a)
    assert evidence["newRevisionDigest"] == digest(revision_b[0]["units"][0]["text"].encode())
    statuses = [check["status"] for check in evidence["healthChecks"]]
    assert "fail" in statuses and statuses[-3:] == ["pass"] * 3
    assert any("restored byte-for-byte and healthy again" in message for message in evidence["events"])
    assert result["daemon_reloads"] == 2
    assert node.read(UNIT) == text_a
    _serves(node)

    # Teardown: units and container gone, the model stays.
    rc, result, timings["teardown"] = _run(node, "absent")
    assert rc == 0, result.get("msg")
    assert result["evidence"][0]["outcome"] == "stopped"
    assert node.read(UNIT) is None
    assert NAME not in _container_names(node)
    assert node.exec("systemctl is-active %s.service" % NAME).stdout.strip() in ("inactive", "unknown")
    assert node.read(MODELS_DIR + "/tiny.gguf") is not None
    print("provider activation timings (s): " + ", ".join("%s %.1f" % item for item in timings.items()))
