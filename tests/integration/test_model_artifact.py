"""model_artifact, the models role and playbooks/models.yml run by real Ansible on localhost into temp dirs."""

import json
import os
import subprocess
import sys

import pytest

from ansible_run import REPO_ROOT, adhoc, ansible_env, playbook, task_results
from support.model_server import ModelServer
from support.tiny_gguf import write_tiny_gguf
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document

MODULE = "sourceos.agent_machine.model_artifact"
MODELS_PLAYBOOK = os.path.join(REPO_ROOT, "playbooks", "models.yml")
TOKEN = "hf_integrationToken4f9a8b7c6d5e"


class Model:
    def __init__(self, folder, name, seed):
        self.name = name
        self.path = os.path.join(folder, name)
        self.digest = "sha256:" + write_tiny_gguf(self.path, seed=seed)
        self.size = os.path.getsize(self.path)


@pytest.fixture(name="model")
def served_folder_model(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    return Model(str(folder), "tiny.gguf", seed=0)


@pytest.fixture(name="server")
def model_server(model):
    with ModelServer(os.path.dirname(model.path)) as server:
        yield server


def module_args(model, server, models_root, **extra):
    args = {"ref": "test://models/tiny.gguf", "digest": model.digest, "size_bytes": model.size, "format": "gguf",
            "url": server.url(model.name), "models_root": models_root, "retries": 0, "retry_delay": 0,
            "machine_id": "urn:srcos:agent-machine:machine:integration"}
    args.update(extra)
    return json.dumps(args)


class TestModule:
    def test_first_run_changes_second_run_does_not(self, model, server, tmp_path):
        models_root = str(tmp_path / "models")
        rc, first = adhoc(MODULE, module_args(model, server, models_root))
        assert rc == 0, first
        assert first["changed"] is True and first["outcome"] == "downloaded"
        validate_document("ModelReceipt", first["model_receipt"], source="integration")
        assert first["ansible_facts"]["agent_machine_models"]["models"][0]["digest"] == model.digest
        with open(os.path.join(models_root, "tiny.gguf"), "rb") as handle, open(model.path, "rb") as served:
            assert handle.read() == served.read()

        rc, second = adhoc(MODULE, module_args(model, server, models_root))
        assert rc == 0, second
        assert second["changed"] is False and second["outcome"] == "already-present"
        assert second["hashed"] is False
        assert len(server.requests) == 1

    def test_a_corrupted_artifact_fails_and_nothing_reaches_the_final_path(self, model, server, tmp_path):
        models_root = str(tmp_path / "models")
        server.corrupt = True
        rc, result = adhoc(MODULE, module_args(model, server, models_root))
        assert rc != 0 and result["failed"] is True
        assert "digest mismatch" in result["msg"]
        assert not os.path.exists(os.path.join(models_root, "tiny.gguf"))
        assert result["model_receipt"]["outcome"] == "quarantined"
        validate_document("ModelReceipt", result["model_receipt"], source="integration")
        assert os.path.exists(result["quarantined_path"])

    def test_an_interrupted_download_resumes_on_the_next_run(self, model, server, tmp_path):
        models_root = str(tmp_path / "models")
        server.drop_after = 200000
        rc, first = adhoc(MODULE, module_args(model, server, models_root))
        assert rc != 0 and "closed after 200000" in first["msg"]
        rc, second = adhoc(MODULE, module_args(model, server, models_root))
        assert rc == 0, second
        assert second["outcome"] == "resumed" and second["resumed_from"] == 200000 and second["verified"] is True
        assert server.requests[-1]["range"] == "bytes=200000-"

    def test_the_auth_header_is_masked_in_ansible_output(self, model, server, tmp_path):
        server.auth = "Bearer " + TOKEN
        models_root = str(tmp_path / "models")
        rc, result = adhoc(MODULE, module_args(model, server, models_root, auth_header="Bearer " + TOKEN))
        assert rc == 0, result
        assert TOKEN not in json.dumps(result)
        assert server.requests[-1]["authorization"] == "matched"

    def test_check_mode_touches_nothing(self, model, server, tmp_path):
        models_root = str(tmp_path / "models")
        rc, result = adhoc(MODULE, module_args(model, server, models_root), extra=["--check"])
        assert rc == 0, result
        assert result["changed"] is True and result["outcome"] == "planned"
        assert not os.path.exists(models_root) and server.requests == []

    def test_bad_input_names_the_option(self, model, server, tmp_path):
        rc, result = adhoc(MODULE, module_args(model, server, str(tmp_path / "models"), digest="sha256:nope"))
        assert rc != 0 and result["msg"].startswith("digest: ")
        assert not os.path.exists(str(tmp_path / "models"))


def run_models_playbook(tmp_path, artifacts, check=False, **extra_vars):
    variables = {
        "models_root": str(tmp_path / "models"),
        "agent_machine_artifacts_dir": str(tmp_path / "artifacts"),
        "agent_machine_run_id": extra_vars.pop("run_id", "models-run"),
        "agent_machine_signing_key_file": extra_vars.pop("key_file"),
        "agent_machine_model_artifacts": artifacts,
    }
    variables.update(extra_vars)
    return playbook(MODELS_PLAYBOOK, extra_vars=variables, tmp_path=tmp_path, check=check)


def changed_tasks(output):
    return [task["task"]["name"] for play in output["plays"] for task in play["tasks"]
            if task["hosts"].get("localhost", {}).get("changed")]


def receipts_written(artifacts_dir, run_id):
    folder = os.path.join(artifacts_dir, run_id, "localhost", "model-receipt")
    documents = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            documents.append(json.load(handle)["document"])
    return documents


@pytest.fixture(name="key_file")
def signing_key_file(tmp_path):
    path = tmp_path / "signing.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(path)], check=True)
    return str(path)


class TestPlaybook:
    def test_url_and_controller_artifacts_with_receipts_then_changed_0(self, model, server, tmp_path, key_file):
        controller_model = Model(str(tmp_path), "from-controller.gguf", seed=3)
        server.auth = "Bearer " + TOKEN
        artifacts = [
            {"ref": "test://models/tiny.gguf", "digest": model.digest, "size_bytes": model.size, "format": "gguf",
             "url": server.url(model.name), "auth_header": "Bearer " + TOKEN},
            {"ref": "test://controller/from-controller.gguf", "digest": controller_model.digest, "format": "gguf",
             "controller_path": controller_model.path},
        ]
        rc, output, stderr = run_models_playbook(tmp_path, artifacts, key_file=key_file, run_id="first")
        assert rc == 0, stderr + json.dumps(output)[-3000:]
        receipts = receipts_written(str(tmp_path / "artifacts"), "first")
        assert sorted(r["outcome"] for r in receipts) == ["copied", "downloaded"]
        for receipt in receipts:
            validate_document("ModelReceipt", receipt, source="integration")
            assert receipt["verified"] is True
        assert {r["source"]["kind"] for r in receipts} == {"url", "controller"}
        residency = task_results(output)["Materialize the artifact from-controller.gguf"]["residency"]
        assert sorted(entry["ref"] for entry in residency["models"]) == sorted(a["ref"] for a in artifacts)

        rc, output, stderr = run_models_playbook(tmp_path, artifacts, key_file=key_file, run_id="second")
        assert rc == 0, stderr
        assert changed_tasks(output) == []
        assert sorted(r["outcome"] for r in receipts_written(str(tmp_path / "artifacts"), "second")) == \
            ["already-present", "already-present"]
        everything = json.dumps(output) + stderr
        for folder, _subdirs, names in os.walk(str(tmp_path / "artifacts")):
            for name in names:
                with open(os.path.join(folder, name), "rb") as handle:
                    everything += handle.read().decode("latin-1")
        assert TOKEN not in everything

    def test_the_auth_header_stays_out_of_verbose_output(self, model, server, tmp_path, key_file):
        server.auth = "Bearer " + TOKEN
        variables = {"models_root": str(tmp_path / "models"), "agent_machine_artifacts_dir": str(tmp_path / "artifacts"),
                     "agent_machine_signing_key_file": key_file,
                     "agent_machine_model_artifacts": [{"ref": "test://models/tiny.gguf", "digest": model.digest,
                                                        "url": server.url(model.name), "auth_header": "Bearer " + TOKEN}]}
        inventory = tmp_path / "inventory.yml"
        inventory.write_text("agent_machines:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                             "      ansible_python_interpreter: %s\n" % sys.executable)
        # A file, as a vault would be: the command line itself is echoed at -vvvv.
        variables_file = tmp_path / "vars.json"
        variables_file.write_text(json.dumps(variables))
        env = ansible_env()
        env["ANSIBLE_STDOUT_CALLBACK"] = "default"
        proc = subprocess.run(["ansible-playbook", "-vvvv", "-i", str(inventory), MODELS_PLAYBOOK, "-e", "@%s" % variables_file],
                              env=env, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert server.requests[-1]["authorization"] == "matched"
        assert TOKEN not in proc.stdout + proc.stderr

    def test_a_digest_mismatch_records_the_quarantined_receipt_and_fails(self, model, server, tmp_path, key_file):
        server.corrupt = True
        artifacts = [{"ref": "test://models/tiny.gguf", "digest": model.digest, "url": server.url(model.name)}]
        rc, output, _stderr = run_models_playbook(tmp_path, artifacts, key_file=key_file, run_id="corrupt")
        assert rc != 0
        assert "digest mismatch" in task_results(output)["Stop on this artifact"]["msg"]
        (receipt,) = receipts_written(str(tmp_path / "artifacts"), "corrupt")
        assert receipt["outcome"] == "quarantined" and receipt["verified"] is False
        assert not os.path.exists(str(tmp_path / "models" / "tiny.gguf"))

    def test_unverified_artifacts_need_the_policy_switch(self, model, server, tmp_path, key_file):
        artifacts = [{"ref": "test://models/tiny.gguf", "url": server.url(model.name), "allow_unverified": True}]
        rc, output, _stderr = run_models_playbook(tmp_path, artifacts, key_file=key_file)
        assert rc != 0
        message = json.dumps(task_results(output)["Check every artifact before touching a node"])
        assert "models_artifacts[0] (test://models/tiny.gguf)" in message and "models_allow_unverified" in message
        assert server.requests == [] and not os.path.exists(str(tmp_path / "models"))

        rc, _output, stderr = run_models_playbook(tmp_path, artifacts, key_file=key_file, models_allow_unverified=True)
        assert rc == 0, stderr
        (receipt,) = receipts_written(str(tmp_path / "artifacts"), "models-run")
        assert receipt["verified"] is False and receipt["observedDigest"] == model.digest

    def test_check_mode_of_the_playbook_touches_no_node_file(self, model, server, tmp_path, key_file):
        artifacts = [{"ref": "test://models/tiny.gguf", "digest": model.digest, "url": server.url(model.name)},
                     {"ref": "test://controller/c.gguf", "digest": model.digest, "controller_path": model.path}]
        rc, output, stderr = run_models_playbook(tmp_path, artifacts, key_file=key_file, check=True)
        assert rc == 0, stderr + json.dumps(output)[-2000:]
        assert not os.path.exists(str(tmp_path / "models"))
        assert server.requests == []
