# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record one document as a receipt on the controller (see modules/receipt.py)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import settings
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.signing import hmac_key_from
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.store import StoreError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.writer import ReceiptError, write_receipt

FACT = "agent_machine_receipts"
ARGUMENT_SPEC = dict(settings.EVIDENCE_ARGUMENT_SPEC, **{
    "document": {"type": "dict", "required": True},
    "kind": {"type": "str"},
    "host": {"type": "str"},
    "spool": {"type": "bool"},
})


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = args["host"] or task_vars.get("inventory_hostname")
        spool = args["spool"] if args["spool"] is not None else bool(settings.setting("endpoint", args, task_vars))
        try:
            recorded = write_receipt(
                settings.artifacts_dir(args, task_vars), settings.run_id(args, task_vars), host, args["document"],
                hmac_key_from(settings.private_key(args, task_vars)), kind=args["kind"], spool=spool,
                check_mode=self._task.check_mode)
        except (ReceiptError, StoreError) as exc:
            raise AnsibleError(str(exc))
        known = [r for r in task_vars.get(FACT) or [] if r.get("digest") != recorded["digest"]]
        result.update(changed=False, receipt=recorded, ansible_facts={FACT: known + [recorded]})
        return result
