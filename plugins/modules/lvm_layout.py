#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lvm_layout
short_description: Plan, then apply, the LVM part of an agent machine's storage layout
version_added: "0.1.0"
description:
  - Takes the LVM part of the C(agent_machine_storage) layout (see C(docs/storage.md)) and
    brings volume groups, an optional thin pool per volume group, and one logical volume
    per volume class to it.
  - Reads the host first (C(pvs), C(vgs), C(lvs -a) as JSON reports in bytes, C(blkid -p)
    signatures, C(blockdev --getsize64) sizes, C(/proc/self/mountinfo)), then plans every
    step, then applies the plan in order. Check mode returns the same plan and runs
    nothing.
  - Safe by default. A PV is never created over an existing signature, never taken from
    another volume group, and never removed unless listed in O(volume_groups[].remove_devices)
    and empty; PVs the layout does not list are kept and reported in RV(kept). Logical
    volumes never shrink unless O(allow_shrink) (and never with xfs). A volume group holding
    logical volumes is never removed unless O(allow_vg_removal).
  - Every refusal is reported, naming the volume, volume group or device and why, before
    anything runs; when there is any refusal nothing runs.
  - Sizes are bytes, binary units (C(200G), C(200GiB), C(1.5T)), C(N%VG) or C(N%FREE). Byte
    sizes round up to whole extents (as LVM does); percentages round down. C(N%FREE) is the
    free space at creation; an existing volume sized C(N%FREE) is kept as it is.
  - Volumes of class C(agent-cache-hot) are tmpfs and ignored here.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  volume_groups:
    description: Volume groups, in the order they are planned.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Volume group name. LVM allows C(A-Z a-z 0-9 + _ . -), not starting with C(-), at most 127 characters.
        type: str
        required: true
      devices:
        description:
          - Devices that make up the volume group. A device not yet in it is added (C(pvcreate),
            C(vgextend)); PVs of the volume group that are not listed are kept.
        type: list
        elements: str
        default: []
      remove_devices:
        description: PVs to take out of the volume group (C(vgreduce)); only when they hold no allocated extents.
        type: list
        elements: str
        default: []
      thin_pool:
        description: A thin pool in this volume group. Needs device-mapper, so it is refused with O(activate=false).
        type: dict
        suboptions:
          name:
            description: Thin pool LV name.
            type: str
            required: true
          size:
            description: Data size of the pool (bytes, units, C(N%VG), C(N%FREE)). Pools grow, never shrink.
            type: raw
            required: true
          overprovision_ratio:
            description: Ratio of virtual to pool size reported in RV(notes) (information only; TopoLVM uses it).
            type: float
      topolvm:
        description: TopoLVM device class of this volume group; ignored by this module.
        type: dict
      state:
        description: C(absent) removes the volume group (C(vgremove)); refused when it holds LVs unless O(allow_vg_removal).
        type: str
        choices: [present, absent]
        default: present
  volumes:
    description: One entry per volume class. Mount, owner and SELinux keys are accepted and ignored here.
    type: list
    elements: dict
    default: []
    suboptions:
      volume_class:
        description: Volume class. C(agent-cache-hot) is tmpfs and ignored by this module.
        type: str
        required: true
        choices: [agent-models, agent-cache-hot, agent-cache-warm, agent-cache-cold, agent-scratch, agent-evidence, agent-artifacts]
      volume_group:
        description: Volume group of the volume; required except for C(agent-cache-hot).
        type: str
      lv_name:
        description: Logical volume name; defaults to the class with C(-) replaced by C(_).
        type: str
      size:
        description: Size (bytes, units, C(N%VG), C(N%FREE)); a thin volume's virtual size.
        type: raw
      thin:
        description: Make a thin volume in the volume group's thin pool.
        type: bool
        default: false
      filesystem:
        description:
          - Filesystem created on a fresh LV (only with O(activate=true)), accepted when already present,
            grown with the LV (C(xfs_growfs) when mounted, C(resize2fs) for ext4).
        type: str
        choices: [xfs, ext4]
      mount_point:
        description: Ignored here (the storage role mounts).
        type: str
      mount_options:
        description: Ignored here.
        type: list
        elements: str
      owner:
        description: Ignored here.
        type: str
      group:
        description: Ignored here.
        type: str
      mode:
        description: Ignored here.
        type: raw
      selinux_type:
        description: Ignored here.
        type: str
  activate:
    description:
      - Activate logical volumes and manage their filesystems.
      - With C(false), every LVM command runs with C(--config global{activation=0}), every
        C(lvcreate) with C(--activate n --zero n --wipesignatures n), and no filesystem step is
        planned (reported in RV(skipped_steps)). Thin pools and thin volumes are refused then.
      - With C(true) on a host without device-mapper, any LV step is refused.
    type: bool
    default: true
  allow_shrink:
    description:
      - Allow shrinking an LV that is active and carries no signature (data past the new end is
        lost). Volumes with C(filesystem=xfs) never shrink; thin pools never shrink.
    type: bool
    default: false
  force_signatures:
    description: Wipe a signature to create a PV (C(wipefs --all)) or a filesystem (C(mkfs -f/-F)). Destroys data.
    type: bool
    default: false
  allow_vg_removal:
    description: Allow C(state=absent) to remove a volume group that holds logical volumes (and their data).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Reads the host and returns the plan; runs no command that changes anything.
  diff_mode:
    support: full
    details: Volume groups (size, free, PVs) and logical volumes (size, attr) before and after.
  platform:
    platforms: posix
