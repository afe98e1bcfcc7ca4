#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: machine_facts
short_description: Probe an agent inference node and return its AgentMachine document
version_added: "0.1.0"
description:
  - Reads C(/proc), C(/sys), C(/etc) and C(/usr/share) and runs a few read-only
    commands to describe the node that will serve LLM inference to agents.
  - Reports host and OS, CPU (Apple Silicon part names included), memory,
    hugepages and NUMA, accelerators (NVIDIA through NVML when C(pynvml) is
    importable, else C(nvidia-smi -q -x); AMD and Intel through sysfs; the
    Apple GPU on Asahi Linux through the C(asahi) DRM driver and Vulkan
    ICDs), LVM and device-mapper, agent storage paths, systemd, podman,
    Quadlet, CDI, cgroups and SELinux.
  - Classifies the node into a profile (for example C(m2-asahi-linux),
    C(linux-gpu-node), C(linux-edge-node)) with the evidence that decided it,
    and derives Node Feature Discovery and GPU Feature Discovery style labels.
  - Every section names the source it was read from. Missing or unreadable
    sources give partial facts and warnings, never a failure.
  - Changes nothing on the node.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
options:
  root:
    description:
      - Directory to read C(/proc), C(/sys), C(/etc), C(/usr/share) and
        C(/dev) under, to probe a captured machine or a chroot.
      - With any value other than C(/), no command is run, because commands
        would describe the running machine rather than the root; give
        O(recorded_commands) to replay the output recorded on the captured
        machine instead.
    type: path
    default: /
  recorded_commands:
    description:
      - JSON file of command output recorded on the captured machine under
        O(root), replayed instead of running commands. An object mapping
        each command line (for example C(nvidia-smi -q -x)) to an object
        with the keys C(rc), C(stdout) and C(stderr); a command that is not
        recorded counts as not installed.
      - Only with a O(root) other than C(/). The document names the file in
        C(probe.commandsReplayedFrom).
    type: path
  command_timeout:
    description:
      - Seconds after which a probe command (for example C(nvidia-smi)) is
        abandoned and reported as timed out.
    type: int
    default: 20
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
notes:
  - Target side needs only the Python standard library. C(pynvml) from the
    C(nvidia-ml-py) package is used when importable.
  - The document's schema is published as C(contracts/agent-machine.schema.json).
seealso:
  - name: Node Feature Discovery local features
    description: Format of the label file the probe role can write.
    link: https://kubernetes-sigs.github.io/node-feature-discovery/stable/usage/customization-guide.html#local-feature-source
"""

EXAMPLES = r"""
- name: Probe the node
  sourceos.agent_machine.machine_facts:

- name: Show the profile and the evidence for it
  ansible.builtin.debug:
    msg: "{{ ansible_facts.agent_machine.profile }}"

- name: Probe a captured machine unpacked under /srv/captures/m2
  sourceos.agent_machine.machine_facts:
    root: /srv/captures/m2

- name: Probe a captured GPU server, replaying the nvidia-smi and podman output recorded on it
  sourceos.agent_machine.machine_facts:
    root: /srv/captures/gpu-a100-01/root
    recorded_commands: /srv/captures/gpu-a100-01/commands.json
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    agent_machine:
      description:
        - The AgentMachine document (camelCase keys), validated by
          C(contracts/agent-machine.schema.json).
      returned: always
      type: dict
      contains:
        specVersion:
          description: Document format version.
          type: str
          sample: 0.1.0
        id:
          description: Machine id.
          type: str
          sample: urn:srcos:agent-machine:machine:gpu-a100-01
        host:
          description: Hostname, os-release, kernel, arch, page size, virtualization.
          type: dict
        cpu:
          description: Vendor, implementer, model and part names, sockets, cores, threads, flags, SoC.
          type: dict
        memory:
          description: Total and available bytes, hugepages, NUMA nodes.
          type: dict
        accelerators:
          description: GPU devices, NVIDIA driver and CUDA versions, Vulkan usability, accelerator types.
          type: dict
        storage:
          description: LVM physical volumes, volume groups and logical volumes, device-mapper, agent paths.
          type: dict
        runtime:
          description: systemd, podman, Quadlet, CDI, cgroup version, SELinux mode.
          type: dict
        profile:
          description: Profile name and the evidence that decided it.
          type: dict
          sample: {"name": "linux-edge-node", "evidence": ["no Apple SoC, kubelet or inference accelerator found; CPU inference only"]}
        labels:
          description: NFD and GFD style node labels.
          type: dict
          sample: {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB"}
        warnings:
          description: Sources that were missing or unreadable.
          type: list
          elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import CommandRunner, ReplayRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.document import build_document
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.recording import RecordingError, load_recording

try:
    import pynvml
except ImportError:
    pynvml = None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", default="/"),
            command_timeout=dict(type="int", default=20),
            recorded_commands=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    root, recording = module.params["root"], module.params["recorded_commands"]
    if not os.path.isdir(root):
        module.fail_json(msg="root: %r is not a directory" % root)
    if module.params["command_timeout"] < 1:
        module.fail_json(msg="command_timeout: must be at least 1 second, got %s" % module.params["command_timeout"])
    live = os.path.realpath(root) == "/"
    if recording and live:
        module.fail_json(msg="recorded_commands: replaying needs a root other than /, the running machine runs its commands")

    if live:
        runner = CommandRunner(timeout=module.params["command_timeout"])
    elif recording:
        try:
            runner = ReplayRunner(load_recording(recording))
        except RecordingError as exc:
            module.fail_json(msg="recorded_commands: %s" % exc)
    else:
        runner = None
    context = ProbeContext(root=root, runner=runner, nvml=pynvml if live else None, replayed_from=recording)
    document = build_document(context)
    for warning in document["warnings"]:
        module.warn(warning)
    module.exit_json(changed=False, ansible_facts={"agent_machine": document})


if __name__ == "__main__":
    main()
