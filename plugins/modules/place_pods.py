# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented by the action plugin of the same name; it runs on the controller only.

DOCUMENTATION = r"""
---
module: place_pods
short_description: Decide which machine each AgentPod runs on, by hard filters and expected cold-start cost
version_added: "0.1.0"
description:
  - Places a batch of AgentPods on the fleet and returns one PlacementDecision per pod
    (C(contracts/placement-decision.schema.json)) with the chosen machine and its cost breakdown, and for every
    other machine its cost or the reasons it was rejected.
  - Hard filters, each with its own reason code, are C(machine-cordoned), C(machine-not-selected),
    C(arch-mismatch), C(profile-mismatch), C(accelerator-missing), C(storage-class-missing),
    C(provider-not-allowed), C(exposure-not-allowed), C(accelerator-count), C(memory-fit) (accelerator
    memory; unified memory counts against RAM), C(ram-fit), C(cpu-fit), C(workroom-anti-affinity).
  - Among the machines left, the pod goes to the one with the lowest expected cold start - model download
    when the model is not on the machine's disk, model load when it is not loaded, prefill of the context
    prefix tokens not in the machine's warm cache - plus a load-balance term. Ties go to the first machine
    in id order, so the same input always gives the same decisions. See C(docs/placement.md).
  - Pods are placed in the order given, and each sees what the earlier ones took (CPU, RAM, accelerator
    devices and memory) and left behind (models downloaded and loaded, prefixes cached).
  - A pod no machine can take gets a decision with status C(unplaceable) and the reasons; the task does not
    fail for it. Invalid input fails the task with a message naming the field, before anything is placed.
  - Runs on the controller and changes nothing anywhere, so check mode gives the same decisions.
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
    platforms: all
requirements:
  - numpy, pydantic (controller, from the collection's requirements.txt)
options:
  pods:
    description: The AgentPod documents to place, in the order they are placed.
    type: list
    elements: dict
    required: true
  machines:
    description: The AgentMachine documents of the fleet (the probe's C(ansible_facts.agent_machine) of each host).
    type: list
    elements: dict
    required: true
  inventories:
    description:
      - The cache inventory of each machine, as M(sourceos.agent_machine.cache_inventory) returns it
        (C(prefixes[].digest), C(models[].digest) and C(models[].onDisk) are read).
      - Either a list of inventories, each naming its machine in C(agentMachineId) (run the module with
        O(sourceos.agent_machine.cache_inventory#module:machine_id)), or a mapping of machine id to inventory.
      - A machine without one has no model on disk and no prefix cached.
    type: raw
  loaded_models:
    description: Model digests loaded in a running provider, per machine id.
    type: dict
  cordoned:
    description: Ids of machines that take no new pods.
    type: list
    elements: str
  volume_classes:
    description:
      - Volume classes provisioned on each machine (machine id to a list of classes).
      - Merged with O(storage_receipts). A machine absent from both takes no pod that mounts a volume class
        (storage entries whose C(accessMode) is C(runtime-managed) need none).
    type: dict
  storage_receipts:
    description: StorageReceipt documents; each one says its volume class is provisioned on its machine.
    type: list
    elements: dict
  scopes:
    description:
      - The policy scope of each machine, a mapping of machine id to a scope with C(allowed) and C(denied), each
        optionally listing C(providerIds) and C(networkExposure).
      - A list left out of C(allowed) allows everything; C(denied) always wins.
    type: dict
  running:
    description:
      - Pods already running, each a mapping with C(agentMachineId) and C(agentPod); their resources are taken
        before the batch and their models count as loaded.
    type: list
    elements: dict
  anti_affinity:
    description: The most pods of a workroom on one machine (workroom ref to a number).
    type: dict
  parameters:
    description:
      - Cost-model and capacity parameters; defaults in C(docs/placement.md).
      - C(link_bandwidth_bytes_per_second), C(disk_bandwidth_bytes_per_second), C(load_overhead_seconds),
        C(prefill_seconds_per_token_per_gib) (per accelerator type), C(balance_weight_seconds),
        C(spread_weight_seconds), C(memory_reserved_fraction), C(cpu_reserved_fraction), and C(machines)
        (per machine id, its own link and disk bandwidth).
    type: dict
  decided_at:
    description: The decision time written into every decision (RFC 3339 UTC); defaults to now.
    type: str
"""

EXAMPLES = r"""
- name: Place the pods on the probed fleet
  sourceos.agent_machine.place_pods:
    pods: "{{ agent_machine_pods }}"
    machines: "{{ groups.agent_machines | map('extract', hostvars, ['ansible_facts', 'agent_machine']) | list }}"
    inventories: "{{ groups.agent_machines | map('extract', hostvars, ['ansible_facts', 'agent_machine_cache_inventory']) | list }}"
    volume_classes:
      urn:srcos:agent-machine:machine:gpu-a100-01: [agent-models, agent-cache-warm]
    anti_affinity:
      workroom:platform-team: 2
  delegate_to: localhost
  run_once: true
  register: placement
"""

RETURN = r"""
decisions:
  description: One PlacementDecision per pod, in pod order, each valid against its contract.
  returned: success
  type: list
  elements: dict
  sample:
    - kind: PlacementDecision
      agentPodId: urn:srcos:agent-machine:pod:coder-qwen
      status: placed
      agentMachineId: urn:srcos:agent-machine:machine:m2-air
      cost: {downloadSeconds: 0.0, loadSeconds: 44.7, prefillSeconds: 0.0, balance: 1.2, total: 45.9}
summary:
  description:
    - Counts (C(pods), C(machines), C(placed), C(unplaceable), C(unplaceablePods), C(podsPerMachine)),
      expected cold-start seconds of the placed pods (C(coldStartSeconds) with C(download), C(load),
      C(prefill), C(total)), C(bytesDownloaded), C(coldLoads) and C(placementSeconds).
  returned: success
  type: dict
"""
