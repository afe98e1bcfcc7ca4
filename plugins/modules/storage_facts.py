#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: storage_facts
short_description: Report what each agent volume really is, as StorageReceipt documents
version_added: "0.1.0"
description:
  - For each volume of the storage layout, looks at the node and reports what
    is there, not what was asked for, as a StorageReceipt document
    (C(contracts/storage-receipt.schema.json)).
  - Observes the backend (C(lvm-linear), C(lvm-thin), C(tmpfs) or
    C(directory)), the volume group, logical volume and thin pool (from
    C(lvs), or from device-mapper in sysfs when C(lvs) cannot run), the
    filesystem type (from C(/proc/self/mountinfo) when mounted, from
    C(blkid -p) when an active LV is not mounted), the mount and the options
    in effect, the C(/etc/fstab) entries, the capacity (C(statvfs) when
    mounted, else the LV size), owner, group, mode and SELinux type of the
    mount point, whether the path or a parent is writable by others or goes
    through a symbolic link, dm-crypt/LUKS encryption anywhere under the
    volume's device, and quota.
  - Compares the observation with the request and reports every difference
    (wrong backend or LV, not mounted, wrong filesystem, requested mount
    options not in effect, missing or duplicate C(/etc/fstab) entries, wrong
    owner, group, mode or SELinux type, smaller size, world-writable or
    symlinked path) in RV(storage_volumes).
  - A volume of which nothing exists (no LV, no mount, no directory) gets no
    receipt; its status is C(missing).
  - Symbolic links in the mount path are resolved inside O(root); nothing is
    read through a link that points out of it.
  - Changes nothing on the node.
author:
  - sourceos.agent_machine contributors (@sourceos)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
options:
  volumes:
    description:
      - The volumes of the storage layout, in the format of
        C(agent_machine_storage.volumes) (see C(docs/storage.md)).
      - The requested backend follows from the entry. C(agent-cache-hot) is
        always C(tmpfs); an entry with O(volumes[].volume_group) is an LVM
        volume (C(lvm-thin) with O(volumes[].thin)); any other entry is a
        plain C(directory).
    type: list
    elements: dict
    default: []
    suboptions:
      volume_class:
        description: The volume class.
        type: str
        required: true
        choices:
          - agent-models
          - agent-cache-hot
          - agent-cache-warm
          - agent-cache-cold
          - agent-scratch
          - agent-evidence
          - agent-artifacts
      volume_group:
        description: Volume group of an LVM volume.
        type: str
      lv_name:
        description:
          - Logical volume name.
          - Defaults to the volume class with C(-) replaced by C(_).
        type: str
      thin:
        description: The LV is a thin volume in the volume group's thin pool.
        type: bool
        default: false
      size:
        description:
          - Requested size; bytes, or a size such as C(200G) or C(200GiB)
            (powers of 1024, as LVM reads them), or C(50%VG) / C(100%FREE).
          - An observed LV (or tmpfs) smaller than an absolute size is a
            mismatch; relative sizes are not compared.
        type: raw
      filesystem:
        description: Requested filesystem of an LVM volume.
        type: str
        choices: [xfs, ext4, tmpfs]
      mount_point:
        description: Where the volume is mounted (absolute path).
        type: path
        required: true
      mount_options:
        description:
          - Options that must be in effect on the mount and present in its
            C(/etc/fstab) entry.
          - Options the kernel does not report (C(defaults), C(nofail),
            C(x-*)) are checked in C(/etc/fstab) only.
        type: list
        elements: str
        default: []
      owner:
        description: Requested owner (name or uid) of the mount point.
        type: str
      group:
        description: Requested group (name or gid) of the mount point.
        type: str
      mode:
        description: Requested mode of the mount point, octal, for example C("0750").
        type: raw
      selinux_type:
        description: Requested SELinux type; compared only where the label can be read.
        type: str
  root:
    description:
      - Directory to read C(/proc), C(/sys), C(/dev) and C(/etc) and the mount
        points under, to inspect a captured machine or a chroot.
      - With any value other than C(/), no command is run (C(lvs), C(blkid)),
        because commands would describe the running machine rather than the
        root, and free/used space is not reported.
    type: path
    default: /
  machine_id:
    description:
      - Id of the machine the receipts are about,
        C(urn:srcos:agent-machine:machine:<slug>).
      - Defaults to the id the probe (M(sourceos.agent_machine.machine_facts))
        derives from the hostname.
    type: str
  command_timeout:
    description: Seconds after which C(lvs) or C(blkid) is abandoned.
    type: int
    default: 20
  lvm_plan:
    description:
      - The C(plan) that M(sourceos.agent_machine.lvm_layout) returned in this run. A volume whose LV it
        created or extended gets C(outcome=created) or C(extended) (C(planned) in check mode); others
        C(unchanged).
    type: list
    elements: dict
    default: []
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
  - Target side needs only the Python standard library.
  - This module changes nothing; a receipt's C(outcome) says what O(lvm_plan) did to the volume.
  - The StorageReceipt contract has no field for differences from the
    request, so they are returned beside the receipts in RV(storage_volumes).
  - Quota is reported as the bound on the volume's size, C(lv-size) for LVM
    volumes and C(tmpfs-size) for a tmpfs with a size; project quotas
    (C(xfs-project), C(ext4-project)) for a directory on a filesystem that
    enforces them. User and group quota options show in C(mount.options) and
    RV(storage_volumes[].quota_options).
