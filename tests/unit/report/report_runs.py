"""Runs for the report tests: receipts written and sealed by the collection's own evidence code."""

import copy
import json
import os

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import signing
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.manifest import seal_run
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.writer import write_receipt

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "contracts", "examples")
RUN = "run-1"
SEALED_AT = "2026-03-02T10:00:00Z"


def example(name):
    """A copy of contracts/examples/<name>.json."""
    with open(os.path.join(EXAMPLES_DIR, name + ".json"), encoding="utf-8") as handle:
        return copy.deepcopy(json.load(handle))


def fleet_documents():
    """(host, document) pairs of a small fleet: an Asahi node and a GPU node, and decisions recorded on the controller."""
    gpu = example("agent-machine")
    gpu.update(id="urn:srcos:agent-machine:machine:gpu-a100-01")
    gpu["host"]["arch"] = "x86_64"
    gpu["profile"]["name"] = "linux-gpu-node"
    gpu["accelerators"]["types"].update(cuda=True, vulkan=False)
    gpu["accelerators"]["devices"] = [{"index": 0, "type": "cuda", "vendor": "nvidia", "name": "NVIDIA A100-SXM4-40GB",
                                       "memoryBytes": 42949672960, "unifiedMemory": False, "computeCapability": "8.0",
                                       "driver": "nvidia", "mig": {"mode": "enabled", "instances": [{}, {}]}}]
    gpu["accelerators"]["nvidia"] = {"driverVersion": "550.54.15", "cudaDriverVersion": "12.4"}
    return [
        ("m2-air", example("agent-machine")),
        ("gpu-a100-01", gpu),
        ("m2-air", example("storage-receipt")),
        ("m2-air", example("storage-receipt.cache-warm")),
        ("m2-air", example("model-receipt")),
        ("localhost", example("placement-decision")),
        ("localhost", example("placement-decision.unplaceable")),
        ("m2-air", example("deployment-receipt")),
        ("localhost", example("activation-decision")),
        ("localhost", example("activation-decision.fail-closed")),
        ("m2-air", example("runtime-evidence")),
        ("m2-air", example("runtime-evidence.rollback")),
    ]


class RunBuilder:
    """Writes receipts into a run under ``artifacts`` and seals it with ``key``."""

    def __init__(self, artifacts, run_id=RUN):
        self.artifacts = artifacts
        self.run_id = run_id
        self.key = signing.generate_private_key()
        self._hmac_key = signing.hmac_key_from(self.key)

    @property
    def run_dir(self):
        return os.path.join(self.artifacts, self.run_id)

    def record(self, host, document):
        return write_receipt(self.artifacts, self.run_id, host, document, self._hmac_key)

    def record_all(self, pairs):
        for host, document in pairs:
            self.record(host, document)
        return self

    def seal(self):
        seal_run(self.artifacts, self.run_id, self.key, now=SEALED_AT)
        return self
