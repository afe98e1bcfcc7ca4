# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented by the action plugin of the same name; it runs on the controller only.

DOCUMENTATION = r"""
---
module: fleet_report
short_description: Render a run's fleet report, a static HTML page and a Markdown summary, from its receipts
version_added: "0.1.0"
description:
  - Reads every receipt of one run under C(<artifacts_dir>/<run_id>/) and writes C(report.html), one self-contained
    page (inline CSS, no script, no external asset), and C(report.md), the same content as Markdown.
  - "Sections: nodes (host, profile, architecture, memory), accelerators, storage use (StorageReceipts), resident
    models (ModelReceipts), placements with their cost breakdown and every rejected node's reasons
    (PlacementDecisions), activation decisions with their reasons (ActivationDecisions), provider health
    (RuntimeEvidence) and the receipt verification status."
  - A kind the run did not record is shown as an explicit C(None recorded) line. Every value is escaped.
  - The verification status is the answer of M(sourceos.agent_machine.verify_receipts) for the same run. Without
    O(public_key), O(public_key_file) or a signing key the signature is not checked and the report says so.
  - Files are written by temp file, fsync and rename, and only when their content differs (C(changed_files) lists
    them). Like the receipts it reports on, the report is evidence on the controller, not a change to the fleet, so
    the task always reports C(changed=false). The report holds no timestamp of its own. In check mode nothing is
    written.
  - Runs on the controller; it never contacts the managed node. Run it once, for example with C(run_once) or in a
    play on C(localhost) (C(ansible-playbook sourceos.agent_machine.report)).
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - sourceos.agent_machine.evidence
options:
  dest:
    description:
      - Controller directory the report is written to; created when missing.
      - Defaults to C(<artifacts_dir>/<run_id>/report/).
    type: path
  public_key:
    description:
      - Ed25519 public key (PEM) that must have signed the run.
      - Without it or O(public_key_file), the public half of the signing key is used when one is set.
    type: str
  public_key_file:
    description: File holding the public key.
    type: path
"""

EXAMPLES = r"""
- name: Render the fleet report of last night's run
  sourceos.agent_machine.fleet_report:
    run_id: 20261122T020000Z
    public_key_file: /etc/agent-machine/evidence-signing.pub
  delegate_to: localhost
  run_once: true

- name: Render it into a folder a web server publishes
  sourceos.agent_machine.fleet_report:
    dest: /srv/www/fleet/latest
    public_key_file: /etc/agent-machine/evidence-signing.pub
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
dest:
  description: Directory of the report.
  returned: success
  type: str
  sample: /srv/agent-machine/artifacts/20261122T020000Z/report
html:
  description: Path of the HTML page.
  returned: success
  type: str
markdown:
  description: Path of the Markdown summary.
  returned: success
  type: str
changed_files:
  description: Names of the files written (in check mode, that would be written) because their content differed.
  returned: success
  type: list
  elements: str
  sample: [report.html, report.md]
verified:
  description: True when the signature and every receipt verify, false when a problem was found, null when no key
    was given to check the signature with.
  returned: success
  type: bool
problems:
  description: Every verification problem, as M(sourceos.agent_machine.verify_receipts) returns them.
  returned: success
  type: list
  elements: dict
sections:
  description: Each section's id and its one-line summary, e.g. C(nodes) - C(3 nodes).
  returned: success
  type: dict
"""