seealso:
  - module: sourceos.agent_machine.machine_facts
  - module: sourceos.agent_machine.receipt
"""

EXAMPLES = r"""
- name: Inspect the agent volumes of the layout
  sourceos.agent_machine.storage_facts:
    volumes: "{{ agent_machine_storage.volumes }}"
  register: storage

- name: Record a receipt per volume
  sourceos.agent_machine.receipt:
    document: "{{ item }}"
  loop: "{{ storage.storage_receipts }}"

- name: Stop when a volume differs from the layout
  ansible.builtin.assert:
    that: storage.storage_volumes | rejectattr('status', 'equalto', 'present') | list | length == 0
    fail_msg: "{{ storage.storage_volumes | map(attribute='mismatches') | flatten | map(attribute='message') | list }}"

- name: Inspect a directory-backed scratch volume of a captured machine
  sourceos.agent_machine.storage_facts:
    root: /srv/captures/m2
    machine_id: urn:srcos:agent-machine:machine:m2-air
    volumes:
      - volume_class: agent-scratch
        mount_point: /var/lib/agent-machine/scratch
        owner: root
        mode: "0750"
"""

RETURN = r"""
storage_receipts:
  description:
    - One StorageReceipt document (camelCase keys) per volume that exists,
      in the order of O(volumes); validated by
      C(contracts/storage-receipt.schema.json).
  returned: always
  type: list
  elements: dict
  sample:
    - specVersion: 0.1.0
      kind: StorageReceipt
      id: urn:srcos:agent-machine:storage-receipt:gpu-01-agent-models
      agentMachineId: urn:srcos:agent-machine:machine:gpu-01
      agentPodId: null
      volumeClass: agent-models
      backend: lvm-linear
      lvm: {vgName: vg_agent, lvName: agent_models, thinPool: null, lvUuid: Ab1cDe-2FgH-3iJk-4LmN-5oPq-6RsT-7uVwXy,
            devicePath: /dev/vg_agent/agent_models, active: true}
      filesystem: {type: xfs, uuid: 4b6d2c1e-8f3a-4e57-9d21-7c0b5a9e3f10, created: false}
      mount: {path: /var/lib/agent-machine/models, mounted: true, options: [rw, nosuid, nodev, noexec, relatime], inFstab: true}
      capacity: {sizeBytes: 214643507200, freeBytes: 213125287936, usedBytes: 1518219264}
      ownership: {owner: root, group: root, mode: "0750", selinuxType: null}
      checks: {worldWritable: false, symlinkInPath: false}
      encryption: {observed: false, method: null}
      quota: {enforced: true, method: lv-size, limitBytes: 214748364800}
      outcome: unchanged
      recordedAt: "2026-03-02T09:31:12Z"
