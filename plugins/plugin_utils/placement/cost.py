# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The expected cold-start cost of a pod on each machine, and its parameters.

For every machine that passed the hard filters::

    download = model bytes / link bandwidth            unless the model is on the machine's disk (or loaded)
    load     = load overhead + model bytes / disk bandwidth   unless the model is loaded
    prefill  = prefix tokens not in the warm cache x prefill seconds per token per GiB of weights
               (of the accelerator the pod would use there) x model GiB
    follow-on = follow-on weight x what the pod's followers (``follow_on.py``) would cost:
               the tokens they add, at this machine's prefill rate; and where they would not
               all fit after the pod, their share started on the machine best for the group
    balance  = balance weight x the machine's utilization once the pod is on it
               + spread weight x pods of the same workroom already there

``total`` is their sum, and the engine picks the machine with the lowest
total. The pod's own cold start is ``download + load + prefill``;
``follow-on`` looks ahead along the batch, ``balance`` only breaks
near-ties towards emptier machines.

Defaults: the load overhead and disk bandwidth are the straight line
through the two published load times (an 8B model, 16 GB in fp16, in about
48 s; a 70B, 140 GB, in about 84 s): 43 s of fixed setup plus 3.44 GB/s,
close to the 3.9 GB/s of page-cache reads. Prefill costs follow from about
2 x parameters FLOP per token at the sustained throughput of each kind of
accelerator, expressed per GiB of weights so that one number serves every
model size. The link is 1 Gbit/s. Every value can be set per fleet
(``parameters``), the bandwidths also per machine.
"""

from __future__ import annotations

import math
import numbers

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement._numpy import numpy as np

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.errors import PlacementInputError

__all__ = ["DEFAULT_PARAMETERS", "GIB", "CostModel", "CostVectors", "Parameters", "parse_parameters"]

GIB = float(1 << 30)

DEFAULT_PARAMETERS = {
    "link_bandwidth_bytes_per_second": 1.25e8,
    "disk_bandwidth_bytes_per_second": 3.44e9,
    "load_overhead_seconds": 43.0,
    "prefill_seconds_per_token_per_gib": {
        "cuda": 3e-5, "rocm": 5e-5, "vulkan": 1e-3, "metal": 1e-3, "mlx": 1e-3, "cpu": 4e-3, "unknown": 4e-3,
    },
    "balance_weight_seconds": 2.0,
    "spread_weight_seconds": 0.0,
    "follow_on_weight": 1.0,
    "memory_reserved_fraction": 0.1,
    "cpu_reserved_fraction": 0.0,
    "machines": {},
}
_MACHINE_KEYS = ("link_bandwidth_bytes_per_second", "disk_bandwidth_bytes_per_second")
_POSITIVE = ("link_bandwidth_bytes_per_second", "disk_bandwidth_bytes_per_second")
_NON_NEGATIVE = ("load_overhead_seconds", "balance_weight_seconds", "spread_weight_seconds", "follow_on_weight")
_FRACTIONS = ("memory_reserved_fraction", "cpu_reserved_fraction")


class Parameters:
    """Validated cost and capacity parameters (see DEFAULT_PARAMETERS)."""

    def __init__(self, values):
        self.link_bandwidth = values["link_bandwidth_bytes_per_second"]
        self.disk_bandwidth = values["disk_bandwidth_bytes_per_second"]
        self.load_overhead = values["load_overhead_seconds"]
        self.prefill_rates = dict(values["prefill_seconds_per_token_per_gib"])
        self.balance_weight = values["balance_weight_seconds"]
        self.spread_weight = values["spread_weight_seconds"]
        self.follow_on_weight = values["follow_on_weight"]
        self.memory_reserved_fraction = values["memory_reserved_fraction"]
        self.cpu_reserved_fraction = values["cpu_reserved_fraction"]
        self.machines = {key: dict(value) for key, value in values["machines"].items()}
        self.values = values

    def prefill_rate(self, accelerator_type):
        return self.prefill_rates[accelerator_type]


def _number(value, field, minimum=0.0, positive=False, maximum=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise PlacementInputError(field, "must be a number")
    if positive and value <= 0:
        raise PlacementInputError(field, "must be greater than 0")
    if value < minimum:
        raise PlacementInputError(field, "must be at least %s" % minimum)
    if maximum is not None and value >= maximum:
        raise PlacementInputError(field, "must be less than %s" % maximum)
    return float(value)


def _rates(given, field):
    if not isinstance(given, dict):
        raise PlacementInputError(field, "must be a mapping of accelerator type to seconds")
    rates = dict(DEFAULT_PARAMETERS["prefill_seconds_per_token_per_gib"])
    for key, value in given.items():
        if key not in rates:
            raise PlacementInputError("%s.%s" % (field, key), "unknown accelerator type; expected one of %s"
                                      % ", ".join(sorted(rates)))
        rates[key] = _number(value, "%s.%s" % (field, key))
    return rates


def _machine_overrides(given, field):
    if not isinstance(given, dict):
        raise PlacementInputError(field, "must be a mapping of machine id to bandwidths")
    overrides = {}
    for machine, values in given.items():
        where = "%s[%s]" % (field, machine)
        if not isinstance(values, dict):
            raise PlacementInputError(where, "must be a mapping")
        for key, value in values.items():
            if key not in _MACHINE_KEYS:
                raise PlacementInputError("%s.%s" % (where, key), "unknown key; expected %s" % ", ".join(_MACHINE_KEYS))
            _number(value, "%s.%s" % (where, key), positive=True)
        overrides[machine] = {key: float(value) for key, value in values.items()}
    return overrides


def parse_parameters(given=None, field="parameters"):
    """Parameters from the defaults updated with ``given``; PlacementInputError names a bad key."""
    given = given or {}
    if not isinstance(given, dict):
        raise PlacementInputError(field, "must be a mapping")
    values = dict(DEFAULT_PARAMETERS)
    for key, value in given.items():
        where = "%s.%s" % (field, key)
        if key not in DEFAULT_PARAMETERS:
            raise PlacementInputError(where, "unknown parameter; expected one of %s" % ", ".join(sorted(DEFAULT_PARAMETERS)))
        if key == "prefill_seconds_per_token_per_gib":
            values[key] = _rates(value, where)
        elif key == "machines":
            values[key] = _machine_overrides(value, where)
        elif key in _FRACTIONS:
            values[key] = _number(value, where, maximum=1.0)
        else:
            values[key] = _number(value, where, positive=key in _POSITIVE)
    for key in _NON_NEGATIVE:
        values[key] = float(values[key])
    return Parameters(values)


class CostVectors:
    """Cost terms for every machine (numpy arrays, seconds); meaningful where the pod is feasible."""

    def __init__(self, download, load, prefill, follow_on, balance):
        self.download = download
        self.load = load
        self.prefill = prefill
        self.follow_on = follow_on
        self.balance = balance
        self.total = download + load + prefill + follow_on + balance

    def cold_start(self, node):
        """The pod's own expected cold start on one machine: download + load + prefill."""
        return float(self.download[node] + self.load[node] + self.prefill[node])

    def breakdown(self, node):
        """The CostBreakdown section for one machine."""
        return {
            "downloadSeconds": _seconds(self.download[node]),
            "loadSeconds": _seconds(self.load[node]),
            "prefillSeconds": _seconds(self.prefill[node]),
            "followOnSeconds": _seconds(self.follow_on[node]),
            "balance": _seconds(self.balance[node]),
            "total": _seconds(self.total[node]),
        }


