#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: external_document
short_description: Accept an externally issued PolicyAdmission or AgentRegistryGrant only when it verifies
version_added: "0.1.0"
description:
  - Accepts a PolicyAdmission or AgentRegistryGrant issued outside the collection (a central policy service, the agent
    registry) when it validates against its contract as O(kind), its digest (sha256 of its canonical JSON, with keys
    sorted, no whitespace, UTF-8) equals O(digest), and, when O(public_key) is given, a DSSE envelope signed with that
    Ed25519 key carries the same document.
  - >-
    Otherwise fails, listing every problem with a stable code and the option it is about (for example
    C(digest: digest-mismatch: ...)), so nothing unverified reaches the activation decision.
  - Whether the accepted document admits anything (status, expiry, pod, machine and plan) is for the activation
    decision to check; this module only proves where the document came from.
  - Runs on the controller only and never contacts the managed host. Changes nothing.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
options:
  document:
    description:
      - The document, as a mapping, or the path of a JSON or YAML file on the controller holding it.
      - May be left out when O(envelope) carries it.
      - Relative paths are searched like the C(src) of M(ansible.builtin.copy); vault-encrypted files are decrypted.
    type: raw
  kind:
    description: The kind the document must be.
    type: str
    required: true
    choices: [PolicyAdmission, AgentRegistryGrant]
  digest:
    description: The digest the operator expects, C(sha256:<64 lowercase hex digits>), from a trusted channel.
    type: str
    required: true
  public_key:
    description:
      - Ed25519 public key (SubjectPublicKeyInfo PEM) of the issuer, as PEM text or the path of a PEM file on the
        controller.
      - When given, the document must come in an O(envelope) signed with this key.
    type: str
  envelope:
    description:
      - DSSE envelope (mapping, or the path of a JSON file on the controller) whose payload is the document's JSON and
        whose payload type is C(application/vnd.sourceos.agent-machine.document+json).
      - Without O(public_key) the signature is not checked (RV(signature.verified) is false), and the payload is used
        only when O(document) is not given.
    type: raw
attributes:
  action:
    support: full
  async:
    support: none
  become:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  connection:
    support: none
  delegation:
    support: none
    details: Runs on the controller whatever the host.
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - At least one of O(document) and O(envelope) is required.
  - Needs the Python packages C(pydantic) and C(cryptography) on the controller (the collection's C(requirements.txt)).
seealso:
  - module: sourceos.agent_machine.policy_admission
"""

EXAMPLES = r"""
- name: Accept the registry's grant, pinned by digest and signed by the registry
  sourceos.agent_machine.external_document:
    kind: AgentRegistryGrant
    envelope: grants/coder-qwen.dsse.json
    digest: "{{ coder_qwen_grant_digest }}"
    public_key: keys/registry.pub.pem
  register: grant

- name: Accept a policy admission pinned by digest
  sourceos.agent_machine.external_document:
    kind: PolicyAdmission
    document: admissions/coder-qwen.json
    digest: sha256:0c1e6f0d7cf35d6c7d5a0b3b0f3b6f0f4f0a9b6e2f8f0c3d6f1f0b8e7f6a5d4c
  register: admission
"""

RETURN = r"""
document:
  description: The accepted document.
  returned: success
  type: dict
digest:
  description: Its digest, equal to O(digest).
  returned: success
  type: str
signature:
  description: Whether a signature was checked.
  returned: success
  type: dict
  contains:
    verified:
      description: True when the envelope's signature verified with O(public_key).
      type: bool
    keyid:
      description: The key id (C(sha256:) of the raw public key) that verified it, null when none was checked.
      type: str
problems:
  description: Every reason the document was refused.
  returned: failure
  type: list
  elements: dict
  contains:
    code:
      description: >-
        C(kind-mismatch), C(document-invalid), C(document-missing), C(digest-missing), C(digest-invalid),
        C(digest-mismatch), C(envelope-missing), C(envelope-malformed), C(envelope-payload-type),
        C(envelope-payload-invalid), C(envelope-payload-mismatch), C(signature-missing), C(signature-unknown-key),
        C(signature-invalid), C(public-key-invalid) or C(external-check-failed).
      type: str
    field:
      description: The option the problem is about (C(document), C(document.grant.expiresAt), C(digest), C(envelope), C(public_key)).
      type: str
    message:
      description: What is wrong.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = dict(
    document=dict(type="raw"),
    kind=dict(type="str", required=True, choices=["PolicyAdmission", "AgentRegistryGrant"]),
    digest=dict(type="str", required=True),
    public_key=dict(type="str"),
    envelope=dict(type="raw"),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_one_of=[("document", "envelope")], supports_check_mode=True)
    module.fail_json(msg="sourceos.agent_machine.external_document runs on the controller only, through its action plugin; "
                         "it cannot run as a module on a managed node")


if __name__ == "__main__":
    main()
