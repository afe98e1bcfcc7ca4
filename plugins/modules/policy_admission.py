#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: policy_admission
short_description: Decide a PolicyAdmission for an AgentPod with the Rego policy bundle
version_added: "0.1.0"
description:
  - Evaluates the collection's default Rego policy bundle (C(policies/default)), optionally extended or replaced by the
    operator's own Rego and data, for one request (activation by default) about an AgentPod on a machine, and returns
    the PolicyAdmission document the activation decision consumes.
  - The default policy never admits privileged pods; admits host networking only when both the pod and the policy
    data allow it; needs the image pinned by digest when the pod's reference policy (or the policy data) says so; limits
    port exposure to C(none), C(loopback) and C(cluster) unless the data allows more; admits only the listed volume
    classes (C(agent-models) read-only) and providers; and admits only the side effects the pod needs that the data
    allows (C(start-provider), C(install-unit), C(mount-cache), C(reuse-cache), C(open-port), C(network-egress)).
  - An admitted request gets C(decision.status=allowed), a scope narrowed to what the pod needs, and an expiry of the
    decision time plus the TTL. A denied request gets C(denied) and allows nothing; every reason is in RV(reasons).
  - Fails closed. A Rego error, an undefined decision or a decision of the wrong shape gives C(decision.status=unknown)
    with the reason, never C(allowed). Bad options fail the task with one message naming the option.
  - Runs on the controller only (with C(regopy), C(pydantic) from the collection's C(requirements.txt)) and never
    contacts the managed host. Changes nothing.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
options:
  pod:
    description: The AgentPod the request is about.
    type: dict
    required: true
  machine:
    description:
      - The target machine, as its AgentMachine document or its id C(urn:srcos:agent-machine:machine:<slug>).
      - Defaults to the host's C(ansible_facts.agent_machine) (the probe's document).
      - The document is given to the policy as C(input.machine); with only an id C(input.machine) is null.
    type: raw
  request_type:
    description: What is asked for.
    type: str
    default: activation
    choices: [placement, activation, render, cache-reuse, side-effect, teardown, wipe]
  plan_digest:
    description:
      - Digest of the plan the admission is for, C(sha256:<hex>) of the canonical JSON of the DeploymentReceipt's
        C(artifacts).
      - Exactly one of O(plan_digest) and O(deployment_receipt) is required.
    type: str
  deployment_receipt:
    description: The DeploymentReceipt of the rendered units; the plan digest is computed from it.
    type: dict
  provider:
    description:
      - The InferenceProvider document, or the name (C(llama.cpp)) or id of a built-in catalog entry.
      - When given, the policy checks it is the pod's provider and supports the accelerators the pod requires.
    type: raw
  decided_at:
    description: The decision time, RFC 3339 UTC (C(2026-03-02T09:33:30Z)). Defaults to now.
    type: raw
  bundle_paths:
    description:
      - The operator's Rego files, data files (C(.json), C(.yaml)) and directories, on the controller.
      - A directory contributes every C(.rego) file below it (except C(*_test.rego)) and its C(data.json) or
        C(data.yaml) files, placed under the directory path they sit in.
      - Relative paths are searched like the C(src) of M(ansible.builtin.copy).
      - Rules added to the package C(agent_machine.admission) extend the default policy (for example more
        C(deny contains ...) rules).
    type: list
    elements: path
    default: []
  bundle_data:
    description:
      - Policy data merged over the bundle's data (objects key by key, other values replaced), for example a mapping
        that sets C(agent_machine.config.network.allow_host_network) to true (see EXAMPLES).
    type: dict
  replace_default:
    description:
      - Use only O(bundle_paths) and O(bundle_data), without the default bundle.
      - The replacement must define C(data.agent_machine.admission.decision) with the same shape.
    type: bool
    default: false
  ttl:
    description:
      - Seconds the admission stays valid after the decision time. The default policy caps it at
        C(admission.max_ttl_seconds) of its data (one day) and uses C(admission.default_ttl_seconds) (one hour) when
        it is not given.
    type: int
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
    details: Decides the same way in check mode; it changes nothing either way.
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
  - The policy input, the decision shape and how to write your own Rego are in C(docs/policy.md) of the collection.
  - Write rules in Rego v1 syntax (C(if), C(contains)). The engine (rego-cpp through C(regopy)) reads some older forms
    differently (C(deny[msg] { ... }) makes an object, not a set); next to the default rules such a module fails
    closed.
