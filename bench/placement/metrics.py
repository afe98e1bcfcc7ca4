# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Score a placement from the documents, independently of the engine's arrays.

Walks the pods in order with plain sets and sums (no numpy, no engine
state): what each pod downloads, loads and prefills where it was put, with
the cost formulas of ``docs/placement.md`` and the same parameters. Then
checks every constraint from the documents again: static ones per pod,
capacity per machine and device at the end, anti-affinity per workroom.
Each broken constraint counts as one violation.
"""

import statistics

GIB = float(1 << 30)
CPU_TOLERANCE = 1e-9


class Machine:
    """One AgentMachine document, read plainly (slots as the engine numbers them)."""

    def __init__(self, document, volume_classes, scope, cordoned, parameters):
        self.id = document["id"]
        self.arch = document["host"]["arch"]
        self.profile = document["profile"]["name"]
        cpu = document["cpu"]
        self.cpu = float(cpu.get("threads") or cpu.get("cores") or 0) * (1 - parameters.cpu_reserved_fraction)
        self.ram = float(document["memory"]["totalBytes"] or 0) * (1 - parameters.memory_reserved_fraction)
        self.volume_classes = volume_classes
        self.scope = scope or {}
        self.cordoned = cordoned
        self.slots = []  # (types, memory or None for unified)
        vulkan = document["accelerators"]["types"]["vulkan"]
        for device in document["accelerators"]["devices"]:
            mig = device.get("mig") or {}
            if mig.get("mode") == "enabled" and mig.get("instances"):
                self.slots += [({device["type"]}, float(instance["memoryBytes"] or 0)) for instance in mig["instances"]]
                continue
            types = {device["type"]} | ({"vulkan"} if vulkan and device["type"] in ("cuda", "rocm") else set())
            self.slots.append((types, None if device["unifiedMemory"] else float(device["memoryBytes"] or 0)))
        overrides = parameters.machines.get(self.id, {})
        self.link = overrides.get("link_bandwidth_bytes_per_second", parameters.link_bandwidth)
        self.disk = overrides.get("disk_bandwidth_bytes_per_second", parameters.disk_bandwidth)

    def has(self, accelerator_type):
        return any(accelerator_type in types for types, _memory in self.slots)


def _allowed(scope, key, value):
    allowed = scope.get("allowed", {}).get(key)
    denied = scope.get("denied", {}).get(key, [])
    return value not in denied and (allowed is None or value in allowed)


def static_violations(pod, machine):
    """Names of the static constraints ``pod`` breaks on ``machine``."""
    placement = pod.get("placement") or {}
    broken = []
    if machine.cordoned:
        broken.append("cordoned")
    if placement.get("machineIds") and machine.id not in placement["machineIds"]:
        broken.append("machine-ids")
    if placement.get("architectures") and machine.arch not in placement["architectures"]:
        broken.append("arch")
    if placement.get("profiles") and machine.profile not in placement["profiles"]:
        broken.append("profile")
    for request in pod["resources"].get("accelerators", []):
        if request["required"] and request["type"] != "cpu" and not machine.has(request["type"]):
            broken.append("accelerator-type")
    for mount in pod.get("storage", []):
        if mount["accessMode"] != "runtime-managed" and mount["volumeClass"] not in (machine.volume_classes or ()):
            broken.append("volume-class")
    if not _allowed(machine.scope, "providerIds", pod["providerId"]):
        broken.append("provider-scope")
    for port in pod.get("ports", []):
        if port["exposure"] != "none" and not _allowed(machine.scope, "networkExposure", port["exposure"]):
            broken.append("exposure-scope")
    return broken


class Score:
    """The figures of one placement."""

    def __init__(self):
        self.placed = 0
        self.unplaced = 0
        self.bytes_downloaded = 0
        self.cold_loads = 0
        self.prefill_tokens = 0.0
        self.cold_starts = []
        self.max_utilization = 0.0
        self.violations = 0
        self.violation_kinds = {}

    @property
    def total(self):
        return sum(self.cold_starts)

    def percentile(self, fraction):
        if not self.cold_starts:
            return 0.0
        ordered = sorted(self.cold_starts)
        return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]

    @property
    def median(self):
        return statistics.median(self.cold_starts) if self.cold_starts else 0.0

    def violate(self, kind):
        self.violations += 1
        self.violation_kinds[kind] = self.violation_kinds.get(kind, 0) + 1


def _machines(workload, parameters):
    cordoned = set(workload.cordoned)
    return {document["id"]: Machine(document, workload.volume_classes.get(document["id"]),
                                    workload.scopes.get(document["id"]), document["id"] in cordoned, parameters)
            for document in workload.machines}


def _initial_sets(workload):
    disk, loaded, prefixes = {}, {}, {}
    for inventory in workload.inventories:
        machine_id = inventory["agentMachineId"]
        disk[machine_id] = set(model["digest"] for model in inventory["models"] if model.get("onDisk", True))
        prefixes[machine_id] = set(entry["digest"] for entry in inventory["prefixes"])
    for machine_id, digests in workload.loaded_models.items():
        loaded[machine_id] = set(digests)
    return disk, loaded, prefixes


def _cold_start(pod, machine, served_type, held, parameters):
    """(download s, load s, prefill s, uncached tokens) of ``pod`` on ``machine`` given what it ``held``."""
    disk, loaded, prefixes = held
    model = pod["model"]
    size = float(model["sizeBytes"])
    download = 0.0 if model["digest"] in disk or model["digest"] in loaded else size / machine.link
    load = 0.0 if model["digest"] in loaded else parameters.load_overhead + size / machine.disk
    context = pod.get("context") or {}
    digests = context.get("prefixDigests") or []
    total = float(context.get("prefixTokens") or 0)
    ends = context.get("prefixTokenCounts") or [total * (index + 1) / len(digests) for index in range(len(digests))]
    cached = max([float(end) for end, digest in zip(ends, digests) if digest in prefixes] or [0.0])
    uncached = total - cached
    prefill = uncached * parameters.prefill_rate(served_type or "cpu") * size / GIB
    return download, load, prefill, uncached


def score(workload, pods, placements, machine_ids, parameters):
    """Score of ``placements`` (engine Placement objects, machine rows into ``machine_ids``) of ``pods`` (documents)."""
    machines = _machines(workload, parameters)
    disk, loaded, prefixes = _initial_sets(workload)
    used_cpu, used_ram, slot_users = {}, {}, {}
    per_workroom = {}
    result = Score()
    for pod, placement in zip(pods, placements):
        if placement.node < 0:
            result.unplaced += 1
            continue
        machine = machines[machine_ids[placement.node]]
        result.placed += 1
        for kind in static_violations(pod, machine):
            result.violate(kind)
        requests = [request for request in pod["resources"].get("accelerators", []) if request["type"] != "cpu"]
        served = [request for request, used in zip(requests, placement.served) if used]
        held = (disk.setdefault(machine.id, set()), loaded.setdefault(machine.id, set()), prefixes.setdefault(machine.id, set()))
        download, load, prefill, uncached = _cold_start(pod, machine, served[0]["type"] if served else None, held, parameters)
        result.cold_starts.append(download + load + prefill)
        result.bytes_downloaded += pod["model"]["sizeBytes"] if download > 0 else 0
        result.cold_loads += 1 if load > 0 else 0
        result.prefill_tokens += uncached
        held[0].add(pod["model"]["digest"])
        held[1].add(pod["model"]["digest"])
        held[2].update((pod.get("context") or {}).get("prefixDigests") or [])
        used_cpu[machine.id] = used_cpu.get(machine.id, 0.0) + pod["resources"]["cpu"]
        used_ram[machine.id] = used_ram.get(machine.id, 0.0) + pod["resources"]["memoryBytes"]
        for position, request in enumerate(requests):
            if not placement.served[position]:
                continue
            slots = placement.devices[request_position(pod, request)]
            for slot in slots:
                slot_users.setdefault((machine.id, slot), []).append(request)
        key = (pod["workload"]["workroomRef"], machine.id)
        per_workroom[key] = per_workroom.get(key, 0) + 1
    _capacity(result, machines, used_cpu, used_ram, slot_users)
    for (workroom, _machine_id), count in per_workroom.items():
        if workroom in workload.anti_affinity and count > workload.anti_affinity[workroom]:
            result.violate("anti-affinity")
    return result


def request_position(pod, request):
    return pod["resources"]["accelerators"].index(request)


def _capacity(result, machines, used_cpu, used_ram, slot_users):
    device_used = {}
    for (machine_id, slot), requests in slot_users.items():
        machine = machines[machine_id]
        types, memory = machine.slots[slot]
        if any(request["type"] not in types for request in requests):
            result.violate("device-type")
        if any(request.get("memoryBytes") is None for request in requests) and len(requests) > 1:
            result.violate("device-exclusive")
        taken = sum(float(request.get("memoryBytes") or (memory or 0)) for request in requests)
        if memory is None:
            used_ram[machine_id] = used_ram.get(machine_id, 0.0) + sum(float(request.get("memoryBytes") or 0) for request in requests)
        else:
            device_used[machine_id] = device_used.get(machine_id, 0.0) + taken
            if taken > memory:
                result.violate("device-memory")
    for machine_id, machine in machines.items():
        cpu, ram = used_cpu.get(machine_id, 0.0), used_ram.get(machine_id, 0.0)
        if cpu > machine.cpu + CPU_TOLERANCE:
            result.violate("cpu")
        if ram > machine.ram:
            result.violate("ram")
        device_total = sum(memory for _types, memory in machine.slots if memory is not None)
        fractions = [cpu / machine.cpu if machine.cpu else 0.0, ram / machine.ram if machine.ram else 0.0,
                     device_used.get(machine_id, 0.0) / device_total if device_total else 0.0]
        result.max_utilization = max(result.max_utilization, *fractions)
