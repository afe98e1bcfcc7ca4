# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented by the action plugin of the same name; it runs on the controller only.

DOCUMENTATION = r"""
---
module: seal_receipts
short_description: Sign a run's receipts and deliver them to an evidence endpoint
version_added: "0.1.0"
description:
  - Writes C(manifest.json), every host's receipt chain with digests, and
    C(manifest.dsse.json), a DSSE envelope signed with Ed25519 that carries an
    in-toto Statement v1 whose subjects are the receipt files and the manifest.
  - With an evidence endpoint, POSTs every spooled receipt (and the
    envelope) with C(Idempotency-Key) set to its digest, retrying transient
    failures. Receipts the endpoint did not accept stay spooled under
    C(<artifacts_dir>/spool/) and are sent on the next run; a receipt leaves
    the spool only once accepted, so none is lost and none is sent twice.
  - Run it once per run, on the controller (C(run_once)).
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - sourceos.agent_machine.evidence
options:
  endpoint:
    description: URL that accepts receipts by POST; defaults to C(agent_machine_evidence_endpoint). Without one nothing is sent.
    type: str
  endpoint_headers:
    description: Extra request headers, for example an authorization header from a vaulted variable. Never logged.
    type: dict
    default: {}
  validate_certs:
    description: Verify the endpoint's TLS certificate.
    type: bool
    default: true
  timeout:
    description: Seconds per request.
    type: int
    default: 10
  attempts:
    description: Tries per receipt for transient failures (connection errors, 408, 429, 5xx).
    type: int
    default: 3
"""

EXAMPLES = r"""
- name: Seal the run and send the evidence
  sourceos.agent_machine.seal_receipts:
    endpoint: https://agentplane.example.internal/v1/evidence
    endpoint_headers:
      Authorization: "Bearer {{ vault_agentplane_token }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
sealed:
  description: Where the manifest and envelope were written and what they cover.
  returned: success
  type: dict
  contains:
    manifest:
      description: Path of manifest.json.
      type: str
    envelope:
      description: Path of manifest.dsse.json.
      type: str
    receipts:
      description: Number of receipts covered.
      type: int
    hosts:
      description: Hosts with receipts in the run.
      type: list
      elements: str
delivery:
  description: Delivery to the endpoint.
  returned: when an endpoint is set
  type: dict
  contains:
    delivered:
      description: Digests accepted by the endpoint in this run.
      type: list
      elements: str
    remaining:
      description: Receipts still spooled.
      type: int
    errors:
      description: Why receipts stayed spooled.
      type: list
      elements: str
"""