storage_volumes:
  description: For every requested volume, in order, whether it is there as requested.
  returned: always
  type: list
  elements: dict
  contains:
    volume_class:
      description: The requested volume class.
      type: str
    mount_point:
      description: The requested mount point.
      type: str
    requested_backend:
      description: The backend the request implies.
      type: str
      sample: lvm-linear
    status:
      description: C(present) (as requested), C(mismatch) (see RV(storage_volumes[].mismatches)) or C(missing) (nothing found; no receipt).
      type: str
      sample: mismatch
    receipt_id:
      description: Id of the volume's receipt; null when missing.
      type: str
    mismatches:
      description: Every difference from the request, each with a stable C(code), the C(field) of the request and a C(message).
      type: list
      elements: dict
      sample: [{"code": "mount-option-missing", "field": "volumes[0].mount_options[2]",
                "message": "/var/lib/agent-machine/models: noexec requested, not in effect (rw,nosuid,nodev,relatime)"}]
    fstab_entries:
      description: How many C(/etc/fstab) lines mount on the mount point.
      type: int
    world_writable_paths:
      description: The mount point or parents writable by others without the sticky bit.
      type: list
      elements: str
    symlinks:
      description: Symbolic links met on the way to the mount point.
      type: list
      elements: str
    quota_options:
      description: Quota options in effect on the volume's filesystem.
      type: list
      elements: str
    notes:
      description: What could not be observed and why.
      type: list
      elements: str
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    agent_machine_volumes:
      description:
        - RV(storage_receipts) as C(receipts) and RV(storage_volumes) as C(volumes).
        - Named apart from the layout variable C(agent_machine_storage), which a fact of that name would shadow.
      type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import CommandRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.volumes import (
    check_machine_id,
    inspect_volumes,
    outcomes_from_plan,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.request import LayoutError, VOLUME_CLASSES, normalize_volumes

VOLUME_OPTIONS = dict(
    volume_class=dict(type="str", required=True, choices=list(VOLUME_CLASSES)),
    volume_group=dict(type="str"),
    lv_name=dict(type="str"),
    thin=dict(type="bool", default=False),
    size=dict(type="raw"),
    filesystem=dict(type="str", choices=["xfs", "ext4", "tmpfs"]),
    mount_point=dict(type="path", required=True),
    mount_options=dict(type="list", elements="str", default=[]),
    owner=dict(type="str"),
    group=dict(type="str"),
    mode=dict(type="raw"),
    selinux_type=dict(type="str"),
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            volumes=dict(type="list", elements="dict", default=[], options=VOLUME_OPTIONS),
            root=dict(type="path", default="/"),
            machine_id=dict(type="str"),
            command_timeout=dict(type="int", default=20),
            lvm_plan=dict(type="list", elements="dict", default=[]),
        ),
        supports_check_mode=True,
    )
    root = module.params["root"]
    if not os.path.isdir(root):
        module.fail_json(msg="root: %r is not a directory" % root)
    if module.params["command_timeout"] < 1:
        module.fail_json(msg="command_timeout: must be at least 1 second, got %s" % module.params["command_timeout"])
    try:
        requests = normalize_volumes(module.params["volumes"])
        if module.params["machine_id"] is not None:
            check_machine_id(module.params["machine_id"])
    except (LayoutError, ValueError) as exc:
        module.fail_json(msg=str(exc))

    live = os.path.realpath(root) == "/"
    runner = CommandRunner(timeout=module.params["command_timeout"]) if live else None
    context = ProbeContext(root=root, runner=runner)
    outcomes = outcomes_from_plan(module.params["lvm_plan"], check_mode=module.check_mode)
    receipts, volumes = inspect_volumes(context, requests, machine=module.params["machine_id"], outcomes=outcomes)
    for warning in context.warnings:
        module.warn(warning)
    module.exit_json(changed=False, storage_receipts=receipts, storage_volumes=volumes,
                     ansible_facts={"agent_machine_volumes": {"receipts": receipts, "volumes": volumes}})


if __name__ == "__main__":
    main()
