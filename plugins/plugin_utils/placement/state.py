# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What changes while a batch is placed: used capacity, models on disk and loaded, warm prefix caches.

Placing a pod (``apply``) charges its CPU, RAM and accelerator memory to
the machine, and records what the pod leaves behind once it ran there:
its model downloaded and loaded, its context prefixes in the warm cache.
Later pods of the batch see all of it. Capacity counts every pod's own
request, also when it shares a loaded model with another pod.
"""

from __future__ import annotations

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement._numpy import numpy as np

__all__ = ["FleetState", "Residency"]


class Residency:
    """What one machine holds before the batch: digests on disk, loaded, and cached prefixes."""

    def __init__(self, on_disk=(), loaded=(), prefixes=()):
        self.on_disk = tuple(on_disk)
        self.loaded = tuple(loaded)
        self.prefixes = tuple(prefixes)


def _inverse(capacity):
    """1 / capacity, and infinity where there is none (any request then exceeds it)."""
    inverse = np.full(capacity.shape, np.inf)
    np.divide(1.0, capacity, out=inverse, where=capacity > 0)
    return inverse


class FleetState:
    """Mutable per-machine state of one placement run; ``copy`` before trying something else."""

    def __init__(self, fleet, residency=None):
        self.fleet = fleet
        size, slots = fleet.size, fleet.device_slots
        self.cpu_used = np.zeros(size)
        self.ram_used = np.zeros(size)
        self.device_free = fleet.device_memory.copy()
        self.discrete_free = np.where(fleet.device_unified, 0.0, fleet.device_memory)
        self.device_used = np.zeros(size)
        self.device_users = np.zeros((slots, size), dtype=np.int32)
        self.device_exclusive = np.zeros((slots, size), dtype=bool)
        self.exclusive_devices = 0
        self.pods = np.zeros(size, dtype=np.int32)
        self._workrooms = {}
        self._on_disk = {}
        self._loaded = {}
        self._prefixes = {}
        self._false = np.zeros(size, dtype=bool)
        self._false.flags.writeable = False
        self._none = np.zeros(size, dtype=np.int32)
        self._none.flags.writeable = False
        self._inverse_cpu = _inverse(fleet.cpu_capacity)
        self._inverse_ram = _inverse(fleet.ram_capacity)
        self._inverse_devices = np.zeros(size)
        np.divide(1.0, fleet.device_memory_total, out=self._inverse_devices, where=fleet.device_memory_total > 0)
        for machine_id, held in (residency or {}).items():
            node = fleet.index[machine_id]
            for digest in held.on_disk:
                self._mark(self._on_disk, digest, node)
            for digest in held.loaded:
                self._mark(self._loaded, digest, node)
            for digest in held.prefixes:
                self._add_prefix(digest, node)

    def copy(self):
        clone = FleetState.__new__(FleetState)
        clone.__dict__.update(self.__dict__)
        for name in ("cpu_used", "ram_used", "device_free", "discrete_free", "device_used", "device_users", "device_exclusive",
                     "pods"):
            setattr(clone, name, getattr(self, name).copy())
        clone._workrooms = {key: value.copy() for key, value in self._workrooms.items()}
        clone._on_disk = {key: value.copy() for key, value in self._on_disk.items()}
        clone._loaded = {key: value.copy() for key, value in self._loaded.items()}
        clone._prefixes = {key: list(value) for key, value in self._prefixes.items()}
        return clone

    # -- reading ---------------------------------------------------------------

    def on_disk_mask(self, digest):
        return self._on_disk.get(digest, self._false)

    def loaded_mask(self, digest):
        return self._loaded.get(digest, self._false)

    def workroom_counts(self, workroom):
        return self._workrooms.get(workroom, self._none)

    def prefix_nodes(self, digest):
        return self._prefixes.get(digest, ())

    def cached_tokens(self, pod):
        """Tokens of the pod's context each machine holds in its warm cache (the longest cached prefix)."""
        tokens = np.zeros(self.fleet.size)
        for end, digest in zip(pod.prefix_ends, pod.prefix_digests):
            nodes = self._prefixes.get(digest)
            if nodes:
                tokens[nodes] = end  # ends never decrease along the chain: the last hit is the longest
        return tokens

    def utilization_after(self, pod, use):
        """Each machine's busiest resource (CPU, RAM or accelerator memory) as a fraction, with the pod on it."""
        cpu = (self.cpu_used + pod.cpu) * self._inverse_cpu
        ram = (self.ram_used + pod.memory + use.unified_need) * self._inverse_ram
        devices = (self.device_used + use.device_need) * self._inverse_devices
        return np.maximum(np.maximum(cpu, ram), devices)

    def room_after(self, pod, use):
        """Per machine: how many more pods like ``pod`` would still fit once it is there (CPU, RAM, accelerators)."""
        fleet = self.fleet
        room = np.floor((fleet.cpu_capacity - self.cpu_used - pod.cpu) * (1.0 / pod.cpu) + 1e-9)
        ram_each = pod.memory + use.unified_need
        ram_room = np.full(fleet.size, np.inf)
        np.floor_divide(fleet.ram_capacity - self.ram_used - ram_each, ram_each, out=ram_room, where=ram_each > 0)
        room = np.minimum(room, ram_room)
        for request in pod.accelerators:
            slots = fleet.discrete_serves(request.type)
            if self.exclusive_devices:
                slots = slots & ~self.device_exclusive
            if request.exclusive:
                devices = np.add.reduce(slots & (self.device_users == 0), axis=0, dtype=np.int32) - request.count
            else:
                per_slot = np.floor(self.discrete_free * (1.0 / request.memory))
                per_slot *= slots
                devices = np.add.reduce(per_slot, axis=0) - request.count
            room = np.where(use.uses[request.position] & ~fleet.unified_for(request.type),
                            np.minimum(room, np.floor(devices * (1.0 / request.count))), room)
        return np.maximum(room, 0.0)

    def utilization(self):
        """Each machine's busiest resource as a fraction, as it is now."""
        cpu = self.cpu_used * self._inverse_cpu
        ram = self.ram_used * self._inverse_ram
        devices = self.device_used * self._inverse_devices
        return np.nan_to_num(np.maximum(np.maximum(cpu, ram), devices), nan=0.0)

    # -- placing -----------------------------------------------------------------

    def _mark(self, table, key, node):
        if key not in table:
            table[key] = np.zeros(self.fleet.size, dtype=bool)
        table[key][node] = True

    def _add_prefix(self, digest, node):
        nodes = self._prefixes.setdefault(digest, [])
        if node not in nodes:
            nodes.append(node)

    def choose_slots(self, request, node):
        """Device slots a request takes on a machine: the fullest devices that still fit (best fit), lowest slot first."""
        fleet = self.fleet
        serves = fleet.serves(request.type)[:, node]
        free = self.device_free[:, node]
        usable = serves & ~self.device_exclusive[:, node]
        if request.exclusive:
            usable &= self.device_users[:, node] == 0
        else:
            usable &= free >= request.memory
        slots = sorted(np.flatnonzero(usable), key=lambda slot: (free[slot], slot))
        if len(slots) < request.count:  # only pods already running (or a chooser that ignores memory) get here
            slots = sorted(np.flatnonzero(serves), key=lambda slot: (-free[slot], slot))
        return tuple(int(slot) for slot in slots[:request.count])

    def apply(self, pod, node, accelerated, devices=None):
        """Put ``pod`` on machine ``node``; ``accelerated``: per accelerator request, whether it is served there.

        ``devices`` replays an earlier choice ({request position: slots});
        returns the slots taken.
        """
        taken = {}
        self.cpu_used[node] += pod.cpu
        self.ram_used[node] += pod.memory
        for request, served in zip(pod.accelerators, accelerated):
            if not served:
                continue
            slots = devices[request.position] if devices is not None else self.choose_slots(request, node)
            taken[request.position] = slots
            for slot in slots:
                self._take_device(request, node, slot)
        self.pods[node] += 1
        if pod.workroom not in self._workrooms:
            self._workrooms[pod.workroom] = np.zeros(self.fleet.size, dtype=np.int32)
        self._workrooms[pod.workroom][node] += 1
        self._mark(self._on_disk, pod.model_digest, node)
        self._mark(self._loaded, pod.model_digest, node)
        for digest in pod.prefix_digests:
            self._add_prefix(digest, node)
        return taken

    def _take_device(self, request, node, slot):
        self.device_users[slot, node] += 1
        if request.exclusive and not self.device_exclusive[slot, node]:
            self.device_exclusive[slot, node] = True
            self.exclusive_devices += 1
        if self.fleet.device_unified[slot, node]:
            if not request.exclusive:
                self.ram_used[node] += request.memory
            return
        amount = self.device_free[slot, node] if request.exclusive else request.memory
        self.device_free[slot, node] -= amount
        self.discrete_free[slot, node] -= amount
        self.device_used[node] += amount