def _seconds(value):
    return round(float(value), 6)


class CostModel:
    """The cost model bound to one fleet (per-machine bandwidths resolved once)."""

    def __init__(self, parameters, fleet):
        self.parameters = parameters
        self.link_bandwidth = np.full(fleet.size, parameters.link_bandwidth)
        self.disk_bandwidth = np.full(fleet.size, parameters.disk_bandwidth)
        for machine, values in parameters.machines.items():
            node = fleet.index[machine]
            self.link_bandwidth[node] = values.get("link_bandwidth_bytes_per_second", parameters.link_bandwidth)
            self.disk_bandwidth[node] = values.get("disk_bandwidth_bytes_per_second", parameters.disk_bandwidth)

    def prefill_rates(self, pod, accelerator_use):
        """Seconds per token per GiB on every machine: the accelerator the pod uses there, else the CPU."""
        rates = np.full(accelerator_use.size, self.parameters.prefill_rate("cpu"))
        for request in reversed(pod.accelerators):
            in_use = accelerator_use.uses[request.position]
            rates = np.where(in_use, self.parameters.prefill_rate(request.type), rates)
        return rates

    def costs(self, state, pod, evaluation):
        """CostVectors of ``pod`` on every machine given the current ``state`` and the filters' ``evaluation``."""
        use = evaluation.accelerators
        size = float(pod.model_bytes)
        loaded = state.loaded_mask(pod.model_digest)
        present = state.on_disk_mask(pod.model_digest) | loaded
        download = np.where(present, 0.0, size / self.link_bandwidth)
        load = np.where(loaded, 0.0, self.parameters.load_overhead + size / self.disk_bandwidth)
        rates = self.prefill_rates(pod, use) * (size / GIB)
        prefill = (pod.prefix_tokens - state.cached_tokens(pod)) * rates
        follow_on = self.follow_on(state, pod, use, rates, download + load, prefill, evaluation.feasible)
        balance = self.parameters.balance_weight * state.utilization_after(pod, use)
        if self.parameters.spread_weight:
            balance = balance + self.parameters.spread_weight * state.workroom_counts(pod.workroom)
        return CostVectors(download, load, prefill, follow_on, balance)

    def follow_on(self, state, pod, use, rates, fetch, prefill, feasible):
        """What the pod's followers are expected to cost if it goes to each machine (see ``follow_on.py``).

        Where they all fit after the pod, they prefill what they add at that
        machine's rate. Where some would not fit, those start elsewhere:
        on the machines cheapest to start on (download and load where the
        model is not there yet, the context prefilled), as many as it takes
        to hold them, plus their share of what the followers add, at the
        rate of the first of those machines.
        """
        followers = pod.followers
        if not followers.count:
            return np.zeros(rates.size)
        added = followers.tokens * rates
        room = state.room_after(pod, use)
        overflow = feasible & (room < followers.count)
        if not overflow.any():
            return self.parameters.follow_on_weight * added
        share = np.clip((followers.count - room) / followers.count, 0.0, 1.0)
        elsewhere = self._start_elsewhere(followers.count - room, room, fetch + prefill, added, share, feasible)
        cost = np.where(overflow, (1.0 - share) * added + elsewhere, added)
        return self.parameters.follow_on_weight * cost

    @staticmethod
    def _start_elsewhere(spilled, room, start, added, share, feasible):
        """Per machine: the cost of starting its ``spilled`` followers on the other machines cheapest to start on."""
        order = np.argsort(np.where(feasible, start, np.inf), kind="stable")
        order = order[feasible[order]]
        if order.size < 2:
            return np.zeros(start.size)
        # Only the cheapest machines that hold the largest spill (and one more, to stand in for a machine itself) matter.
        holds = np.cumsum(room[order] + 1.0)
        order = order[:int(np.searchsorted(holds, max(1.0, float(spilled[feasible].max())))) + 2]
        starts = np.cumsum(start[order])
        holds = holds[:order.size]
        cost = starts[np.minimum(np.searchsorted(holds, np.maximum(spilled, 1.0)), order.size - 1)] + share * added[order[0]]
        # A machine its own followers would spill to counts the others only (a handful of machines: plain Python).
        nodes = [int(node) for node in order]
        for position, node in enumerate(nodes):
            others = nodes[:position] + nodes[position + 1:]
            cost[node] = _cover(others, float(spilled[node]), room, start) + float(share[node] * added[others[0]])
        return cost


def _cover(nodes, spilled, room, start):
    """Start cost of the first machines of ``nodes`` that together hold ``spilled`` pods (a machine not taking the pod
    has room for one more of them); all of them when they do not hold that many."""
    total, held = 0.0, 0.0
    for node in nodes:
        total += float(start[node])
        held += float(room[node]) + 1.0
        if held >= max(spilled, 1.0):
            break
    return total
