# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The placement policies operators use today, as choosers for the same engine.

Each chooser gets the engine's verdict for one pod (which machines pass
the hard filters, in the current state of the batch) and picks one, so
every policy sees the same filters and the same capacity accounting and
only the choice differs. None of them looks at the cost model.

``kube_visible`` turns a chooser into one that sees only what the default
Kubernetes scheduler sees: CPU, RAM, device counts, node selectors,
cordons, volume classes and anti-affinity - but not accelerator memory
(devices are extended resources, counted, not sized; unified memory is
invisible) and not the policy scope. Its placements can break constraints
the engine enforces, which the independent check in ``metrics.py`` counts.
"""

import random

import numpy as np

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.engine import cheapest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.filters import SHIFTS

NOT_VISIBLE_TO_KUBERNETES = ("memory-fit", "provider-not-allowed", "exposure-not-allowed")


def _first(candidates):
    return int(candidates[0]) if candidates.size else -1


def random_choice(seed):
    rng = random.Random(seed)

    def choose(_engine, evaluation, _state, _pod):
        candidates = np.flatnonzero(evaluation.feasible)
        return (int(candidates[rng.randrange(candidates.size)]) if candidates.size else -1), None
    return choose


def round_robin():
    cursor = [0]

    def choose(_engine, evaluation, _state, _pod):
        candidates = np.flatnonzero(evaluation.feasible)
        if not candidates.size:
            return -1, None
        after = candidates[candidates >= cursor[0]]
        node = int(after[0]) if after.size else int(candidates[0])
        cursor[0] = node + 1
        return node, None
    return choose


def first_fit():
    def choose(_engine, evaluation, _state, _pod):
        return _first(np.flatnonzero(evaluation.feasible)), None
    return choose


def _best(score, feasible):
    """Row with the highest score among feasible machines (first on a tie), or -1."""
    if not feasible.any():
        return -1
    return int(np.argmax(np.where(feasible, score, -np.inf)))


def least_allocated():
    """Kubernetes NodeResourcesLeastAllocated: the most free CPU and RAM (equal weights) after the pod."""
    def choose(engine, evaluation, state, pod):
        fleet = engine.fleet
        with np.errstate(divide="ignore", invalid="ignore"):
            cpu = np.nan_to_num((fleet.cpu_capacity - state.cpu_used - pod.cpu) / fleet.cpu_capacity)
            ram = np.nan_to_num((fleet.ram_capacity - state.ram_used - pod.memory) / fleet.ram_capacity)
        return _best(cpu + ram, evaluation.feasible), None
    return choose


def spread():
    """Topology spread over machines: the fewest pods of the workroom, then the fewest pods."""
    def choose(_engine, evaluation, state, pod):
        score = -(state.workroom_counts(pod.workroom) * 1e6 + state.pods)
        return _best(score.astype(float), evaluation.feasible), None
    return choose


def cache_affinity():
    """Prefix-cache affinity only (as cache-aware routers score): the longest cached prefix, then the fewest pods."""
    def choose(_engine, evaluation, state, pod):
        score = state.cached_tokens(pod) * 1e6 - state.pods
        return _best(score, evaluation.feasible), None
    return choose


def kube_visible(chooser):
    """``chooser`` limited to what the default Kubernetes scheduler can see (see the module doc)."""
    ignored = np.uint32(sum(1 << SHIFTS[code] for code in NOT_VISIBLE_TO_KUBERNETES))

    def choose(engine, evaluation, state, pod):
        visible = (evaluation.rejections & ~ignored) == 0
        evaluation.feasible = visible
        use = evaluation.accelerators
        for request in pod.accelerators:  # a device counted free is taken, whatever its memory
            if request.required:
                use.uses[request.position] = engine.fleet.has_accelerator(request.type) & use.count_ok[request.position]
        return chooser(engine, evaluation, state, pod)
    return choose


def policies(seed):
    """(name, chooser) of ours and every baseline, ours first."""
    return [
        ("ours", cheapest),
        ("random", random_choice(seed)),
        ("round-robin", round_robin()),
        ("first-fit", first_fit()),
        ("least-allocated", least_allocated()),
        ("spread", spread()),
        ("cache-affinity-only", cache_affinity()),
        ("least-allocated (k8s-visible)", kube_visible(least_allocated())),
    ]
