# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seal a run's receipts and deliver the spool (see modules/seal_receipts.py)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import settings
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import sha256_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.delivery import deliver_spool
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.manifest import seal_run
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.store import StoreError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.writer import ReceiptError, spool_receipt

ARGUMENT_SPEC = dict(settings.EVIDENCE_ARGUMENT_SPEC, **{
    "endpoint": {"type": "str"},
    "endpoint_headers": {"type": "dict", "no_log": True, "default": {}},
    "validate_certs": {"type": "bool", "default": True},
    "timeout": {"type": "int", "default": 10},
    "attempts": {"type": "int", "default": 3},
})


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        artifacts = settings.artifacts_dir(args, task_vars)
        endpoint = settings.setting("endpoint", args, task_vars)
        try:
            sealed = seal_run(artifacts, settings.run_id(args, task_vars), settings.private_key(args, task_vars),
                              check_mode=self._task.check_mode)
        except (ReceiptError, StoreError) as exc:
            raise AnsibleError(str(exc))
        envelope_bytes = sealed.pop("envelopeBytes")
        result.update(changed=False, sealed=sealed)
        if endpoint and not self._task.check_mode:
            spool_receipt(artifacts, sha256_digest(envelope_bytes), envelope_bytes)
            delivery = deliver_spool(artifacts, endpoint, headers=args["endpoint_headers"], timeout=args["timeout"],
                                     attempts=args["attempts"], validate_certs=args["validate_certs"])
            result["delivery"] = delivery
            if delivery["remaining"]:
                result.setdefault("warnings", []).append(
                    "%d receipt(s) could not be delivered to %s and stay spooled for the next run: %s"
                    % (delivery["remaining"], endpoint, "; ".join(delivery["errors"][:3])))
        return result
