"""The receipt pipeline run by real ansible-playbook on localhost."""

import json
import os
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ansible_run import playbook, task_results
from support import capture
from support.evidence_server import EvidenceServer, free_port

PEM_KEY = ed25519.Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQtMTIzNDU2.q1w2e3r4t5y6u7i8o9p0"
API_KEY = "ak_live_9f8e7d6c5b4a3f2e1d0c9b8a"
PASSWORD = "Tr0ub4dor&3-horse-battery"

WRITE_PLAY = """
- name: Start
  ansible.builtin.import_playbook: sourceos.agent_machine.run_start
- name: Write receipts
  hosts: agent_machines
  gather_facts: false
  tasks:
    - name: Record each document
      sourceos.agent_machine.receipt:
        document: "{{ item }}"
      loop: "{{ documents }}"
      loop_control:
        label: "{{ item.id }}"
- name: Seal
  ansible.builtin.import_playbook: sourceos.agent_machine.run_seal
"""


@pytest.fixture(name="key_file")
def signing_key_file(tmp_path):
    path = tmp_path / "signing.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(path)], check=True)
    return str(path)


def write_play(tmp_path):
    path = tmp_path / "write.yml"
    path.write_text(WRITE_PLAY)
    return str(path)


def all_artifact_text(artifacts):
    chunks = []
    for folder, _subdirs, files in os.walk(artifacts):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                chunks.append(handle.read().decode("utf-8", "replace"))
    return "\n".join(chunks)


def test_planted_secrets_never_reach_the_evidence(tmp_path, key_file):
    artifacts = str(tmp_path / "artifacts")
    documents = [
        {"kind": "AgentPod", "id": "urn:srcos:agent-machine:pod:planted",
         "runtime": {"image": "ghcr.io/ggml-org/llama.cpp:server", "env": ["DB_PASSWORD=" + PASSWORD, "MODE=serve"],
                     "args": ["--api-key=" + API_KEY]},
         "tls": {"key": PEM_KEY}, "headers": {"Authorization": BEARER}, "api_key": API_KEY},
        {"kind": "RuntimeEvidence", "id": "urn:srcos:agent-machine:runtime:planted",
         "env": {"DB_PASSWORD": PASSWORD}, "note": "token in text: " + BEARER, "prompt": "tell me the secret plan"},
    ]
    rc, output, stderr = playbook(write_play(tmp_path), tmp_path=tmp_path, extra_vars={
        "documents": documents, "agent_machine_artifacts_dir": artifacts,
        "agent_machine_signing_key_file": key_file, "agent_machine_run_id": "planted"})
    assert rc == 0, stderr
    text = all_artifact_text(artifacts)
    assert "planted/localhost/agent-pod/planted.json" in json.dumps(output)
    pem_body_lines = [line for line in PEM_KEY.splitlines() if line and not line.startswith("-----")]
    for secret in [PASSWORD, API_KEY, BEARER, BEARER.split()[1], "tell me the secret plan"] + pem_body_lines:
        assert secret not in text, "secret leaked into the evidence"
    assert "PRIVATE KEY" not in text
    assert "[redacted hmac-sha256:" in text
    # nor into Ansible's own output
    for secret in (PASSWORD, API_KEY, BEARER.split()[1]):
        assert secret not in json.dumps(task_results(output)["Record each document"].get("results", [{}])[0].get("receipt", {}))


