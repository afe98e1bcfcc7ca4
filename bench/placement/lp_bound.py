# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lower bounds on the total expected cold start of a batch, by linear programming (scipy, HiGHS).

Summed over a batch, the cold start does not depend on the order of the
pods: a machine downloads a model once, loads it once, and prefills each
context segment (the tokens between two consecutive prefix digests) once,
no matter which pod does it first. So with

  x[p, m, k]  pod p on machine m in mode k (accelerated, or CPU fallback)
  y[d, m]     model d downloaded to m     z[d, m]  model d loaded on m
  w[s, m]     context segment s prefilled on m

the batch costs  sum y*download + z*load + w*prefill,  subject to: each pod
the engine placed is placed once; y, z >= every x that needs them and
w >= every x that needs the segment (nothing already on the machine);
CPU and RAM (with unified accelerator memory) per machine within what is
free; each accelerated pod on a discrete device takes ``count`` devices
(``u[p, m, device]``), and each device's memory holds what it is given;
anti-affinity. A segment's prefill is split by rate
(accelerator type or CPU): ``w[s, m, rate]`` may only be paid at a rate
some pod carrying the segment runs at there, and the cheapest such rate is
what the optimum pays; the engine pays the rate of the first pod, never
less, so this too is a lower bound.

``lp``: the relaxation (0 <= x <= 1). ``milp``: x integral; when HiGHS
finishes within the time limit this is the optimum of the model, otherwise
its dual bound, still a lower bound. Meant for small instances.
"""

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.cost import GIB


class _Model:
    """Variables, objective and constraint rows, filled incrementally."""

    def __init__(self):
        self.costs = []
        self.integral = []
        self.rows, self.cols, self.values = [], [], []
        self.lower, self.upper = [], []
        self.keys = {}

    def variable(self, key, cost, integral):
        if key not in self.keys:
            self.keys[key] = len(self.costs)
            self.costs.append(cost)
            self.integral.append(1 if integral else 0)
        return self.keys[key]

    def constraint(self, terms, lower, upper):
        row = len(self.lower)
        for column, value in terms:
            self.rows.append(row)
            self.cols.append(column)
            self.values.append(value)
        self.lower.append(lower)
        self.upper.append(upper)

    def solve(self, relax, time_limit):
        matrix = coo_matrix((self.values, (self.rows, self.cols)), shape=(len(self.lower), len(self.costs))).tocsr()
        integrality = np.zeros(len(self.costs)) if relax else np.array(self.integral)
        return milp(np.array(self.costs), integrality=integrality, bounds=Bounds(0, 1),
                    constraints=LinearConstraint(matrix, np.array(self.lower), np.array(self.upper)),
                    options={"time_limit": time_limit, "disp": False})


def _segments(pod):
    """[(segment digest, tokens)] of the pod's context: each prefix digest and the tokens it adds."""
    start, segments = 0.0, []
    for end, digest in zip(pod.prefix_ends, pod.prefix_digests):
        segments.append((digest, end - start))
        start = end
    return segments


def _modes(engine, evaluation, pod, node):
    """[(mode, prefill rate, unified bytes, served request or None)] the pod can run in on a machine it passes the filters of."""
    rates = engine.cost_model.parameters
    use = evaluation.accelerators
    modes = []
    served = [request for request in pod.accelerators if use.uses[request.position][node]]
    if served:
        request = served[0]
        unified = engine.fleet.unified_for(request.type)[node]
        need = request.count * request.memory if unified and not request.exclusive else 0.0
        modes.append(("accelerated", rates.prefill_rate(request.type), need, None if unified else request))
    if not any(request.required for request in pod.accelerators):
        modes.append(("cpu", rates.prefill_rate("cpu"), 0.0, None))
    return modes


def _devices(model, engine, position, node, mode, column, request, slots):
    """u[p, m, device] for the devices a discrete request can use: count of them, each only with x, memory per device."""
    fleet, state = engine.fleet, engine.initial_state
    usable = fleet.serves(request.type)[:, node] & ~fleet.device_unified[:, node] & ~state.device_exclusive[:, node]
    if request.exclusive:
        usable &= state.device_users[:, node] == 0
    taken = []
    for slot in np.flatnonzero(usable):
        slot = int(slot)
        free = float(state.device_free[slot, node])
        need = free if request.exclusive else request.memory
        if need > free:
            continue
        share = model.variable(("u", position, node, mode, slot), 0.0, True)
        taken.append((share, 1.0))
        model.constraint([(share, 1.0), (column, -1.0)], -np.inf, 0.0)
        slots.setdefault((node, slot), []).append((share, need / GIB))
    model.constraint(taken + [(column, -float(request.count))], 0.0, 0.0)


