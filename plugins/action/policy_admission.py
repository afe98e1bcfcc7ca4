# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide a PolicyAdmission with the Rego policy bundle on the controller (see modules/policy_admission.py)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import require_pydantic
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import (
    ContractError, validate_document,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import plan_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.documents import plain
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.bundle import load_bundle
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.errors import PolicyInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.rego_admission import REQUEST_TYPES, admit

ARGUMENT_SPEC = {
    "pod": {"type": "dict", "required": True},
    "machine": {"type": "raw"},
    "request_type": {"type": "str", "default": "activation", "choices": list(REQUEST_TYPES)},
    "plan_digest": {"type": "str"},
    "deployment_receipt": {"type": "dict"},
    "provider": {"type": "raw"},
    "decided_at": {"type": "raw"},
    "bundle_paths": {"type": "list", "elements": "path", "default": []},
    "bundle_data": {"type": "dict"},
    "replace_default": {"type": "bool", "default": False},
    "ttl": {"type": "int"},
}
EXCLUSIVE = [("plan_digest", "deployment_receipt")]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, mutually_exclusive=EXCLUSIVE,
                                                  required_one_of=EXCLUSIVE)
        args = plain(args)
        if args["machine"] is None:
            args["machine"] = plain(((task_vars or {}).get("ansible_facts") or {}).get("agent_machine"))
        try:
            require_pydantic()
            if args["machine"] is None:
                raise PolicyInputError("machine", "not given, and the host has no agent_machine fact (run the probe first)")
            bundle = load_bundle([self._controller_path(path, index) for index, path in enumerate(args["bundle_paths"])],
                                 data=args["bundle_data"], replace_default=args["replace_default"])
            decided = admit(args["pod"], args["machine"], self._plan_digest(args), request_type=args["request_type"],
                            provider=args["provider"], decided_at=args["decided_at"], ttl=args["ttl"], bundle=bundle)
        except AnsibleError as exc:  # PolicyInputError and the contract errors name the option
            result.update(failed=True, msg=str(exc))
            return result
        result.update(changed=False, admission=decided["admission"], reasons=decided["reasons"], bundle=decided["bundle"])
        return result

    def _controller_path(self, path, index):
        if os.path.isabs(path):
            return path
        try:
            return self._find_needle("files", path)
        except AnsibleError:
            raise PolicyInputError("bundle_paths[%d]" % index, "%s not found on the controller" % path) from None

    @staticmethod
    def _plan_digest(args):
        if args["plan_digest"] is not None:
            return args["plan_digest"]
        receipt = args["deployment_receipt"]
        try:
            validate_document("DeploymentReceipt", receipt, source="deployment_receipt")
        except ContractError as exc:
            raise PolicyInputError("deployment_receipt", "is not a valid DeploymentReceipt: %s" % "; ".join(
                "%s: %s" % (path, message) for path, message in exc.problems[:10])) from None
        return plan_digest(receipt)