def test_probe_writes_through_the_pipeline_and_verifies(tmp_path):
    artifacts = str(tmp_path / "artifacts")
    root = capture.load("asahi-m2").materialize(str(tmp_path / "m2"))
    rc, output, stderr = playbook("playbooks/probe.yml", tmp_path=tmp_path, extra_vars={
        "agent_machine_artifacts_dir": artifacts, "agent_machine_throwaway_signing_key": True,
        "agent_machine_run_id": "probe-run", "probe_root": root}, env={"ANSIBLE_BECOME": "false"})
    assert rc == 0, stderr
    results = task_results(output)
    assert results["Say that the evidence is signed with a throwaway key"]["msg"].startswith("Receipts are signed with a THROWAWAY key")
    receipt = results["Record the AgentMachine document as a receipt"]["receipt"]
    assert receipt["path"].startswith("probe-run/localhost/agent-machine/")
    facts = results["Record the AgentMachine document as a receipt"]["ansible_facts"]["agent_machine_receipts"]
    assert [r["digest"] for r in facts] == [receipt["digest"]]
    with open(os.path.join(artifacts, receipt["path"]), encoding="utf-8") as handle:
        recorded = json.load(handle)
    assert recorded["document"]["profile"]["name"] == "m2-asahi-linux"
    verified = results["Verify the sealed run"]
    assert verified["ok"] is True and verified["checked"] == 1


def test_verify_playbook_names_a_tampered_file(tmp_path, key_file):
    artifacts = str(tmp_path / "artifacts")
    documents = [{"kind": "ModelReceipt", "id": "urn:srcos:agent-machine:model:m%d" % i, "sizeBytes": i} for i in range(3)]
    common = {"agent_machine_artifacts_dir": artifacts, "agent_machine_signing_key_file": key_file, "agent_machine_run_id": "tamper"}
    rc, _output, stderr = playbook(write_play(tmp_path), tmp_path=tmp_path, extra_vars=dict(common, documents=documents))
    assert rc == 0, stderr
    target = os.path.join(artifacts, "tamper", "localhost", "model-receipt", "m1.json")
    with open(target, "rb") as handle:
        data = handle.read()
    with open(target, "wb") as handle:
        handle.write(data.replace(b'"sizeBytes":1', b'"sizeBytes":9'))
    rc, output, _stderr = playbook("playbooks/verify.yml", tmp_path=tmp_path, extra_vars=common)
    assert rc != 0
    failure = task_results(output)["Verify signature, digests and chains"]
    assert failure["problems"] == [{"path": "localhost/model-receipt/m1.json", "code": "digest-mismatch",
                                    "detail": failure["problems"][0]["detail"]}]
    assert "localhost/model-receipt/m1.json: digest-mismatch" in failure["msg"]


def test_spool_endpoint_down_for_run_one_up_for_run_two(tmp_path, key_file):
    artifacts = str(tmp_path / "artifacts")
    port = free_port()
    common = {"agent_machine_artifacts_dir": artifacts, "agent_machine_signing_key_file": key_file,
              "agent_machine_evidence_endpoint": "http://127.0.0.1:%d/v1/evidence" % port}
    docs = [{"kind": "StorageReceipt", "id": "urn:srcos:agent-machine:storage:v%d" % i} for i in range(2)]

    rc, output, stderr = playbook(write_play(tmp_path), tmp_path=tmp_path, extra_vars=dict(common, documents=docs, agent_machine_run_id="run-1"))
    assert rc == 0, stderr
    sealed = task_results(output)["Seal the run (signed manifest of every receipt) and deliver the spool"]
    assert sealed["delivery"]["delivered"] == [] and sealed["delivery"]["remaining"] == 3  # 2 receipts + envelope
    assert any("stay spooled for the next run" in w for w in sealed.get("warnings", []))

    with EvidenceServer(port=port) as server:
        rc, output, stderr = playbook(write_play(tmp_path), tmp_path=tmp_path, extra_vars=dict(common, documents=docs, agent_machine_run_id="run-2"))
        assert rc == 0, stderr
        sealed = task_results(output)["Seal the run (signed manifest of every receipt) and deliver the spool"]
    assert sealed["delivery"]["remaining"] == 0
    assert len(server.received) == 6  # 2 receipts and 1 envelope per run
    assert all(len(bodies) == 1 for bodies in server.received.values())
    assert os.listdir(os.path.join(artifacts, "spool")) == []
