"""Shared inputs of the policy tests: the contract examples, and a way to write operator bundles."""

import os

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import plan_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.rego_admission import admit

from support.decision_cases import DECIDED_AT, baseline, load

ADMITTED_AT = "2026-03-02T09:33:30Z"  # before the activation decision time DECIDED_AT
PACKAGE = "package agent_machine.admission\n\nimport rego.v1\n\n"

__all__ = ["ADMITTED_AT", "DECIDED_AT", "PACKAGE", "admit_args", "admitted", "baseline", "load", "write"]


def admit_args(**changes):
    """admit() keyword arguments for the example pod on the example machine, with ``changes`` applied."""
    case = baseline()
    args = {"pod": case["pod"], "machine": case["machine"], "plan_digest": plan_digest(case["deployment_receipt"]),
            "decided_at": ADMITTED_AT}
    args.update(changes)
    return args


def admitted(**changes):
    return admit(**admit_args(**changes))


def write(path, text):
    """Write ``text`` at ``path`` (a pathlib path), creating its directories; returns the path as str."""
    os.makedirs(str(path.parent), exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)
