"""policy_admission and external_document run by real ansible-playbook on the controller."""

import glob
import json
import os
import subprocess

from ansible_run import REPO_ROOT, adhoc, playbook, task_results

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import plan_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.external import sign_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import signing
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import document_digest

EXAMPLES_DIR = os.path.join(REPO_ROOT, "contracts", "examples")

SITE_RULE = """package agent_machine.admission

import rego.v1

deny contains reason("site-profile", "input.machine.profile.name", "this site runs agents on GPU nodes only") if {
    not input.machine.profile.name in data.site.profiles
}
"""

PLAYBOOK = """
- name: Policy actions
  hosts: localhost
  gather_facts: false
  vars:
    common: &common
      machine: "{{ machine }}"
      deployment_receipt: "{{ deployment_receipt }}"
      decided_at: "2026-03-02T09:33:30Z"
  tasks:
    - name: Admit the example pod
      sourceos.agent_machine.policy_admission:
        <<: *common
        pod: "{{ pod }}"
        provider: llama.cpp
      register: good

    - name: Admit a privileged pod
      sourceos.agent_machine.policy_admission:
        <<: *common
        pod: "{{ pod | combine({'policy': {'allowPrivileged': true}}, recursive=true) }}"

    - name: Admit with the site rule
      sourceos.agent_machine.policy_admission:
        <<: *common
        pod: "{{ pod }}"
        bundle_paths: [site.rego]
        bundle_data: {site: {profiles: [linux-gpu-node]}}

    - name: Admit with broken Rego
      sourceos.agent_machine.policy_admission:
        <<: *common
        pod: "{{ pod }}"
        bundle_paths: [broken.rego]

    - name: Admit with a malformed plan digest
      sourceos.agent_machine.policy_admission:
        pod: "{{ pod }}"
        machine: "{{ machine }}"
        plan_digest: sha256:abc
      ignore_errors: true

    - name: Decide the activation with the admission
      sourceos.agent_machine.activation_decision:
        pod: "{{ pod }}"
        policy: "{{ good.admission }}"
        grant: "{{ grant }}"
        storage_receipts: "{{ storage_receipts }}"
        deployment_receipt: "{{ deployment_receipt }}"
        machine: "{{ machine }}"
        decided_at: "2026-03-02T09:34:00Z"

    - name: Accept the signed grant
      sourceos.agent_machine.external_document:
        kind: AgentRegistryGrant
        envelope: grant.dsse.json
        digest: "{{ grant_digest }}"
        public_key: issuer.pub.pem

    - name: Accept the grant file by digest alone
      sourceos.agent_machine.external_document:
        kind: AgentRegistryGrant
        document: grant.yaml
        digest: "{{ grant_digest }}"

    - name: Refuse a tampered grant
      sourceos.agent_machine.external_document:
        kind: AgentRegistryGrant
        document: "{{ grant | combine({'grant': {'expiresAt': '2099-01-01T00:00:00Z'}}, recursive=true) }}"
        envelope: grant.dsse.json
        digest: "{{ grant_digest }}"
        public_key: issuer.pub.pem
      ignore_errors: true

    - name: Refuse a grant signed by another key
      sourceos.agent_machine.external_document:
        kind: AgentRegistryGrant
        envelope: other.dsse.json
        digest: "{{ grant_digest }}"
        public_key: issuer.pub.pem
      ignore_errors: true
"""


