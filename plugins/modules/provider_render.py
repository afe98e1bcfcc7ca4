# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module is implemented by the action plugin of the same name: it renders on the controller and
# writes on the target through sourceos.agent_machine.rendered_file.

DOCUMENTATION = r"""
---
module: provider_render
short_description: Render an AgentPod as hardened Quadlet units or Kubernetes manifests, with a DeploymentReceipt
version_added: "0.1.0"
description:
  - Renders on the controller, from the AgentPod, its InferenceProvider (the
    collection's catalog entry for the pod's C(providerId) unless given) and
    the target's AgentMachine probe document.
  - Quadlet (every pod type except C(kubernetes-pod)) gives a C(.container)
    unit, plus a C(.network) unit for C(loopback) serving. Hardened by
    default - C(ReadOnly), C(NoNewPrivileges), C(DropCapability=all), never
    privileged, C(Network=) always written, ports on 127.0.0.1 unless the
    port's exposure allows more, volumes read-only unless the pod asks for
    read-write, GPUs by CDI (NVIDIA), render node (Vulkan) or C(/dev/kfd)
    (ROCm), memory and pids limits and a health check.
  - Only keys the node's podman supports are written (the version comes from
    the probe document); a key it lacks is an error naming the key and both
    versions. A value with a line break, NUL or a trailing backslash is
    refused; C(%) is written C(%%) and C($) cannot expand.
  - Kubernetes (C(kubernetes-pod)) gives Namespace, ServiceAccount, PVCs on
    the TopoLVM StorageClasses, Deployment, Service and a default-deny-egress
    NetworkPolicy, as one multi-document YAML file.
  - Returns a DeploymentReceipt whose artifact digests do not depend on where
    the files are written, and the plan digest a PolicyAdmission must name.
  - With O(dest), writes the files on the target by temp file, fsync and
    rename, only when they differ; check mode and diff mode are honoured.
    Without it, nothing on the target is touched.
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
    support: full
  platform:
    platforms: posix
options:
  pod:
    description: The AgentPod document.
    type: dict
    required: true
  machine:
    description:
      - The target's AgentMachine document, or for Kubernetes only its id.
      - Defaults to the host's C(agent_machine) fact set by M(sourceos.agent_machine.machine_facts).
    type: raw
  provider:
    description: The InferenceProvider document, or a catalog name or id; defaults to the pod's C(providerId).
    type: raw
  target:
    description: C(quadlet) or C(kubernetes); defaults to C(kubernetes) for a C(kubernetes-pod), else C(quadlet).
    type: str
    choices: [quadlet, kubernetes]
  podman_version:
    description: The node's podman version; defaults to the probe document's.
    type: str
  volume_paths:
    description: Host directory per volume class, overriding the storage role's default mount points.
    type: dict
  storage_classes:
    description: Kubernetes StorageClass per volume class (see the C(topolvm_storage_classes) filter).
    type: dict
  namespace:
    description: Kubernetes namespace; defaults to C(agent-<workload name>).
    type: str
  device_resources:
    description: Kubernetes device-plugin resource name per accelerator type (defaults nvidia.com/gpu, amd.com/gpu, squat.ai/dri).
    type: dict
  placement_decision_id:
    description: The PlacementDecision this render follows; recorded in the DeploymentReceipt.
    type: str
  dest:
    description: Directory on the target to write the files to, for example C(/etc/containers/systemd).
    type: path
  mode:
    description: Permissions of the written files.
    type: raw
    default: "0644"
"""

EXAMPLES = r"""
- name: Render the pod and show the plan digest (nothing written)
  sourceos.agent_machine.provider_render:
    pod: "{{ lookup('ansible.builtin.file', 'pods/coder.yml') | from_yaml }}"
  register: rendered

- name: Render and write the units into a review directory on the node
  sourceos.agent_machine.provider_render:
    pod: "{{ coder_pod }}"
    dest: /etc/agent-machine/rendered/coder
"""

RETURN = r"""
target:
  description: C(quadlet) or C(kubernetes).
  returned: success
  type: str
files:
  description: The rendered files, each C(name), C(kind) and C(text).
  returned: success
  type: list
  elements: dict
manifests:
  description: The Kubernetes manifests (empty for Quadlet).
  returned: success
  type: list
  elements: dict
notes:
  description: What the activation decision's scope must state, for example that loopback serving keeps egress.
  returned: success
  type: list
  elements: str
deployment_receipt:
  description: The DeploymentReceipt; C(outcome) is C(written), C(unchanged) or C(planned) (check mode or no O(dest)).
  returned: success
  type: dict
plan_digest:
  description: Digest of the receipt's artifacts; the PolicyAdmission and ActivationDecision must name it.
  returned: success
  type: str
health_url:
  description: The provider's health URL as seen from the node (Quadlet, first published port), or null.
  returned: success
  type: str
directories:
  description: Folders on the node the server needs before it starts (the warm cache's C(prefix) slot folder).
  returned: success
  type: list
  elements: str
written:
  description: Per file C(name), C(path), C(changed), C(sha256) (with O(dest)).
  returned: when O(dest) is set
  type: list
  elements: dict
"""
