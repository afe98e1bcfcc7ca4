# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report of one run: read its receipts, verify them, lay the sections out, render both files."""

from __future__ import annotations

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.signing import REASON_NO_TRUSTED_KEYS, key_id
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.verify import verify_run
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.collect import collect_run
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.html import render_html
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.markdown import render_markdown
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.sections import build_report

HTML_NAME = "report.html"
MARKDOWN_NAME = "report.md"


class BuiltReport:
    """The files to write ({name: bytes}), the laid-out report and the verifier's answer."""

    def __init__(self, files, report, verification, key_ids):
        self.files = files
        self.report = report
        self.verification = verification
        self.key_ids = key_ids

    @property
    def verified(self):
        """True: signature and every receipt check out; False: a problem; None: no key to check the signature."""
        if not self.key_ids:
            return None
        return not self.verification["problems"]

    def section_summaries(self):
        return {section.id: section.summary for section in self.report.sections}


def build_fleet_report(artifacts_dir, run_id, public_keys):
    """Everything the report of ``run_id`` shows. ``public_keys``: the Ed25519 keys the seal must verify with;
    with none, the signature is reported as not checked. Raises collect.ReportError when there is no such run."""
    evidence = collect_run(artifacts_dir, run_id)
    verification = verify_run(artifacts_dir, run_id, list(public_keys))
    if not public_keys:
        verification = _without_missing_key_problem(verification)
    key_ids = [key_id(key) for key in public_keys]
    report = build_report(evidence, verification, key_ids)
    files = {HTML_NAME: render_html(report).encode("utf-8"), MARKDOWN_NAME: render_markdown(report).encode("utf-8")}
    return BuiltReport(files, report, verification, key_ids)


def _without_missing_key_problem(verification):
    """Without a key the signature is "not checked" (the report says so), not "bad": drop the verifier's
    no-trusted-keys problem and keep every other one (digests and chains are still checked against the manifest)."""
    problems = [problem for problem in verification["problems"]
                if not (problem["code"] == "bad-signature" and problem["detail"].startswith(REASON_NO_TRUSTED_KEYS + ":"))]
    return dict(verification, problems=problems, ok=not problems)
