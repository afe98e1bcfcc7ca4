"""The receipt writer: canonical bytes, chains, idempotence, redaction, check mode."""

import json
import os

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import canonical_json, sha256_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.store import StoreError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.writer import ReceiptError, read_chain, write_receipt

KEY = b"k" * 32


def doc(name, **extra):
    value = {"specVersion": "0.1.0", "kind": "AgentMachine", "id": "urn:srcos:agent-machine:machine:" + name}
    value.update(extra)
    return value


def test_receipt_file_is_canonical_json_and_its_digest(tmp_path):
    recorded = write_receipt(str(tmp_path), "run-1", "node-a", doc("node-a", memory={"totalBytes": 1}), KEY, now="2026-11-22T05:00:00Z")
    path = tmp_path / recorded["path"]
    assert recorded["path"] == "run-1/node-a/agent-machine/node-a.json"
    data = path.read_bytes()
    assert data == canonical_json(json.loads(data))
    assert recorded["digest"] == sha256_digest(data)
    receipt = json.loads(data)["receipt"]
    assert receipt["sequence"] == 1 and receipt["previousDigest"] is None
    assert receipt["documentId"] == "urn:srcos:agent-machine:machine:node-a"


def test_each_receipt_carries_the_previous_digest(tmp_path):
    first = write_receipt(str(tmp_path), "run-1", "node-a", doc("node-a"), KEY)
    second = write_receipt(str(tmp_path), "run-1", "node-a", dict(doc("x"), kind="StorageReceipt"), KEY)
    third = write_receipt(str(tmp_path), "run-1", "node-a", dict(doc("y"), kind="StorageReceipt"), KEY)
    assert second["previousDigest"] == first["digest"]
    assert third["previousDigest"] == second["digest"]
    chain = read_chain(str(tmp_path / "run-1" / "node-a"))
    assert [entry.sequence for entry in chain] == [1, 2, 3]
    other_host = write_receipt(str(tmp_path), "run-1", "node-b", doc("node-b"), KEY)
    assert other_host["sequence"] == 1 and other_host["previousDigest"] is None


def test_same_document_twice_in_a_run_is_recorded_once(tmp_path):
    first = write_receipt(str(tmp_path), "run-1", "node-a", doc("node-a"), KEY)
    again = write_receipt(str(tmp_path), "run-1", "node-a", doc("node-a"), KEY)
    assert again["written"] is False and again["digest"] == first["digest"]
    changed = write_receipt(str(tmp_path), "run-1", "node-a", doc("node-a", extra=1), KEY)
    assert changed["sequence"] == 2
    assert changed["path"] == "run-1/node-a/agent-machine/node-a.2.json"


def test_check_mode_writes_nothing(tmp_path):
    recorded = write_receipt(str(tmp_path), "run-1", "node-a", doc("node-a"), KEY, check_mode=True)
    assert recorded["written"] is False
    assert os.listdir(tmp_path) == []  # not even the run folder or a lock file


def test_secrets_are_redacted_before_writing(tmp_path):
    document = doc("node-a", runtime={"env": {"DB_PASSWORD": "correct horse battery staple"}})
    recorded = write_receipt(str(tmp_path), "run-1", "node-a", document, KEY)
    text = (tmp_path / recorded["path"]).read_text()
    assert "correct horse battery staple" not in text
    assert recorded["redactions"]
    assert document["runtime"]["env"]["DB_PASSWORD"] == "correct horse battery staple"  # input untouched


def test_spooled_once_by_digest(tmp_path):
    recorded = write_receipt(str(tmp_path), "run-1", "node-a", doc("node-a"), KEY, spool=True)
    spooled = os.listdir(tmp_path / "spool")
    assert spooled == [recorded["digest"].split(":")[1] + ".json"]
    assert (tmp_path / "spool" / spooled[0]).read_bytes() == (tmp_path / recorded["path"]).read_bytes()


@pytest.mark.parametrize("run_id", ["", "../escape", "a/b", ".hidden"])
def test_bad_run_id_is_refused(tmp_path, run_id):
    with pytest.raises(StoreError, match="run_id"):
        write_receipt(str(tmp_path), run_id, "node-a", doc("node-a"), KEY)


def test_document_without_kind_is_refused(tmp_path):
    with pytest.raises(ReceiptError, match="kind"):
        write_receipt(str(tmp_path), "run-1", "node-a", {"id": "x"}, KEY)


def test_host_names_cannot_escape_the_run_folder(tmp_path):
    recorded = write_receipt(str(tmp_path), "run-1", "../../etc", doc("node-a"), KEY)
    assert recorded["path"].startswith("run-1/etc/")