def example(name):
    with open(os.path.join(EXAMPLES_DIR, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def _write(path, text):
    path.write_text(text, encoding="utf-8")


def test_policy_actions_in_a_playbook(tmp_path):
    grant = example("agent-registry-grant")
    issuer, other = signing.generate_private_key(), signing.generate_private_key()
    _write(tmp_path / "site.rego", SITE_RULE)
    _write(tmp_path / "broken.rego", "package agent_machine.admission\n\ndeny contains x if {\n")
    _write(tmp_path / "issuer.pub.pem", signing.public_key_pem(issuer))
    _write(tmp_path / "grant.dsse.json", json.dumps(sign_document(grant, issuer)))
    _write(tmp_path / "other.dsse.json", json.dumps(sign_document(grant, other)))
    # YAML with unquoted timestamps: they stay the strings the digest was taken over.
    _write(tmp_path / "grant.yaml", "\n".join("%s: %s" % (key, json.dumps(value)) for key, value in grant.items())
           .replace('"2026-03-02T09:00:00Z"', "2026-03-02T09:00:00Z") + "\n")
    _write(tmp_path / "site.yml", PLAYBOOK)
    deployment = example("deployment-receipt")
    variables = {
        "pod": example("agent-pod"), "machine": example("agent-machine"), "deployment_receipt": deployment,
        "grant": grant, "grant_digest": document_digest(grant),
        "storage_receipts": [example("storage-receipt"), example("storage-receipt.cache-warm")],
    }
    rc, output, stderr = playbook(str(tmp_path / "site.yml"), extra_vars=variables, tmp_path=tmp_path)
    results = task_results(output)
    assert rc == 0, (stderr, json.dumps(results, indent=1)[:6000])

    good = results["Admit the example pod"]
    assert good["changed"] is False
    assert good["reasons"] == []
    admission = good["admission"]
    assert admission["decision"]["status"] == "allowed"
    assert admission["request"]["planDigest"] == plan_digest(deployment)
    assert admission["obligations"]["expiresAt"] == "2026-03-02T10:33:30Z"
    assert good["bundle"]["label"] == "sourceos.agent_machine/default"

    privileged = results["Admit a privileged pod"]
    assert privileged["admission"]["decision"]["status"] == "denied"
    assert [reason["code"] for reason in privileged["reasons"]] == ["privileged"]

    site = results["Admit with the site rule"]
    assert site["bundle"]["label"] == "sourceos.agent_machine/default+operator"
    assert [reason["code"] for reason in site["reasons"]] == ["site-profile"]

    # The engine's compile errors reach the reasons, not the playbook's output (which stays valid JSON).
    broken = results["Admit with broken Rego"]
    assert broken["admission"]["decision"]["status"] == "unknown"
    assert broken["reasons"][0]["code"] == "policy-error"
    assert broken["reasons"][0]["message"].startswith("broken.rego line 3: ")

    malformed = results["Admit with a malformed plan digest"]
    assert malformed["failed"] is True
    assert malformed["msg"].startswith("plan_digest: ")

    activation = results["Decide the activation with the admission"]
    assert activation["allowed"] is True, activation["reasons"]

    signed = results["Accept the signed grant"]
    assert signed["document"] == grant
    assert signed["signature"] == {"verified": True, "keyid": signing.key_id(issuer)}
    assert results["Accept the grant file by digest alone"]["document"] == grant

    tampered = results["Refuse a tampered grant"]
    assert tampered["failed"] is True
    assert [problem["code"] for problem in tampered["problems"]] == ["envelope-payload-mismatch", "digest-mismatch"]
    assert "digest: digest-mismatch: " in tampered["msg"]
    assert "document" not in tampered

    foreign = results["Refuse a grant signed by another key"]
    assert foreign["failed"] is True
    assert [problem["code"] for problem in foreign["problems"]] == ["signature-unknown-key"]
    assert foreign["msg"].startswith("AgentRegistryGrant not accepted:\nenvelope: signature-unknown-key: ")


def test_installed_collection_uses_its_own_default_bundle(tmp_path):
    dist, installed = tmp_path / "dist", tmp_path / "installed"
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(dist), REPO_ROOT],
                   check=True, capture_output=True, text=True)
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--force", "-p", str(installed),
                    glob.glob(str(dist / "*.tar.gz"))[0]], check=True, capture_output=True, text=True)
    bundle_dir = installed / "ansible_collections" / "sourceos" / "agent_machine" / "policies" / "default"
    assert (bundle_dir / "data.json").is_file()

    args = {"pod": example("agent-pod"), "machine": "urn:srcos:agent-machine:machine:m2-air",
            "plan_digest": "sha256:" + "0" * 64, "decided_at": "2026-03-02T09:33:30Z"}
    rc, result = adhoc("sourceos.agent_machine.policy_admission", json.dumps(args), collections_path=str(installed))
    assert rc == 0, result
    assert result["admission"]["decision"]["status"] == "allowed"
    assert result["bundle"]["modules"] == [
        "default/agent_machine/admission.rego", "default/agent_machine/config.rego",
        "default/agent_machine/deny.rego", "default/agent_machine/needs.rego"]

    # It read the installed copy: without it the default bundle is missing and the task says so.
    for path in bundle_dir.rglob("*.rego"):
        path.unlink()
    (bundle_dir / "data.json").unlink()
    for path in sorted(bundle_dir.rglob("*"), reverse=True):
        path.rmdir()
    bundle_dir.rmdir()
    rc, result = adhoc("sourceos.agent_machine.policy_admission", json.dumps(args), collections_path=str(installed))
    assert rc != 0
    assert result["msg"].startswith("replace_default: the collection's default policy bundle is missing (%s)" % bundle_dir)
