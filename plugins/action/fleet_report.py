# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render a run's fleet report on the controller (see modules/fleet_report.py)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import settings, signing, store
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.build import HTML_NAME, MARKDOWN_NAME, build_fleet_report
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.collect import ReportError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.files import write_report_files

REPORT_FOLDER = "report"
ARGUMENT_SPEC = dict(settings.EVIDENCE_ARGUMENT_SPEC, **{
    "dest": {"type": "path"},
    "public_key": {"type": "str"},
    "public_key_file": {"type": "path"},
})


def public_keys(args, task_vars):
    """The keys the seal must verify with: the given public key, else the signing key's public half, else none."""
    if args["public_key"]:
        return [signing.load_public_key(args["public_key"], source="public_key")]
    if args["public_key_file"]:
        path = args["public_key_file"]
        if not os.path.isfile(path):
            raise AnsibleError("public_key_file: %s does not exist" % path)
        with open(path, encoding="utf-8") as handle:
            return [signing.load_public_key(handle.read(), source="public_key_file %s" % path)]
    if settings.setting("signing_key", args, task_vars) is None and settings.setting("signing_key_file", args, task_vars) is None:
        return []
    return [settings.private_key(args, task_vars).public_key()]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, mutually_exclusive=[("public_key", "public_key_file")])
        artifacts = settings.artifacts_dir(args, task_vars)
        run_id = settings.run_id(args, task_vars)
        keys = public_keys(args, task_vars)
        try:
            dest = os.path.abspath(args["dest"]) if args["dest"] else os.path.join(store.run_dir(artifacts, run_id), REPORT_FOLDER)
            built = build_fleet_report(artifacts, run_id, keys)
            changed_files = write_report_files(dest, built.files, check_mode=self._task.check_mode)
        except (ReportError, store.StoreError) as exc:
            raise AnsibleError(str(exc))
        result.update(changed=False, dest=dest, html=os.path.join(dest, HTML_NAME),
                      markdown=os.path.join(dest, MARKDOWN_NAME), changed_files=changed_files, verified=built.verified,
                      problems=built.verification["problems"], sections=built.section_summaries())
        if built.verified is None:
            result["warnings"] = ["the report of run %s does not verify the seal's signature: no public key was given "
                                  "(public_key, public_key_file or the signing key)" % run_id]
        elif not built.verified:
            result["warnings"] = ["run %s failed verification: %d problem(s), listed in the report's verification section"
                                  % (run_id, len(built.verification["problems"]))]
        return result
