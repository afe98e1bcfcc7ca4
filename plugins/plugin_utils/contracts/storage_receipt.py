# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""StorageReceipt: what the storage step observed about one volume of one volume class on one machine."""

from __future__ import annotations

from typing import Annotated, List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    AbsolutePath, ByteSize, Document, MachineId, PodId, Reason, Section, StorageReceiptId, Timestamp, VolumeClass, rule,
)

StorageBackend = Literal["lvm-linear", "lvm-thin", "tmpfs", "directory"]
LvmName = Annotated[str, Field(min_length=1, max_length=127, pattern=r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$")]


class LvmVolume(Section):
    vg_name: LvmName
    lv_name: LvmName
    thin_pool: Optional[LvmName] = Field(default=None, description="Thin pool the LV lives in (lvm-thin only).")
    lv_uuid: Optional[str] = None
    device_path: Optional[AbsolutePath] = None
    active: bool


class Filesystem(Section):
    type: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9._-]+$")] = Field(description="xfs, ext4, tmpfs, …")
    uuid: Optional[str] = None
    created: bool = Field(description="The storage step created this filesystem in this run.")


class Mount(Section):
    path: AbsolutePath
    mounted: bool
    options: List[str] = []
    in_fstab: bool


class Capacity(Section):
    size_bytes: ByteSize
    free_bytes: Optional[ByteSize] = Field(default=None, description="Null when the volume is not mounted.")
    used_bytes: Optional[ByteSize] = None


class Ownership(Section):
    owner: Annotated[str, Field(min_length=1, max_length=256)]
    group: Annotated[str, Field(min_length=1, max_length=256)]
    mode: Annotated[str, Field(pattern=r"^[0-7]{4}$")] = Field(description="Octal, four digits, e.g. 0750.")
    selinux_type: Optional[str] = None


class PathChecks(Section):
    world_writable: bool = Field(description="The mount path (or a parent) is writable by others without the sticky bit.")
    symlink_in_path: bool = Field(description="The mount path or one of its parents is a symbolic link.")


class Encryption(Section):
    observed: bool
    method: Optional[Literal["luks1", "luks2", "dm-crypt"]] = None


class Quota(Section):
    enforced: bool
    method: Optional[Literal["lv-size", "xfs-project", "ext4-project", "tmpfs-size"]] = None
    limit_bytes: Optional[ByteSize] = None


class StorageReceipt(Document):
    """One volume as provisioned and observed."""

    model_config = {"json_schema_extra": {"allOf": [
        rule({"backend": {"enum": ["lvm-linear", "lvm-thin"]}}, {"lvm": {"type": "object"}}, required=["lvm"]),
        rule({"backend": {"const": "lvm-thin"}},
             {"lvm": {"required": ["thinPool"], "properties": {"thinPool": {"type": "string"}}}}),
    ]}}

    kind: Literal["StorageReceipt"]
    id: StorageReceiptId
    agent_machine_id: MachineId
    agent_pod_id: Optional[PodId] = Field(default=None, description="The pod the volume was provisioned for; null: shared by the machine.")
    volume_class: VolumeClass
    backend: StorageBackend
    lvm: Optional[LvmVolume] = Field(default=None, description="LVM placement (lvm-linear and lvm-thin only).")
    filesystem: Optional[Filesystem] = Field(
        description="Null when no filesystem was observed: the LV is inactive or carries no filesystem signature.")
    mount: Mount
    capacity: Optional[Capacity] = Field(description="Null when no size could be observed.")
    ownership: Optional[Ownership] = Field(description="Null when the mount path does not exist.")
    checks: PathChecks
    encryption: Encryption
    quota: Quota
    outcome: Literal["created", "extended", "unchanged", "planned"] = Field(
        description="What the storage step did; planned in check mode.")
    mismatches: List[Reason] = Field(
        default_factory=list,
        description="How the observed volume differs from the requested one (not mounted, missing mount option, "
                    "wrong owner or mode, world-writable path, ...). Empty when it is as requested.")
    recorded_at: Timestamp

    def model_post_init(self, context, /):
        if self.backend in ("lvm-linear", "lvm-thin") and self.lvm is None:
            raise ValueError("lvm is required when backend is %s" % self.backend)
        if self.backend == "lvm-thin" and self.lvm is not None and self.lvm.thin_pool is None:
            raise ValueError("lvm.thinPool is required when backend is lvm-thin")
