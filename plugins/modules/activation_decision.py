# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented by the action plugin of the same name; it runs on the controller only.

DOCUMENTATION = r"""
---
module: activation_decision
short_description: Decide, fail-closed and with every reason, whether an AgentPod may start on a machine
version_added: "0.1.0"
description:
  - Evaluates the AgentPod, its PolicyAdmission, its AgentRegistryGrant, the
    StorageReceipts the pod's volumes refer to, the DeploymentReceipt of what
    was rendered and the target's AgentMachine document at the decision time,
    and returns an ActivationDecision - C(allowed) or C(fail-closed).
  - Anything missing, expired, revoked, issued for another pod, machine or
    plan, unparsable or not covering what the pod asks for gives
    C(fail-closed) with a distinct reason code; every reason is listed,
    sorted, with what would make the decision pass
    (C(requiredBeforeActivation)). No input ever makes it raise or answer
    C(allowed) by default.
  - Only the storage receipts of the pod's own volume classes on this
    machine are considered, not every receipt given.
  - Runs on the controller; it never contacts the managed node and never
    changes anything (C(changed=false)).
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  pod:
    description: The AgentPod document.
    type: dict
    required: true
  policy:
    description: The PolicyAdmission for the activation request (missing means fail-closed).
    type: dict
  grant:
    description: The AgentRegistryGrant (missing means fail-closed).
    type: dict
  storage_receipts:
    description: StorageReceipt documents; defaults to the host's C(agent_machine_volumes.receipts) fact.
    type: list
    elements: dict
  deployment_receipt:
    description: The DeploymentReceipt from M(sourceos.agent_machine.provider_render).
    type: dict
  machine:
    description: The target's AgentMachine document; defaults to the host's C(agent_machine) fact.
    type: dict
  decided_at:
    description: The decision time (RFC 3339, UTC); defaults to now.
    type: str
  plan_digest:
    description: The plan digest just rendered; the policy and the deployment receipt must match it.
    type: str
  artifact_digests:
    description: The digests of the artifacts just rendered (a list, or a mapping of name to digest).
    type: raw
  fail_when_closed:
    description: Fail the task when the decision is C(fail-closed) (the decision is still returned).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Decide whether the coder pod may start here
  sourceos.agent_machine.activation_decision:
    pod: "{{ coder_pod }}"
    policy: "{{ admission.admission }}"
    grant: "{{ coder_grant }}"
    deployment_receipt: "{{ rendered.deployment_receipt }}"
    plan_digest: "{{ rendered.plan_digest }}"
  register: activation
"""

RETURN = r"""
decision:
  description: The ActivationDecision document (C(contracts/activation-decision.schema.json)).
  returned: always
  type: dict
allowed:
  description: True only when the decision's status is C(allowed).
  returned: always
  type: bool
reasons:
  description: The failure reason codes, sorted (empty when allowed).
  returned: always
  type: list
  elements: str
required_before_activation:
  description: What would have to change for the decision to pass.
  returned: always
  type: list
  elements: str
"""
