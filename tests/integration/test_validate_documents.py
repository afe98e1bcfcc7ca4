"""validate_documents run by real Ansible: controller only, every problem named by its path."""

import json
import os

from ansible_run import REPO_ROOT, adhoc
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import document_digest

MODULE = "sourceos.agent_machine.validate_documents"
EXAMPLES_DIR = os.path.join(REPO_ROOT, "contracts", "examples")


def example(name):
    with open(os.path.join(EXAMPLES_DIR, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def run(**args):
    return adhoc(MODULE, json.dumps(args))


def test_valid_documents_pass_with_their_digests():
    pod, admission = example("agent-pod"), example("policy-admission")
    rc, result = run(documents=[pod, admission])
    assert rc == 0, result
    assert result["changed"] is False
    assert result["validated"] == [
        {"kind": "AgentPod", "id": pod["id"], "digest": document_digest(pod)},
        {"kind": "PolicyAdmission", "id": admission["id"], "digest": document_digest(admission)},
    ]


def test_every_example_file_passes():
    paths = sorted(os.path.join(EXAMPLES_DIR, f) for f in os.listdir(EXAMPLES_DIR) if f.endswith(".json"))
    rc, result = run(paths=paths)
    assert rc == 0, result
    assert len(result["validated"]) == len(paths)


def test_invalid_document_fails_naming_the_path():
    pod = example("agent-pod")
    pod["runtime"]["imageReferencePolicy"] = "latest"
    del pod["workload"]["workroomRef"]
    rc, result = run(documents=[example("cache-tier"), pod])
    assert rc != 0
    assert result["failed"] is True
    assert result["msg"].splitlines() == [
        "AgentPod documents[1]: $.workload.workroomRef: field required",
        "AgentPod documents[1]: $.runtime.imageReferencePolicy: "
        "Input should be 'tag-allowed-bootstrap', 'digest-required' or 'digest-pinned'",
    ]
    assert [p["path"] for p in result["problems"]] == ["$.workload.workroomRef", "$.runtime.imageReferencePolicy"]
    assert [v["kind"] for v in result["validated"]] == ["CacheTier"]


def test_kind_option_overrides_the_documents_kind():
    rc, result = run(documents=[example("cache-tier")], kind="agent-pod")
    assert rc != 0
    assert "AgentPod documents[0]: $.kind: Input should be 'AgentPod'" in result["msg"].splitlines()


def test_unknown_kind_option_is_refused():
    rc, result = run(documents=[example("cache-tier")], kind="Pod")
    assert rc != 0
    assert result["msg"].startswith("kind: unknown kind 'Pod'; expected one of ActivationDecision, ")


def test_missing_file_fails_naming_paths_index(tmp_path):
    good = os.path.join(EXAMPLES_DIR, "agent-pod.json")
    missing = str(tmp_path / "absent.yaml")
    rc, result = run(paths=[missing, good])
    assert rc != 0
    assert result["msg"] == "paths[0]: %s not found on the controller" % missing
    assert result["problems"][0]["source"] == "paths[0]"
    assert [v["kind"] for v in result["validated"]] == ["AgentPod"]


def test_yaml_stream_problems_name_the_file_and_document(tmp_path):
    bad = example("model-receipt")
    bad["digest"] = "sha256:abc"
    path = tmp_path / "receipts.yaml"
    path.write_text(json.dumps(example("model-receipt")) + "\n---\n" + json.dumps(bad) + "\n", encoding="utf-8")
    rc, result = run(paths=[str(path)])
    assert rc != 0
    assert result["msg"] == ("ModelReceipt %s[1]: $.digest: String should be a sha256 digest "
                             "(sha256:<64 lowercase hex digits>)" % path)


def test_neither_documents_nor_paths_is_an_error():
    rc, result = run(kind="agent-pod")
    assert rc != 0
    assert "one of the following is required: documents, paths" in result["msg"]


def test_runs_on_the_controller_for_an_unreachable_host():
    """The host is never contacted: an address nobody answers at still validates."""
    rc, result = adhoc(MODULE, json.dumps({"documents": [example("cache-tier")]}),
                       extra=["-e", "ansible_host=192.0.2.1", "-e", "ansible_connection=ssh", "-T", "5"])
    assert rc == 0, result
    assert result["validated"][0]["kind"] == "CacheTier"
