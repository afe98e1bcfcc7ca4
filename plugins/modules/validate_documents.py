#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: validate_documents
short_description: Validate AgentPods, policy admissions, grants and receipts against the published contracts
version_added: "0.1.0"
description:
  - Checks documents (AgentMachine, AgentPod, InferenceProvider, CacheTier,
    StorageReceipt, ModelReceipt, PolicyAdmission, AgentRegistryGrant,
    PlacementDecision, DeploymentReceipt, ActivationDecision,
    RuntimeEvidence) against the collection's contracts, the models that
    C(contracts/*.schema.json) are generated from.
  - Each document is checked as the contract its own C(kind) names, or as
    O(kind) when given.
  - >-
    Fails listing every problem of every document, one line each, in the form
    C(<Kind> <source>: <JSON path>: <message>), where the source is the
    file name or C(documents[<index>]) and the path uses the document's
    camelCase keys, for example
    C(AgentPod documents[0]: $.runtime.imageReferencePolicy: Input should be 'tag-allowed-bootstrap', 'digest-required' or 'digest-pinned').
  - Runs entirely on the controller and never contacts the managed host, so
    it works for any host and with C(delegate_to=localhost). Changes
    nothing.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
options:
  documents:
    description:
      - Documents to validate, as dictionaries with camelCase keys.
      - Timestamps are best quoted; an unquoted YAML timestamp is turned
        back into RFC 3339 text before validation.
    type: list
    elements: dict
  paths:
    description:
      - JSON or YAML files on the controller to validate. A file holds one
        document, a list of documents, or (YAML) several documents separated
        by C(---).
      - Relative paths are searched like the C(src) of M(ansible.builtin.copy)
        (the role's or playbook's C(files/) directory first).
      - Vault-encrypted files are decrypted with the play's vault secrets.
    type: list
    elements: path
  kind:
    description:
      - Validate every document as this contract instead of its own C(kind).
      - A kind (C(AgentPod)) or a contract name (C(agent-pod)).
    type: str
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
    details: Runs on the controller whatever the host; C(delegate_to) changes nothing.
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - At least one of O(documents) and O(paths) is required.
  - Needs the Python package C(pydantic) on the controller (the collection's
    C(requirements.txt)).
  - Error messages never repeat the offending value, so a secret in the wrong
    field is not echoed.
seealso:
  - name: Contracts
    description: The JSON Schemas of every document and an example of each.
    link: https://github.com/sourceos/agent_machine/tree/main/contracts
"""

EXAMPLES = r"""
- name: Validate the AgentPods of the fleet before placing them
  sourceos.agent_machine.validate_documents:
    documents: "{{ agent_pods }}"
  delegate_to: localhost
  run_once: true

- name: Validate externally issued policy admissions and grants
  sourceos.agent_machine.validate_documents:
    paths:
      - admissions/coder-qwen.json
      - grants/coder-qwen.yaml

- name: Check files that carry no kind as AgentPods
  sourceos.agent_machine.validate_documents:
    paths: "{{ query('ansible.builtin.fileglob', 'pods/*.yaml') }}"
    kind: agent-pod
  register: pods_checked

- name: Show the digest of each validated document
  ansible.builtin.debug:
    msg: "{{ pods_checked.validated | map(attribute='digest') | list }}"
"""

RETURN = r"""
validated:
  description:
    - The documents that passed, in order (inline documents first, then files).
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: Contract the document was validated as.
      type: str
      sample: AgentPod
    id:
      description: Document id.
      type: str
      sample: urn:srcos:agent-machine:pod:coder-qwen
    digest:
      description: sha256 of the document's canonical JSON (sorted keys, compact separators, UTF-8), as given.
      type: str
      sample: sha256:3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8557
problems:
  description: Every problem found, when validation failed.
  returned: failure
  type: list
  elements: dict
  contains:
    source:
      description: File name as given, or C(documents[<index>]) or C(paths[<index>]).
      type: str
      sample: documents[0]
    kind:
      description: Contract the document was checked as; null when a file could not be read.
      type: str
      sample: AgentPod
    path:
      description: JSON path of the problem in the document; null when a file could not be read.
      type: str
      sample: $.runtime.imageReferencePolicy
    message:
      description: What is wrong.
      type: str
      sample: field required
"""

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = dict(
    documents=dict(type="list", elements="dict"),
    paths=dict(type="list", elements="path"),
    kind=dict(type="str"),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_one_of=[["documents", "paths"]], supports_check_mode=True)
    module.fail_json(msg="sourceos.agent_machine.validate_documents runs on the controller only, through its action plugin; "
                         "it cannot run as a module on a managed node")


if __name__ == "__main__":
    main()