def build(engine, pods, placed):
    """The model of the batch (``placed``: positions of the pods the engine placed, which must be placed again)."""
    fleet, state = engine.fleet, engine.initial_state
    model = _Model()
    capacity = {"cpu": {}, "ram": {}}
    slots = {}
    workrooms = {}
    pending = []
    for position in placed:
        pod = pods[position]
        evaluation = engine.evaluate(state, pod, {})
        assigned = []
        for node in np.flatnonzero(evaluation.feasible):
            node = int(node)
            for mode, rate, unified, request in _modes(engine, evaluation, pod, node):
                column = model.variable(("x", position, node, mode), 0.0, True)
                assigned.append((column, 1.0))
                capacity["cpu"].setdefault(node, []).append((column, pod.cpu))
                capacity["ram"].setdefault(node, []).append((column, (pod.memory + unified) / GIB))
                if request is not None:
                    _devices(model, engine, position, node, mode, column, request, slots)
                workrooms.setdefault((pod.workroom, node), []).append((column, 1.0))
                pending.append((pod, node, column, rate))
        model.constraint(assigned, 1.0, 1.0)
    _link_model(model, engine, pending)
    _link_segments(model, engine, pending)
    # Memory in GiB: bytes next to 0/1 coefficients would strain the solver's tolerances.
    free = {"cpu": fleet.cpu_capacity - state.cpu_used + 1e-9, "ram": (fleet.ram_capacity - state.ram_used) / GIB}
    for resource, per_node in capacity.items():
        for node, terms in per_node.items():
            model.constraint(terms, -np.inf, float(free[resource][node]))
    for (node, slot), terms in slots.items():
        model.constraint(terms, -np.inf, float(state.device_free[slot, node]) / GIB)
    for (workroom, node), terms in workrooms.items():
        limit = engine.anti_affinity.get(workroom)
        if limit is not None:
            model.constraint(terms, -np.inf, float(limit - state.workroom_counts(workroom)[node]))
    return model


def _link_model(model, engine, pending):
    """y, z >= x: the model downloaded and loaded where a pod needs it and the machine does not hold it."""
    state, cost = engine.initial_state, engine.cost_model
    for pod, node, column, _rate in pending:
        size = float(pod.model_bytes)
        loaded = state.loaded_mask(pod.model_digest)[node]
        if not (loaded or state.on_disk_mask(pod.model_digest)[node]):
            needed = model.variable(("y", pod.model_digest, node), size / cost.link_bandwidth[node], False)
            model.constraint([(needed, 1.0), (column, -1.0)], 0.0, np.inf)
        if not loaded:
            needed = model.variable(("z", pod.model_digest, node),
                                    cost.parameters.load_overhead + size / cost.disk_bandwidth[node], False)
            model.constraint([(needed, 1.0), (column, -1.0)], 0.0, np.inf)


def _link_segments(model, engine, pending):
    """sum over rates of w[s, m, rate] >= x for each uncached segment, w[s, m, rate] <= the x running at that rate."""
    state = engine.initial_state
    carriers = {}
    for pod, node, column, rate in pending:
        cached = state.cached_tokens(pod)[node]
        size = float(pod.model_bytes)
        for (digest, tokens), end in zip(_segments(pod), pod.prefix_ends):
            if end > cached:
                carriers.setdefault((digest, node), []).append((column, rate, tokens * size / GIB))
    for (digest, node), entries in carriers.items():
        rates = sorted(set(rate for _column, rate, _price in entries))
        paid = {rate: model.variable(("w", digest, node, rate), entries[0][2] * rate, False) for rate in rates}
        for column, _rate, _price in entries:
            model.constraint([(variable, 1.0) for variable in paid.values()] + [(column, -1.0)], 0.0, np.inf)
        for rate, variable in paid.items():
            model.constraint([(variable, 1.0)] + [(column, -1.0) for column, own, _price in entries if own == rate], -np.inf, 0.0)


def bounds(engine, pods, placed, time_limit=60.0):
    """{"lp", "milp", "milpOptimal", "variables", "constraints"} for the batch."""
    model = build(engine, pods, placed)
    relaxed = model.solve(True, time_limit)
    exact = model.solve(False, time_limit)
    optimal = exact.status == 0
    milp_value = exact.fun if optimal else getattr(exact, "mip_dual_bound", None)
    return {
        "lp": float(relaxed.fun) if relaxed.status == 0 else None,
        "milp": None if milp_value is None else float(milp_value),
        "milpOptimal": optimal,
        "variables": len(model.costs),
        "constraints": len(model.lower),
    }
