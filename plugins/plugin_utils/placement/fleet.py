# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet as placement sees it: fixed facts of every machine, as numpy arrays in machine-id order.

Built from AgentMachine documents (the probe's facts) plus what the probe
does not know: which volume classes are provisioned, the policy scope of
each machine, and which machines are cordoned. What changes while a batch
is placed (used capacity, resident models, warm caches) is in ``state.py``.

Accelerators become device slots: one per probed device, or one per MIG
instance when MIG is enabled. A discrete device has its own memory; a
unified-memory device (Apple silicon) has none of its own and draws from
the machine's RAM (its own memory counts as unlimited). A CUDA or ROCm device also serves Vulkan when the
machine has a usable Vulkan driver.
"""

from __future__ import annotations

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement._numpy import numpy as np

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import VOLUME_CLASSES

__all__ = [
    "ACCELERATOR_BITS", "EXPOSURE_BITS", "VOLUME_BITS", "Device", "Fleet", "MachineFacts", "Scope", "machine_facts",
]

ACCELERATOR_BITS = {name: 1 << shift for shift, name in enumerate(("cpu", "cuda", "rocm", "vulkan", "metal", "mlx", "unknown"))}
VOLUME_BITS = {name: 1 << shift for shift, name in enumerate(VOLUME_CLASSES)}
EXPOSURE_BITS = {name: 1 << shift for shift, name in enumerate(("none", "loopback", "host", "cluster", "ingress"))}
ALL_EXPOSURES = sum(EXPOSURE_BITS.values())
_VULKAN_CAPABLE = ("cuda", "rocm")


class Device:
    """One schedulable accelerator: a GPU, or a MIG instance of one."""

    def __init__(self, label, types, memory, unified):
        self.label = label
        self.types = types
        self.memory = memory
        self.unified = unified


class Scope:
    """What a machine's policy allows to be placed on it; None: no restriction."""

    def __init__(self, allowed_providers=None, denied_providers=(), allowed_exposures=None, denied_exposures=()):
        self.allowed_providers = None if allowed_providers is None else frozenset(allowed_providers)
        self.denied_providers = frozenset(denied_providers)
        self.allowed_exposures = None if allowed_exposures is None else frozenset(allowed_exposures)
        self.denied_exposures = frozenset(denied_exposures)

    def allows_provider(self, provider):
        if provider in self.denied_providers:
            return False
        return self.allowed_providers is None or provider in self.allowed_providers

    def exposure_bits(self):
        """(allowed, denied) exposure bit sets."""
        allowed = ALL_EXPOSURES if self.allowed_exposures is None else _bits(EXPOSURE_BITS, self.allowed_exposures)
        return allowed, _bits(EXPOSURE_BITS, self.denied_exposures)


def _bits(table, names):
    total = 0
    for name in names:
        total |= table[name]
    return total


class MachineFacts:
    """One machine's fixed facts."""

    def __init__(self, machine_id, arch, profile, cpus, memory, devices, volume_classes, scope, cordoned):
        self.id = machine_id
        self.arch = arch
        self.profile = profile
        self.cpus = cpus
        self.memory = memory
        self.devices = devices
        self.volume_classes = volume_classes
        self.scope = scope
        self.cordoned = cordoned


def _devices(accelerators):
    vulkan = bool((accelerators.get("types") or {}).get("vulkan"))
    devices = []
    for device in accelerators.get("devices") or []:
        kind = device["type"]
        types = ACCELERATOR_BITS[kind]
        if vulkan and kind in _VULKAN_CAPABLE:
            types |= ACCELERATOR_BITS["vulkan"]
        label = "%s device %d (%s)" % (kind, device["index"], device["name"])
        mig = device.get("mig") or {}
        if mig.get("mode") == "enabled" and mig.get("instances"):
            for instance in mig["instances"]:
                devices.append(Device("%s MIG instance %d" % (label, instance["index"]), ACCELERATOR_BITS[kind],
                                      float(instance.get("memoryBytes") or 0), False))
            continue
        unified = bool(device.get("unifiedMemory"))
        memory = float("inf") if unified else float(device.get("memoryBytes") or 0)
        devices.append(Device(label, types, memory, unified))
    return devices


def machine_facts(document, volume_classes=None, scope=None, cordoned=False):
    """MachineFacts of a validated AgentMachine document.

    ``volume_classes``: the classes provisioned on it, or None when unknown.
    CPUs are the hardware threads (cores when threads are unknown).
    """
    cpu = document["cpu"]
    return MachineFacts(
        machine_id=document["id"],
        arch=document["host"].get("arch"),
        profile=document["profile"]["name"],
        cpus=float(cpu.get("threads") or cpu.get("cores") or 0),
        memory=float(document["memory"].get("totalBytes") or 0),
        devices=_devices(document["accelerators"]),
        volume_classes=None if volume_classes is None else frozenset(volume_classes),
        scope=scope or Scope(),
        cordoned=cordoned,
    )


class Fleet:
    """Every machine's fixed facts as arrays, rows in machine-id order."""

    def __init__(self, machines, memory_reserved_fraction=0.0, cpu_reserved_fraction=0.0):
        self.machines = sorted(machines, key=lambda machine: machine.id)
        self.ids = [machine.id for machine in self.machines]
        self.index = {machine_id: row for row, machine_id in enumerate(self.ids)}
        self.size = len(self.machines)
        self.arch = [machine.arch for machine in self.machines]
        self.profile = [machine.profile for machine in self.machines]
        self.cordoned = np.array([machine.cordoned for machine in self.machines], dtype=bool)
        self.cpu_capacity = np.array([machine.cpus for machine in self.machines]) * (1.0 - cpu_reserved_fraction)
        self.ram_capacity = np.array([machine.memory for machine in self.machines]) * (1.0 - memory_reserved_fraction)
        self.volume_known = np.array([machine.volume_classes is not None for machine in self.machines], dtype=bool)
        self.volume_bits = np.array([_bits(VOLUME_BITS, machine.volume_classes or ()) for machine in self.machines],
                                    dtype=np.int64)
        exposure = [machine.scope.exposure_bits() for machine in self.machines]
        self.exposure_allowed = np.array([allowed for allowed, _denied in exposure], dtype=np.int64)
        self.exposure_denied = np.array([denied for _allowed, denied in exposure], dtype=np.int64)
        self._build_devices()
        self._build_type_tables()
        self._cache = {}

    def _build_devices(self):
        # Slot-major (slots x machines): sums over a machine's slots are then sums of a few rows, fast in numpy.
        slots = max([len(machine.devices) for machine in self.machines] + [1])
        self.device_slots = slots
        self.device_types = np.zeros((slots, self.size), dtype=np.int64)
        self.device_memory = np.zeros((slots, self.size))
        self.device_unified = np.zeros((slots, self.size), dtype=bool)
        self.device_labels = []
        for row, machine in enumerate(self.machines):
            for slot, device in enumerate(machine.devices):
                self.device_types[slot, row] = device.types
                self.device_memory[slot, row] = device.memory
                self.device_unified[slot, row] = device.unified
            self.device_labels.append([device.label for device in machine.devices])
        discrete = np.where(self.device_unified, 0.0, self.device_memory)
        self.device_memory_total = discrete.sum(axis=0)

    def _build_type_tables(self):
        """Per accelerator type: which slots serve it, how many, unified or not, the largest device."""
        self._serves, self._count, self._has, self._unified, self._largest, self._discrete = {}, {}, {}, {}, {}, {}
        for name, bit in ACCELERATOR_BITS.items():
            serves = (self.device_types & bit) != 0
            self._serves[name] = serves
            self._discrete[name] = serves & ~self.device_unified
            self._count[name] = np.add.reduce(serves, axis=0, dtype=np.int32)
            self._has[name] = self._count[name] > 0
            self._unified[name] = (serves & self.device_unified).any(axis=0)
            self._largest[name] = np.where(serves & ~self.device_unified, self.device_memory, 0.0).max(axis=0)

    def _cached(self, key, build):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def serves(self, accelerator_type):
        """(slots x machines) bool: device slots that serve this accelerator type."""
        return self._serves[accelerator_type]

    def discrete_serves(self, accelerator_type):
        """(slots x machines) bool: discrete (not unified-memory) device slots that serve this type."""
        return self._discrete[accelerator_type]

    def device_count(self, accelerator_type):
        """(machines,) int: devices of this type on each machine."""
        return self._count[accelerator_type]

    def has_accelerator(self, accelerator_type):
        """(machines,) bool: machines with at least one device of this type."""
        return self._has[accelerator_type]

    def unified_for(self, accelerator_type):
        """(machines,) bool: machines whose devices of this type use unified memory."""
        return self._unified[accelerator_type]

    def largest_device(self, accelerator_type):
        """(machines,) float: memory of the largest discrete device of this type (0: none)."""
        return self._largest[accelerator_type]

    def provider_allowed(self, provider):
        """(machines,) bool: machines whose policy scope allows this provider."""
        return self._cached(("provider", provider), lambda: np.array(
            [machine.scope.allows_provider(provider) for machine in self.machines], dtype=bool))

    def in_list(self, attribute, values):
        """(machines,) bool: machines whose ``arch``, ``profile`` or ``ids`` entry is one of ``values``."""
        column = {"arch": self.arch, "profile": self.profile, "ids": self.ids}[attribute]
        wanted = frozenset(values)
        return self._cached(("in", attribute, wanted), lambda: np.array([value in wanted for value in column], dtype=bool))
