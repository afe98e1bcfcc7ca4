# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Place a batch of AgentPods on a fleet: the one call behind the ``place_pods`` action.

``prepare`` checks the input and builds the engine; ``place_pods`` runs it
and returns every PlacementDecision (validated against its contract) and a
summary. Nothing here touches a machine.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import require_pydantic
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import TIMESTAMP_REGEX
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement._numpy import require_numpy
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.cost import CostModel, parse_parameters
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.engine import Engine
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.errors import PlacementInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.inputs import fleet_and_state, pod_requests

__all__ = ["prepare", "place_pods", "summarize"]

_TIMESTAMP = re.compile(TIMESTAMP_REGEX)


def _anti_affinity(value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PlacementInputError("anti_affinity", "must be a mapping of workroom ref to the most pods per machine")
    for workroom, limit in value.items():
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise PlacementInputError("anti_affinity[%s]" % workroom, "must be a whole number of pods, at least 1")
    return dict(value)


def decision_time(value=None):
    """The decision time as an RFC 3339 UTC string (now when None)."""
    if value is None:
        return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise PlacementInputError("decided_at", "must be an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)")
    return value


def prepare(pods, machines, inventories=None, loaded_models=None, cordoned=None, volume_classes=None,
            storage_receipts=None, scopes=None, running=None, anti_affinity=None, parameters=None):
    """(Engine, PodRequests) for a batch; PlacementInputError names the first bad field.

    Inputs are plain JSON types (``inputs.plain`` converts what Ansible passes).
    """
    require_numpy()
    require_pydantic()
    settings = parse_parameters(parameters)
    fleet, state = fleet_and_state(
        machines, settings, inventories=inventories, loaded_models=loaded_models, cordoned=cordoned,
        volume_classes=volume_classes, storage_receipts=storage_receipts, scopes=scopes, running=running)
    engine = Engine(fleet, state, CostModel(settings, fleet), _anti_affinity(anti_affinity))
    return engine, pod_requests(pods)


def summarize(result):
    """Counts and cold-start totals of a PlacementResult."""
    fleet = result.engine.fleet
    placed = [(pod, placement) for pod, placement in zip(result.pods, result.placements) if placement.node >= 0]
    per_machine = {}
    for _pod, placement in placed:
        machine_id = fleet.ids[placement.node]
        per_machine[machine_id] = per_machine.get(machine_id, 0) + 1
    costs = [placement.cost for _pod, placement in placed if placement.cost is not None]
    download, load, prefill = (round(sum(cost[term] for cost in costs), 6) for term in range(3))
    return {
        "pods": len(result.pods),
        "machines": fleet.size,
        "placed": len(placed),
        "unplaceable": len(result.pods) - len(placed),
        "unplaceablePods": [pod.id for pod, placement in zip(result.pods, result.placements) if placement.node < 0],
        "podsPerMachine": dict(sorted(per_machine.items())),
        "coldStartSeconds": {"download": download, "load": load, "prefill": prefill,
                             "total": round(download + load + prefill, 6)},
        "bytesDownloaded": sum(pod.model_bytes for pod, placement in placed if placement.cost and placement.cost[0] > 0),
        "coldLoads": sum(1 for _pod, placement in placed if placement.cost and placement.cost[1] > 0),
        "placementSeconds": round(result.seconds, 6),
    }


def place_pods(pods, machines, decided_at=None, **options):
    """{"decisions": [PlacementDecision, ...], "summary": {...}} for ``pods`` on ``machines``.

    ``options`` are those of ``prepare``. Unplaceable pods get a decision
    with reasons; only bad input raises (PlacementInputError).
    """
    when = decision_time(decided_at)
    engine, requests = prepare(pods, machines, **options)
    result = engine.place(requests)
    return {"decisions": result.decisions(when), "summary": summarize(result)}
