# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of provider_units: gate every provider on the controller, then run the module on the node.

With ``state: started`` a provider reaches the node only with an allowed
ActivationDecision and units matching the DeploymentReceipt it covers
(``plugin_utils/providers_gate.py``); the others are refused with
RuntimeEvidence and the task fails. Every RuntimeEvidence document the
node returns is validated against the contract here.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import require_pydantic
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import (
    ContractError, validate_document,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.documents import plain
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.providers_gate import GateError, gate_providers

MODULE = "sourceos.agent_machine.provider_units"
CONTROLLER_ONLY = ("decisions", "deployment_receipts")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        decisions, receipts = (plain(args.pop(key, None)) for key in CONTROLLER_ONLY)
        state = args.get("state") or "started"
        result.update(changed=False, refused=[], evidence=[], providers=[])
        try:
            require_pydantic()
            if state == "started":
                gated = gate_providers(plain(args.get("providers")), decisions, receipts)
                args["providers"] = gated["allowed"]
                result.update(refused=gated["refused"], evidence=gated["evidence"], plan_digests=gated["plan_digests"])
        except (AnsibleError, GateError) as exc:
            result.update(failed=True, msg=to_native(exc))
            return result
        if state != "started" or args["providers"] or not result["refused"]:
            node = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
            self._merge(result, node)
        if result["refused"]:
            refusals = "; ".join("%s refused (%s)" % (item["name"], ", ".join(reason["code"] for reason in item["reasons"]))
                                 for item in result["refused"])
            result["msg"] = refusals + (("; " + result["msg"]) if result.get("msg") else "")
            result["failed"] = True
        return result

    @staticmethod
    def _merge(result, node):
        evidence = result["evidence"]
        for key, value in node.items():
            if key not in ("evidence", "refused"):
                result[key] = value
        for index, document in enumerate(node.get("evidence") or []):
            try:
                validate_document("RuntimeEvidence", document, source="evidence[%d] from the node" % index)
            except ContractError as exc:
                result.update(failed=True, msg="the node returned RuntimeEvidence that breaks the contract: %s" % exc)
            evidence.append(document)
