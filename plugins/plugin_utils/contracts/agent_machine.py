# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AgentMachine: what the probe (machine_facts) reports about one node."""

from __future__ import annotations

from typing import Dict, List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Contract, Field

Profile = Literal[
    "m2-asahi-linux", "m1-asahi-linux", "sourceos-workstation", "fedora-silverblue",
    "linux-gpu-node", "linux-edge-node", "kubernetes-node",
]
AcceleratorType = Literal["cpu", "cuda", "rocm", "vulkan", "metal", "mlx", "unknown"]
Source = str


class OsRelease(Contract):
    id: Optional[str]
    id_like: List[str]
    version_id: Optional[str]
    pretty_name: Optional[str]
    variant_id: Optional[str]
    source: Source


class Kernel(Contract):
    release: Optional[str]
    version: Optional[str]
    source: Source


class Virtualization(Contract):
    type: Optional[str]
    role: Optional[Literal["host", "guest", "container"]]
    source: Source


class DeviceTree(Contract):
    model: Optional[str]
    compatible: List[str]


class Dmi(Contract):
    sys_vendor: Optional[str]
    product_name: Optional[str]
    board_vendor: Optional[str]


class Host(Contract):
    hostname: Optional[str]
    os: OsRelease
    kernel: Kernel
    arch: Optional[str]
    page_size_bytes: Optional[int]
    virtualization: Virtualization
    device_tree: Optional[DeviceTree]
    dmi: Optional[Dmi]
    source: Source


class CpuPart(Contract):
    implementer: Optional[str]
    part: Optional[str]
    name: Optional[str]
    count: int


class Soc(Contract):
    compatible: str
    name: str


class Cpu(Contract):
    vendor: Optional[str]
    implementer: Optional[str]
    model_name: Optional[str]
    family: Optional[str] = None
    model_id: Optional[str] = None
    parts: List[CpuPart]
    sockets: Optional[int]
    cores: Optional[int]
    threads: Optional[int]
    flags: List[str]
    soc: Optional[Soc]
    source: Source


class Hugepages(Contract):
    default_size_bytes: Optional[int]
    total: Optional[int]
    free: Optional[int]


class NumaNode(Contract):
    id: int
    total_bytes: Optional[int]
    cpus: Optional[str]


class Memory(Contract):
    total_bytes: Optional[int]
    available_bytes: Optional[int]
    swap_total_bytes: Optional[int]
    hugepages: Hugepages
    numa_nodes: List[NumaNode]
    source: Source


class MigInstance(Contract):
    index: int
    uuid: Optional[str]
    name: Optional[str]
    memory_bytes: Optional[int]
    gpu_instance_id: Optional[int]
    compute_instance_id: Optional[int]


class Mig(Contract):
    mode: Literal["enabled", "disabled"]
    pending_mode: Optional[Literal["enabled", "disabled"]]
    instances: List[MigInstance]


class AcceleratorDevice(Contract):
    index: int
    type: AcceleratorType
    vendor: Literal["nvidia", "amd", "intel", "apple", "other"]
    vendor_id: Optional[str]
    device_id: Optional[str]
    name: str
    uuid: Optional[str]
    memory_bytes: Optional[int]
    unified_memory: bool
    compute_capability: Optional[str]
    architecture: Optional[str]
    pci_address: Optional[str]
    driver: Optional[str]
    render_node: Optional[str]
    mig: Optional[Mig]
    source: Source


class NvidiaDriver(Contract):
    driver_version: Optional[str]
    cuda_driver_version: Optional[str]
    source: Source


class VulkanIcd(Contract):
    path: str
    library_path: Optional[str]
    library_found: bool
    api_version: Optional[str]
    driver: Optional[str]


class RenderNode(Contract):
    path: str
    driver: Optional[str]
    software: bool


class VulkanDevice(Contract):
    name: str
    type: Optional[str]
    driver_name: Optional[str]


class Vulkan(Contract):
    usable: bool
    icds: List[VulkanIcd]
    render_nodes: List[RenderNode]
    devices: List[VulkanDevice]
    source: Source


class AcceleratorTypes(Contract):
    cpu: Literal[True]
    cuda: bool
    rocm: bool
    vulkan: bool
    metal: Literal[False] = Field(description="Metal is never available on Linux.")
    mlx: bool


class Accelerators(Contract):
    devices: List[AcceleratorDevice]
    nvidia: Optional[NvidiaDriver]
    vulkan: Vulkan
    types: AcceleratorTypes
    source: Source


class Lvm(Contract):
    available: bool
    version: Optional[str]
    pvs: List[Dict[str, object]]
    vgs: List[Dict[str, object]]
    lvs: List[Dict[str, object]]
    source: Source


class DeviceMapper(Contract):
    available: bool
    source: Source


class AgentPath(Contract):
    path: str
    exists: bool
    mount_point: Optional[str]
    device: Optional[str]
    fstype: Optional[str]
    options: List[str]
    size_bytes: Optional[int]
    free_bytes: Optional[int]


class Storage(Contract):
    lvm: Lvm
    device_mapper: DeviceMapper
    agent_paths: List[AgentPath]
    source: Source


class Systemd(Contract):
    version: Optional[int]
    state: Optional[str]
    pid1: bool
    source: Source


class Podman(Contract):
    available: bool
    version: Optional[str]
    source: Source


class Quadlet(Contract):
    available: bool
    generator_path: Optional[str]
    reason: str


class Cdi(Contract):
    specs: List[str]
    devices: List[str]


class Cgroup(Contract):
    version: Optional[Literal["v1", "v2", "hybrid"]]
    controllers: List[str]
    source: Source


class Selinux(Contract):
    mode: Literal["enforcing", "permissive", "disabled"]
    source: Source


class Runtime(Contract):
    systemd: Systemd
    podman: Podman
    quadlet: Quadlet
    cdi: Cdi
    cgroup: Cgroup
    selinux: Selinux
    source: Source


class ProfileVerdict(Contract):
    name: Profile
    evidence: List[str] = Field(min_length=1)


class ProbeRun(Contract):
    version: str
    root: str
    live: bool
    commands_run: bool
    # The recording the commands' output was replayed from, when the root is a captured machine.
    commands_replayed_from: Optional[str] = None
    duration_seconds: float


class AgentMachine(Contract):
    """One node as the probe saw it."""

    spec_version: Literal["0.1.0"]
    kind: Literal["AgentMachine"]
    id: str = Field(pattern=r"^urn:srcos:agent-machine:machine:[a-z0-9][a-z0-9-]*$")
    observed_at: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
    probe: ProbeRun
    host: Host
    cpu: Cpu
    memory: Memory
    accelerators: Accelerators
    storage: Storage
    runtime: Runtime
    profile: ProfileVerdict
    labels: Dict[str, str]
    warnings: List[str]
