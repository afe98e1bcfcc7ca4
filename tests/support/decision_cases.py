"""Known-good activation inputs built from contracts/examples, shared by the decision tests."""

import copy
import json
import os

EXAMPLES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "contracts", "examples")
DECIDED_AT = "2026-03-02T09:34:00Z"


def load(name):
    with open(os.path.join(EXAMPLES_DIR, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


_BASE = {
    "pod": load("agent-pod"),
    "policy": load("policy-admission"),
    "grant": load("agent-registry-grant"),
    "storage_receipts": [load("storage-receipt"), load("storage-receipt.cache-warm")],
    "deployment_receipt": load("deployment-receipt"),
    "machine": load("agent-machine"),
    "decided_at": DECIDED_AT,
    "expected": None,
}


def baseline():
    """Fresh deep copies of the all-good inputs (keyword arguments of evaluate_activation)."""
    return copy.deepcopy(_BASE)