seealso:
  - module: sourceos.agent_machine.external_document
"""

EXAMPLES = r"""
- name: Decide the activation of a rendered pod
  sourceos.agent_machine.policy_admission:
    pod: "{{ agent_pod }}"
    deployment_receipt: "{{ rendered.deployment_receipt }}"  # registered from sourceos.agent_machine.provider_render
    provider: llama.cpp
  register: admitted

- name: Stop when the policy did not admit it
  ansible.builtin.assert:
    that: admitted.admission.decision.status == 'allowed'
    fail_msg: "{{ admitted.reasons | map(attribute='code') | join(', ') }}"

- name: Add the site's own rules to the default policy, allow host networking, keep admissions for 10 minutes
  sourceos.agent_machine.policy_admission:
    pod: "{{ agent_pod }}"
    plan_digest: "{{ rendered.plan_digest }}"
    bundle_paths:
      - policies/site
    bundle_data:
      agent_machine:
        config:
          network:
            allow_host_network: true
    ttl: 600
"""

RETURN = r"""
admission:
  description: The PolicyAdmission document (contracts/policy-admission.schema.json).
  returned: success
  type: dict
  contains:
    request:
      description: requestType, agentMachineId, agentPodId, providerId and planDigest.
      type: dict
    decision:
      description:
        - C(status) (C(allowed), C(denied) or C(unknown)), C(authorizationGranted), C(decisionRef)
          (C(rego:<bundle>@<bundle digest>#data.agent_machine.admission.decision)) and C(decisionDigest) (digest of the
          policy's decision output).
      type: dict
    scope:
      description: C(allowed) and C(denied) network exposure, volume classes, provider ids, cache reuse and side effects.
      type: dict
    obligations:
      description: requiredReceipts, expiresAt (null unless allowed) and revocationRef.
      type: dict
    decidedAt:
      description: The decision time.
      type: str
reasons:
  description: Why the request was not admitted, sorted; empty when it was.
  returned: success
  type: list
  elements: dict
  contains:
    code:
      description: Stable reason code, for example C(privileged), C(image-not-pinned), C(policy-error).
      type: str
    message:
      description: What is wrong.
      type: str
    field:
      description: What the reason is about (C(input.pod.runtime.networkMode), C(data.agent_machine.config.*), C(output.*)), or null.
      type: str
bundle:
  description: The bundle evaluated.
  returned: success
  type: dict
  contains:
    label:
      description: C(sourceos.agent_machine/default), C(sourceos.agent_machine/default+operator) or C(operator).
      type: str
    digest:
      description: Digest of the module names, module texts and data.
      type: str
    modules:
      description: Module names.
      type: list
      elements: str
    query:
      description: The query evaluated.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = dict(
    pod=dict(type="dict", required=True),
    machine=dict(type="raw"),
    request_type=dict(type="str", default="activation",
                      choices=["placement", "activation", "render", "cache-reuse", "side-effect", "teardown", "wipe"]),
    plan_digest=dict(type="str"),
    deployment_receipt=dict(type="dict"),
    provider=dict(type="raw"),
    decided_at=dict(type="raw"),
    bundle_paths=dict(type="list", elements="path", default=[]),
    bundle_data=dict(type="dict"),
    replace_default=dict(type="bool", default=False),
    ttl=dict(type="int"),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=[("plan_digest", "deployment_receipt")],
                           required_one_of=[("plan_digest", "deployment_receipt")], supports_check_mode=True)
    module.fail_json(msg="sourceos.agent_machine.policy_admission runs on the controller only, through its action plugin; "
                         "it cannot run as a module on a managed node")


if __name__ == "__main__":
    main()