notes:
  - Target side needs only the Python standard library and the C(lvm2) tools (plus C(xfsprogs) or
    C(e2fsprogs) for filesystems).
  - An xfs filesystem grows only while mounted; when its LV is grown while unmounted the growth is
    reported in RV(skipped_steps) and the filesystem keeps its old size.
seealso:
  - name: lvmthin(7)
    description: LVM thin provisioning.
    link: https://man7.org/linux/man-pages/man7/lvmthin.7.html
"""

EXAMPLES = r"""
- name: Plan the layout without changing anything
  sourceos.agent_machine.lvm_layout:
    volume_groups:
      - name: vg_agent
        devices: [/dev/nvme1n1]
    volumes:
      - volume_class: agent-models
        volume_group: vg_agent
        size: 200G
        filesystem: xfs
  check_mode: true
  register: storage_plan

- name: Apply it from the inventory's layout
  sourceos.agent_machine.lvm_layout:
    volume_groups: "{{ agent_machine_storage.volume_groups }}"
    volumes: "{{ agent_machine_storage.volumes }}"
    activate: "{{ agent_machine_storage.activate | default(true) }}"

- name: Metadata only, for hosts without device-mapper (a VG and a linear LV on a loop device)
  sourceos.agent_machine.lvm_layout:
    volume_groups:
      - name: vg_test
        devices: [/dev/loop3]
    volumes:
      - volume_class: agent-scratch
        volume_group: vg_test
        size: 50%VG
    activate: false
"""

RETURN = r"""
plan:
  description: The planned steps in order (empty when the host matches the layout).
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: wipefs, pvcreate, vgcreate, vgextend, vgreduce, vgremove, lvcreate, lvextend, lvreduce, lvchange, mkfs, xfs_growfs, e2fsck or resize2fs.
      type: str
    target:
      description: The device, volume group (C(vg)) or logical volume (C(vg/lv)) it acts on.
      type: str
    command:
      description: The command line that runs.
      type: str
      sample: lvcreate --config global{activation=0} -n agent_models -L 104857600b --activate n --zero n --wipesignatures n vg_agent
    reason:
      description: Why the step is needed.
      type: str
refusals:
  description: Why the layout cannot be applied safely; when not empty the module fails and nothing ran.
  returned: always
  type: list
  elements: str
kept:
  description: PVs left in place although the layout does not list them, with the reason.
  returned: when the state could be read
  type: list
  elements: dict
skipped_steps:
  description:
    - Steps that are not run here (for example mkfs with activate false), each with action, target and reason.
    - Not called C(skipped), which Ansible reserves (a true C(skipped) marks the whole task as skipped).
  returned: when the state could be read
  type: list
  elements: dict
notes:
  description: Information such as thin-pool overprovisioning and ignored tmpfs volumes.
  returned: when the state could be read
  type: list
  elements: str
lvm:
  description: The volume groups and logical volumes of the layout after the run (predicted in check mode).
  returned: success
  type: dict
  sample: {"volume_groups": {"vg_agent": {"size": 264241152, "free": 104857600, "pvs": ["/dev/loop0"]}},
           "logical_volumes": {"vg_agent/agent_models": {"size": 104857600, "attr": "-wi-XX----"}}}
ran:
  description: The commands that ran, with rc, stdout and stderr.
  returned: when the plan was applied
  type: list
  elements: dict
failed_command:
  description: The command that failed (action, target, command, rc, stdout, stderr).
  returned: when a command failed
  type: dict
not_run:
  description: The planned commands after the failed one, which did not run.
  returned: when a command failed
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import CommandRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.executor import (
    READ_TIMEOUT_SECONDS,
    apply_layout,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.layout import VOLUME_CLASSES

VOLUME_GROUP_OPTIONS = dict(
    name=dict(type="str", required=True),
    devices=dict(type="list", elements="str", default=[]),
    remove_devices=dict(type="list", elements="str", default=[]),
    thin_pool=dict(type="dict", options=dict(
        name=dict(type="str", required=True),
        size=dict(type="raw", required=True),
        overprovision_ratio=dict(type="float"),
    )),
    topolvm=dict(type="dict"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)

VOLUME_OPTIONS = dict(
    volume_class=dict(type="str", required=True, choices=list(VOLUME_CLASSES)),
    volume_group=dict(type="str"),
    lv_name=dict(type="str"),
    size=dict(type="raw"),
    thin=dict(type="bool", default=False),
    filesystem=dict(type="str", choices=["xfs", "ext4"]),
    mount_point=dict(type="str"),
    mount_options=dict(type="list", elements="str"),
    owner=dict(type="str"),
    group=dict(type="str"),
    mode=dict(type="raw"),
    selinux_type=dict(type="str"),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            volume_groups=dict(type="list", elements="dict", default=[], options=VOLUME_GROUP_OPTIONS),
            volumes=dict(type="list", elements="dict", default=[], options=VOLUME_OPTIONS),
            activate=dict(type="bool", default=True),
            allow_shrink=dict(type="bool", default=False),
            force_signatures=dict(type="bool", default=False),
            allow_vg_removal=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    runner = CommandRunner(timeout=READ_TIMEOUT_SECONDS, env={"LVM_SUPPRESS_FD_WARNINGS": "1"})
    failed, result = apply_layout(module.params, runner, check_mode=module.check_mode, want_diff=module._diff)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    for item in result.get("skipped_steps", []):
        if item["action"] == "xfs_growfs":
            module.warn(item["reason"])
    if failed:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
