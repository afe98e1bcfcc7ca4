# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hard filters: each rejects machines for one reason code, and explains a rejection in a sentence.

A filter looks at every machine at once (``rejects`` returns a boolean
array, or None when it rejects none) and, for a machine it rejected, says
why (``explain``: message and the pod field it is about). Static filters
depend only on the pod and the fleet, so pods alike share their result;
the others also read the capacity already used in this batch.

Codes:

==========================  =================================================================
machine-cordoned            the machine is cordoned
machine-not-selected        the pod lists placement.machineIds and this machine is not one
arch-mismatch               the machine's architecture is not in placement.architectures
profile-mismatch            the machine's profile is not in placement.profiles
accelerator-missing         no device of a required accelerator type
storage-class-missing       a volume class the pod mounts is not provisioned (or unknown)
provider-not-allowed        the machine's policy scope does not allow the pod's provider
exposure-not-allowed        the machine's policy scope does not allow a port's exposure
accelerator-count           fewer free devices of the type than the pod requires
memory-fit                  not enough accelerator memory (unified: RAM) on enough devices
ram-fit                     not enough RAM left
cpu-fit                     not enough CPU left
workroom-anti-affinity      the machine already has the most pods of this workroom allowed
==========================  =================================================================

An accelerator request with ``required: false`` never rejects: where it
cannot be served the pod runs on the CPU, and costs are counted that way.
"""

from __future__ import annotations

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement._numpy import numpy as np

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.fleet import EXPOSURE_BITS, VOLUME_BITS

__all__ = ["CODES", "BITS", "SHIFTS", "AcceleratorUse", "Check", "Evaluation", "FILTERS", "evaluate"]

_CPU_TOLERANCE = 1e-9


def _plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


class AcceleratorUse:
    """How each accelerator request of a pod fares on every machine.

    ``uses[position]``: the request is served there; ``usable`` and
    ``fitting``: devices free for it, and those with enough memory;
    ``unified_need`` / ``device_need``: RAM and discrete accelerator memory
    the pod's accelerators would take on each machine.
    """

    def __init__(self, fleet, state, pod):
        size = fleet.size
        self.size = size
        self.uses = {}
        self.usable = {}
        self.fitting = {}
        self.count_ok = {}
        self.memory_ok = {}
        self.unified_need = np.zeros(size)
        self.device_need = np.zeros(size)
        for request in pod.accelerators:
            self._request(fleet, state, pod, request)

    def _request(self, fleet, state, pod, request):
        serves = fleet.serves(request.type)
        if state.exclusive_devices or request.exclusive:
            usable = serves & ~state.device_exclusive
            if request.exclusive:
                usable &= state.device_users == 0
            usable_count = np.add.reduce(usable, axis=0, dtype=np.int32)
        else:
            usable, usable_count = serves, fleet.device_count(request.type)
        count_ok = usable_count >= request.count
        unified = fleet.unified_for(request.type)
        if request.exclusive:
            fitting = usable_count
            memory_ok = count_ok
            unified_need = 0.0
            device_need = request.count * fleet.largest_device(request.type)
        else:
            # Unified devices have unlimited memory of their own: their share is checked against RAM.
            fitting = np.add.reduce(usable & (state.device_free >= request.memory), axis=0, dtype=np.int32)
            unified_need = np.where(unified, request.count * request.memory, 0.0)
            ram_ok = state.ram_used + pod.memory + unified_need <= fleet.ram_capacity
            memory_ok = (fitting >= request.count) & (~unified | ram_ok)
            device_need = np.where(unified, 0.0, request.count * request.memory)
        served = fleet.has_accelerator(request.type) & count_ok & memory_ok
        self.uses[request.position] = served
        self.usable[request.position] = usable_count
        self.fitting[request.position] = fitting
        self.count_ok[request.position] = count_ok
        self.memory_ok[request.position] = memory_ok
        self.unified_need += np.where(served, unified_need, 0.0)
        self.device_need += np.where(served, device_need, 0.0)

    def served_at(self, pod, node):
        """Per accelerator request of the pod, whether it is served on machine ``node``."""
        return [bool(self.uses[request.position][node]) for request in pod.accelerators]


class Check:
    """One pod against the fleet in one state; the accelerator analysis is computed once, on demand."""

    def __init__(self, fleet, state, pod, anti_affinity):
        self.fleet = fleet
        self.state = state
        self.pod = pod
        self.anti_affinity = anti_affinity
        self._accelerators = None

    @property
    def accelerators(self):
        if self._accelerators is None:
            self._accelerators = AcceleratorUse(self.fleet, self.state, self.pod)
        return self._accelerators

    def required(self):
        return [request for request in self.pod.accelerators if request.required]


class _Filter:
    code = ""
    static = True

    def rejects(self, check):
        raise NotImplementedError

    def explain(self, check, node):
        raise NotImplementedError


class Cordoned(_Filter):
    code = "machine-cordoned"

    def rejects(self, check):
        return check.fleet.cordoned if check.fleet.cordoned.any() else None

    def explain(self, check, node):
        return "the machine is cordoned", None


class NotSelected(_Filter):
    code = "machine-not-selected"

    def rejects(self, check):
        return ~check.fleet.in_list("ids", check.pod.machine_ids) if check.pod.machine_ids else None

    def explain(self, check, node):
        return "the machine is not one of the %s the pod lists" % _plural(len(check.pod.machine_ids), "machine"), \
            "$.placement.machineIds"


class ArchMismatch(_Filter):
    code = "arch-mismatch"

    def rejects(self, check):
        return ~check.fleet.in_list("arch", check.pod.architectures) if check.pod.architectures else None

    def explain(self, check, node):
        return "architecture %s is not one of %s" % (check.fleet.arch[node] or "unknown", ", ".join(check.pod.architectures)), \
            "$.placement.architectures"


class ProfileMismatch(_Filter):
    code = "profile-mismatch"

    def rejects(self, check):
        return ~check.fleet.in_list("profile", check.pod.profiles) if check.pod.profiles else None

    def explain(self, check, node):
        return "profile %s is not one of %s" % (check.fleet.profile[node], ", ".join(check.pod.profiles)), "$.placement.profiles"


class AcceleratorMissing(_Filter):
    code = "accelerator-missing"

    def rejects(self, check):
        required = check.required()
        if not required:
            return None
        missing = np.zeros(check.fleet.size, dtype=bool)
        for request in required:
            missing |= ~check.fleet.has_accelerator(request.type)
        return missing

    def explain(self, check, node):
        for request in check.required():
            if not check.fleet.has_accelerator(request.type)[node]:
                return "no %s accelerator (the pod requires %d)" % (request.type, request.count), request.field
        raise AssertionError("explained a machine the filter accepts")


class StorageMissing(_Filter):
    code = "storage-class-missing"

    def _needed(self, pod):
        bits = 0
        for _position, volume_class in pod.volume_classes:
            bits |= VOLUME_BITS[volume_class]
        return bits

    def rejects(self, check):
        needed = self._needed(check.pod)
        if not needed:
            return None
        return ~check.fleet.volume_known | ((check.fleet.volume_bits & needed) != needed)

    def explain(self, check, node):
        classes = sorted(set(volume_class for _position, volume_class in check.pod.volume_classes))
        if not check.fleet.volume_known[node]:
            return "the volume classes provisioned on this machine are unknown; the pod mounts %s" % ", ".join(classes), "$.storage"
        for position, volume_class in check.pod.volume_classes:
            if not check.fleet.volume_bits[node] & VOLUME_BITS[volume_class]:
                return "volume class %s is not provisioned on this machine" % volume_class, "$.storage[%d].volumeClass" % position
        raise AssertionError("explained a machine the filter accepts")


class ProviderNotAllowed(_Filter):
    code = "provider-not-allowed"

    def rejects(self, check):
        allowed = check.fleet.provider_allowed(check.pod.provider_id)
        return None if allowed.all() else ~allowed

    def explain(self, check, node):
        return "the machine's policy scope does not allow provider %s" % check.pod.provider_id, "$.providerId"


class ExposureNotAllowed(_Filter):
    code = "exposure-not-allowed"

    def _bits(self, pod):
        bits = 0
        for _position, exposure in pod.exposures:
            bits |= EXPOSURE_BITS[exposure]
        return bits

    def rejects(self, check):
        bits = self._bits(check.pod)
        if not bits:
            return None
        return ((bits & ~check.fleet.exposure_allowed) | (bits & check.fleet.exposure_denied)) != 0

    def explain(self, check, node):
        allowed, denied = check.fleet.exposure_allowed[node], check.fleet.exposure_denied[node]
        for position, exposure in check.pod.exposures:
            bit = EXPOSURE_BITS[exposure]
            if not allowed & bit or denied & bit:
                return "the machine's policy scope does not allow %s exposure (port %s)" % (
                    exposure, check.pod.document["ports"][position]["name"]), "$.ports[%d].exposure" % position
        raise AssertionError("explained a machine the filter accepts")


class AcceleratorCount(_Filter):
    code = "accelerator-count"
    static = False

    def rejects(self, check):
        required = check.required()
        if not required:
            return None
        use = check.accelerators
        short = np.zeros(check.fleet.size, dtype=bool)
        for request in required:
            short |= check.fleet.has_accelerator(request.type) & ~use.count_ok[request.position]
        return short

    def explain(self, check, node):
        use = check.accelerators
        for request in check.required():
            if check.fleet.has_accelerator(request.type)[node] and not use.count_ok[request.position][node]:
                free = int(use.usable[request.position][node])
                what = "idle " if request.exclusive else "free "
                return "%s %s%s, the pod requires %d" % (
                    free, what, "%s device" % request.type + ("" if free == 1 else "s"), request.count), request.field + ".count"
        raise AssertionError("explained a machine the filter accepts")


class MemoryFit(_Filter):
    code = "memory-fit"
    static = False

    def rejects(self, check):
        required = [request for request in check.required() if not request.exclusive]
        if not required:
            return None
        use = check.accelerators
        short = np.zeros(check.fleet.size, dtype=bool)
        for request in required:
            short |= use.count_ok[request.position] & ~use.memory_ok[request.position]
        return short

    def explain(self, check, node):
        use, fleet, state = check.accelerators, check.fleet, check.state
        for request in check.required():
            if request.exclusive or not use.count_ok[request.position][node] or use.memory_ok[request.position][node]:
                continue
            field = request.field + ".memoryBytes"
            if fleet.unified_for(request.type)[node]:
                free = max(0, int(fleet.ram_capacity[node] - state.ram_used[node] - check.pod.memory))
                return ("needs %d bytes of unified memory for %s on top of its RAM, %d available"
                        % (request.count * request.memory, _plural(request.count, request.type + " device"), free)), field
            serving = fleet.serves(request.type)[:, node] & ~state.device_exclusive[:, node]
            largest = int(max(0.0, state.device_free[:, node][serving].max())) if serving.any() else 0
            return ("needs %d bytes of accelerator memory on each of %s, %d %s enough free (largest free: %d bytes)"
                    % (request.memory, _plural(request.count, request.type + " device"), int(use.fitting[request.position][node]),
                       "has" if int(use.fitting[request.position][node]) == 1 else "have", largest)), field
        raise AssertionError("explained a machine the filter accepts")


class RamFit(_Filter):
    code = "ram-fit"
    static = False

    def rejects(self, check):
        return check.state.ram_used + check.pod.memory > check.fleet.ram_capacity

    def explain(self, check, node):
        free = max(0, int(check.fleet.ram_capacity[node] - check.state.ram_used[node]))
        return "needs %d bytes of RAM, %d of %d allocatable bytes free" % (
            check.pod.memory, free, int(check.fleet.ram_capacity[node])), "$.resources.memoryBytes"


class CpuFit(_Filter):
    code = "cpu-fit"
    static = False

    def rejects(self, check):
        return check.state.cpu_used + check.pod.cpu > check.fleet.cpu_capacity + _CPU_TOLERANCE

    def explain(self, check, node):
        free = max(0.0, check.fleet.cpu_capacity[node] - check.state.cpu_used[node])
        return "needs %g CPUs, %g of %g allocatable free" % (
            check.pod.cpu, round(free, 3), round(float(check.fleet.cpu_capacity[node]), 3)), "$.resources.cpu"


class WorkroomAntiAffinity(_Filter):
    code = "workroom-anti-affinity"
    static = False

    def rejects(self, check):
        limit = check.anti_affinity.get(check.pod.workroom)
        if limit is None:
            return None
        return check.state.workroom_counts(check.pod.workroom) >= limit

    def explain(self, check, node):
        return "already %s of workroom %s here, at most %d allowed" % (
            _plural(int(check.state.workroom_counts(check.pod.workroom)[node]), "pod"), check.pod.workroom,
            check.anti_affinity[check.pod.workroom]), "$.workload.workroomRef"


FILTERS = (
    Cordoned(), NotSelected(), ArchMismatch(), ProfileMismatch(), AcceleratorMissing(), StorageMissing(),
    ProviderNotAllowed(), ExposureNotAllowed(),
    AcceleratorCount(), MemoryFit(), RamFit(), CpuFit(), WorkroomAntiAffinity(),
)
CODES = tuple(item.code for item in FILTERS)
SHIFTS = {code: shift for shift, code in enumerate(CODES)}
BITS = {code: 1 << shift for code, shift in SHIFTS.items()}
_STATIC = tuple(item for item in FILTERS if item.static)
_DYNAMIC = tuple(item for item in FILTERS if not item.static)


def _static_bits(check):
    rejections = np.zeros(check.fleet.size, dtype=np.uint32)
    for item in _STATIC:
        mask = item.rejects(check)
        if mask is not None:
            rejections |= mask.astype(np.uint32) << SHIFTS[item.code]
    return rejections


class Evaluation:
    """The filters' verdict on every machine for one pod in one state.

    ``feasible`` is all that choosing a machine needs; the reason bits per
    machine (``rejections``) are put together only when asked for.
    """

    def __init__(self, check, static_bits, static_ok, dynamic):
        self.check = check
        self._static_bits = static_bits
        self._dynamic = dynamic
        self._rejections = None
        feasible = static_ok
        for _code, mask in dynamic:
            feasible = feasible & ~mask
        self.feasible = feasible

    @property
    def rejections(self):
        """(machines,) uint32: bit ``SHIFTS[code]`` set for every filter that rejected the machine."""
        if self._rejections is None:
            rejections = self._static_bits.copy()
            for code, mask in self._dynamic:
                rejections |= mask.astype(np.uint32) << SHIFTS[code]
            self._rejections = rejections
        return self._rejections

    @property
    def accelerators(self):
        return self.check.accelerators

    def reasons(self, node):
        """The rejection reasons of one machine, in filter order."""
        bits = int(self.rejections[node])
        reasons = []
        for item in FILTERS:
            if bits & BITS[item.code]:
                message, field = item.explain(self.check, node)
                reasons.append({"code": item.code, "message": message, "field": field})
        return reasons

    def reason_counts(self):
        """{code: machines it rejected}, codes that rejected none left out."""
        counts = {}
        rejections = self.rejections
        for code in CODES:
            count = int(np.count_nonzero(rejections & np.uint32(BITS[code])))
            if count:
                counts[code] = count
        return counts


def evaluate(fleet, state, pod, anti_affinity, static_cache):
    """Evaluation of ``pod``; ``static_cache`` (a dict kept for the batch) holds the static filters' result per pod kind."""
    check = Check(fleet, state, pod, anti_affinity)
    cached = static_cache.get(pod.static_key)
    if cached is None:
        bits = _static_bits(check)
        cached = static_cache[pod.static_key] = (bits, bits == 0)
    dynamic = []
    for item in _DYNAMIC:
        mask = item.rejects(check)
        if mask is not None:
            dynamic.append((item.code, mask))
    return Evaluation(check, cached[0], cached[1], dynamic)
