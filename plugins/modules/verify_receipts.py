# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented by the action plugin of the same name; it runs on the controller only.

DOCUMENTATION = r"""
---
module: verify_receipts
short_description: Verify a sealed run's receipts, naming every problem and its file
version_added: "0.1.0"
description:
  - Checks the DSSE envelope's Ed25519 signature, that every signed receipt
    is present with the signed digest (a flipped byte is a digest mismatch),
    that no receipt is unlisted, that every host chain is complete and in
    order (each receipt's C(previousDigest) is its predecessor's digest), and
    that no receipt matches a secret pattern.
  - "Fails listing each problem as C(<file>: <code>: <detail>) unless
    O(fail_on_problems=false)."
  - Without O(public_key) or O(public_key_file), the public half of the signing key is used.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - sourceos.agent_machine.evidence
options:
  public_key:
    description: Ed25519 public key (PEM) that must have signed the run.
    type: str
  public_key_file:
    description: File holding the public key.
    type: path
  fail_on_problems:
    description: Fail the task when any problem is found.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Verify last night's run
  sourceos.agent_machine.verify_receipts:
    run_id: 20261122T020000Z
    public_key_file: /etc/agent-machine/evidence-signing.pub
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
ok:
  description: True when no problem was found.
  returned: always
  type: bool
checked:
  description: Number of receipt files read.
  returned: always
  type: int
problems:
  description: Every problem found.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file, relative to the run folder.
      type: str
    code:
      description: One of missing-signature, bad-signature, missing-manifest, digest-mismatch, missing-receipt,
        unlisted-receipt, chain-break, sequence-out-of-order, unreadable-receipt, secret-pattern.
      type: str
    detail:
      description: What was expected and what was found.
      type: str
"""
