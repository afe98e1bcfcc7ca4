# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide on the controller whether a pod may start on a machine (see modules/activation_decision.py)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import require_pydantic
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import evaluate_activation
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.documents import plain

ARGUMENT_SPEC = {
    "pod": {"type": "dict", "required": True},
    "policy": {"type": "dict"},
    "grant": {"type": "dict"},
    "storage_receipts": {"type": "list", "elements": "dict"},
    "deployment_receipt": {"type": "dict"},
    "machine": {"type": "dict"},
    "decided_at": {"type": "str"},
    "plan_digest": {"type": "str"},
    "artifact_digests": {"type": "raw"},
    "fail_when_closed": {"type": "bool", "default": False},
}


def _facts(task_vars):
    return task_vars.get("ansible_facts") or {}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            require_pydantic()
        except AnsibleError as exc:
            result.update(failed=True, msg=to_native(exc))
            return result
        machine = args["machine"] if args["machine"] is not None else _facts(task_vars).get("agent_machine")
        receipts = args["storage_receipts"]
        if receipts is None:
            receipts = (_facts(task_vars).get("agent_machine_volumes") or {}).get("receipts") or []
        given = (("planDigest", args["plan_digest"]), ("artifactDigests", args["artifact_digests"]))
        expected = {key: value for key, value in given if value is not None}
        decision = evaluate_activation(
            plain(args["pod"]), plain(args["policy"]), plain(args["grant"]), plain(receipts),
            plain(args["deployment_receipt"]), plain(machine), decided_at=args["decided_at"],
            expected=plain(expected) or None)
        verdict = decision["decision"]
        allowed = verdict["status"] == "allowed"
        result.update(changed=False, decision=decision, allowed=allowed,
                      reasons=[reason["code"] for reason in verdict["failureReasons"]],
                      required_before_activation=verdict["requiredBeforeActivation"])
        if not allowed and args["fail_when_closed"]:
            result.update(failed=True, msg="activation of %s is fail-closed: %s" % (
                plain(args["pod"]).get("id"), ", ".join(result["reasons"])))
        return result
