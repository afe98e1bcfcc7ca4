"""Spool and delivery against a real HTTP server on loopback."""

import os

from support.evidence_server import EvidenceServer, free_port

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.delivery import deliver_spool, spooled_files
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.writer import write_receipt

KEY = b"k" * 32


def write_run(root, run_id, count):
    return [write_receipt(str(root), run_id, "node-a", {"kind": "AgentMachine", "id": "urn:srcos:agent-machine:x:%s-%d" % (run_id, i)},
                          KEY, spool=True)["digest"] for i in range(count)]


def no_sleep(_seconds):
    return None


def test_endpoint_down_then_up_delivers_every_receipt_exactly_once(tmp_path):
    port = free_port()
    first = write_run(tmp_path, "run-1", 3)
    down = deliver_spool(str(tmp_path), "http://127.0.0.1:%d/v1/evidence" % port, attempts=2, sleep=no_sleep)
    assert down["delivered"] == [] and down["remaining"] == 3
    assert any("unreachable" in error for error in down["errors"])

    second = write_run(tmp_path, "run-2", 2)
    with EvidenceServer(port=port) as server:
        up = deliver_spool(str(tmp_path), server.url, sleep=no_sleep)
        again = deliver_spool(str(tmp_path), server.url, sleep=no_sleep)
    assert sorted(up["delivered"]) == sorted(first + second)
    assert up["remaining"] == 0 and spooled_files(str(tmp_path)) == []
    assert again["delivered"] == []
    assert sorted(server.received) == sorted(first + second)
    assert all(len(bodies) == 1 for bodies in server.received.values())
    assert all(h["Content-Type"] == "application/json" for h in server.headers_seen)


def test_transient_failures_are_retried(tmp_path):
    digests = write_run(tmp_path, "run-1", 2)
    with EvidenceServer(fail_first=2) as server:
        result = deliver_spool(str(tmp_path), server.url, attempts=3, sleep=no_sleep)
    assert sorted(result["delivered"]) == sorted(digests)
    assert server.requests == 4


def test_a_receipt_the_server_already_has_leaves_the_spool(tmp_path):
    digests = write_run(tmp_path, "run-1", 1)
    with EvidenceServer() as server:
        server.received[digests[0]] = [b"earlier delivery whose answer was lost"]
        result = deliver_spool(str(tmp_path), server.url, sleep=no_sleep)
    assert result["delivered"] == digests and result["remaining"] == 0


def test_a_spool_file_whose_content_changed_is_left_alone(tmp_path):
    digests = write_run(tmp_path, "run-1", 1)
    path = os.path.join(str(tmp_path), "spool", digests[0].split(":")[1] + ".json")
    with open(path, "ab") as handle:
        handle.write(b" ")
    with EvidenceServer() as server:
        result = deliver_spool(str(tmp_path), server.url, sleep=no_sleep)
    assert result["delivered"] == [] and result["remaining"] == 1
    assert server.received == {}
