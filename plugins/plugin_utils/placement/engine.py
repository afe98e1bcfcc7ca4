# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch placement: pods in the order given, each on the cheapest machine that passes every hard filter.

Each pod sees what the earlier pods of the batch took (capacity) and left
behind (models downloaded and loaded, prefixes in the warm cache). Machines
are kept in id order and ties go to the first, so the same input gives the
same placements. A pod no machine can take is recorded with the count of
machines each filter rejected; it never raises.

``place`` keeps only what each pod got (a ``Placement``). The full
PlacementDecision of a pod, with every machine's cost or rejection reasons,
is rebuilt on demand by replaying the batch up to that pod
(``PlacementResult.decision``/``decisions``): the state before pod ``i`` is
the initial state plus the first ``i`` placements, so nothing per machine
and pod has to be kept while placing.
"""

from __future__ import annotations

import time

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement._numpy import numpy as np

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.decision import decision_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.filters import evaluate
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.follow_on import followers

__all__ = ["Engine", "Placement", "PlacementResult", "cheapest"]


class Placement:
    """What one pod got: the machine row (-1: unplaceable), the device slots per accelerator request, the cost terms."""

    __slots__ = ("node", "devices", "served", "cost", "reason_counts")

    def __init__(self, node, devices=None, served=(), cost=None, reason_counts=None):
        self.node = node
        self.devices = devices or {}
        self.served = tuple(served)
        self.cost = cost
        self.reason_counts = reason_counts


def cheapest(engine, evaluation, state, pod):
    """The default choice: the feasible machine with the lowest total cost (first in id order on a tie)."""
    costs = engine.cost_model.costs(state, pod, evaluation)
    totals = np.where(evaluation.feasible, costs.total, np.inf)
    node = int(np.argmin(totals)) if totals.size else -1
    if node < 0 or not np.isfinite(totals[node]):
        return -1, costs
    return node, costs


class PlacementResult:
    """The placements of one batch, in pod order, and the documents behind them on demand."""

    def __init__(self, engine, pods, placements, seconds):
        self.engine = engine
        self.pods = pods
        self.placements = placements
        self.seconds = seconds

    @property
    def nodes(self):
        return np.array([placement.node for placement in self.placements], dtype=np.int64)

    def decision(self, position, decided_at, validate=True):
        """The PlacementDecision of the pod at ``position``."""
        found = []
        self.engine.replay(self.pods, self.placements, lambda *args: found.append(
            self._document(*args, decided_at=decided_at, validate=validate)), only=position)
        return found[0]

    def decisions(self, decided_at, validate=True):
        """Every pod's PlacementDecision, in pod order (one replay of the batch)."""
        documents = []
        self.engine.replay(self.pods, self.placements, lambda *args: documents.append(
            self._document(*args, decided_at=decided_at, validate=validate)))
        return documents

    def _document(self, pod, evaluation, costs, placement, decided_at, validate):
        return decision_document(pod, evaluation, costs, placement.node, self.engine.fleet, decided_at, validate=validate)


class Engine:
    """Places batches of pods on one fleet, starting each batch from ``initial_state``."""

    def __init__(self, fleet, initial_state, cost_model, anti_affinity=None):
        self.fleet = fleet
        self.initial_state = initial_state
        self.cost_model = cost_model
        self.anti_affinity = dict(anti_affinity or {})

    def evaluate(self, state, pod, static_cache):
        return evaluate(self.fleet, state, pod, self.anti_affinity, static_cache)

    def place(self, pods, chooser=cheapest):
        """PlacementResult of ``pods`` in order; ``chooser(engine, evaluation, state, pod)`` -> (row or -1, costs or None)."""
        started = time.perf_counter()
        for pod, found in zip(pods, followers(pods)):
            pod.followers = found
        state = self.initial_state.copy()
        static_cache = {}
        placements = []
        for pod in pods:
            evaluation = self.evaluate(state, pod, static_cache)
            node, costs = chooser(self, evaluation, state, pod)
            placements.append(self._commit(state, pod, evaluation, node, costs))
        return PlacementResult(self, pods, placements, time.perf_counter() - started)

    @staticmethod
    def _commit(state, pod, evaluation, node, costs):
        if node < 0:
            return Placement(-1, reason_counts=evaluation.reason_counts())
        served = evaluation.accelerators.served_at(pod, node)
        devices = state.apply(pod, node, served)
        cost = None
        if costs is not None:
            cost = (float(costs.download[node]), float(costs.load[node]), float(costs.prefill[node]),
                    float(costs.follow_on[node]), float(costs.balance[node]))
        return Placement(node, devices, served, cost)

    def replay(self, pods, placements, visit, only=None):
        """Walk the batch again: ``visit(pod, evaluation, costs, placement)`` sees each pod (or the one at ``only``)
        in the state it was placed in."""
        state = self.initial_state.copy()
        static_cache = {}
        for position, (pod, placement) in enumerate(zip(pods, placements)):
            if only is None or position == only:
                evaluation = self.evaluate(state, pod, static_cache)
                visit(pod, evaluation, self.cost_model.costs(state, pod, evaluation), placement)
                if only is not None:
                    return
            if placement.node >= 0:
                state.apply(pod, placement.node, placement.served, devices=placement.devices)
