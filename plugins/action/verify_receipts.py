# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify a sealed run (see modules/verify_receipts.py)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import settings, signing
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.store import StoreError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.verify import verify_run

ARGUMENT_SPEC = dict(settings.EVIDENCE_ARGUMENT_SPEC, **{
    "public_key": {"type": "str"},
    "public_key_file": {"type": "path"},
    "fail_on_problems": {"type": "bool", "default": True},
})


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, mutually_exclusive=[("public_key", "public_key_file")])
        try:
            report = verify_run(settings.artifacts_dir(args, task_vars), settings.run_id(args, task_vars), [self._public_key(args, task_vars)])
        except StoreError as exc:
            raise AnsibleError(str(exc))
        result.update(changed=False, **report)
        if report["problems"] and args["fail_on_problems"]:
            result["failed"] = True
            result["msg"] = "receipt verification failed:\n" + "\n".join(
                "%s: %s: %s" % (p["path"], p["code"], p["detail"]) for p in report["problems"])
        return result

    @staticmethod
    def _public_key(args, task_vars):
        if args["public_key"]:
            return signing.load_public_key(args["public_key"])
        if args["public_key_file"]:
            if not os.path.isfile(args["public_key_file"]):
                raise AnsibleError("public_key_file: %s does not exist" % args["public_key_file"])
            with open(args["public_key_file"], encoding="utf-8") as handle:
                return signing.load_public_key(handle.read())
        return settings.private_key(args, task_vars).public_key()
