# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented by the action plugin of the same name; it runs on the controller only.

DOCUMENTATION = r"""
---
module: receipt
short_description: Record a document as a redacted, hash-chained receipt on the controller
version_added: "0.1.0"
description:
  - Redacts the document (secret key names, private keys, bearer tokens,
    high-entropy environment values, raw prompts and KV content), appends it
    to the host's receipt chain of the run and writes it as canonical JSON to
    C(<artifacts_dir>/<run_id>/<host>/<kind>/<id>.json) by temp file, fsync
    and rename.
  - Each receipt carries the sha256 digest of the host's previous receipt in
    the run, so removed, reordered or altered receipts break the chain.
  - The same document written twice in one run is recorded once.
  - Adds the receipt to the host fact C(agent_machine_receipts).
  - Recording evidence is not a change to the managed node, so it always
    reports C(changed=false). In check mode nothing is written.
  - Runs on the controller; it never contacts the managed node.
  - The redaction markers are keyed with a key derived from the signing key, so equal secrets give equal
    markers without letting anyone test guesses against them.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - sourceos.agent_machine.evidence
options:
  document:
    description: The document to record, normally one of the collection's contracts (it has C(kind) and C(id)).
    type: dict
    required: true
  kind:
    description: The document kind when the document has no C(kind) key.
    type: str
  host:
    description: The host whose chain the receipt joins.
    type: str
    default: inventory_hostname
  spool:
    description:
      - Also queue the receipt for the evidence endpoint.
      - Defaults to true when an endpoint is configured (C(agent_machine_evidence_endpoint)).
    type: bool
"""

EXAMPLES = r"""
- name: Record the probe's document
  sourceos.agent_machine.receipt:
    document: "{{ ansible_facts.agent_machine }}"
"""

RETURN = r"""
receipt:
  description: What was recorded.
  returned: success
  type: dict
  contains:
    path:
      description: Receipt file, relative to the artifacts directory.
      type: str
      sample: 20261122T050000Z/gpu-a100-01/agent-machine/gpu-a100-01.json
    digest:
      description: sha256 of the receipt file's bytes.
      type: str
    sequence:
      description: Position in the host's chain for the run, from 1.
      type: int
    previousDigest:
      description: Digest of the previous receipt in the chain, null for the first.
      type: str
    documentDigest:
      description: sha256 of the redacted document's canonical JSON.
      type: str
    redactions:
      description: Where values were redacted (JSON paths and reasons, never the values).
      type: list
      elements: dict
    written:
      description: False when the same document was already recorded in this run, or in check mode.
      type: bool
ansible_facts:
  description: C(agent_machine_receipts), this host's receipts of the run so far.
  returned: success
  type: dict
"""
