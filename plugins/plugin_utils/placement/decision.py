# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PlacementDecision documents: the chosen machine, its cost breakdown, and every other machine's cost or reasons."""

from __future__ import annotations

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import SPEC_VERSION, URN_PREFIX
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import document_digest

__all__ = ["decision_document", "unplaceable_reasons"]


def unplaceable_reasons(reason_counts, machines):
    """The reasons of an unplaceable decision: which filters rejected how many of the machines."""
    if not machines:
        return [{"code": "no-machines", "message": "no machine was given to place the pod on", "field": None}]
    detail = ", ".join("%s %d" % (code, count) for code, count in sorted(reason_counts.items(), key=lambda item: (-item[1], item[0])))
    return [{"code": "no-feasible-machine",
             "message": "all %d machines were rejected by hard filters (%s)" % (machines, detail), "field": None}]


def _candidate(evaluation, costs, row, machine_id):
    if evaluation.feasible[row]:
        return {"agentMachineId": machine_id, "feasible": True, "cost": costs.breakdown(row), "rejectionReasons": []}
    return {"agentMachineId": machine_id, "feasible": False, "cost": None, "rejectionReasons": evaluation.reasons(row)}


def decision_document(pod, evaluation, costs, node, fleet, decided_at, validate=True):
    """The PlacementDecision of ``pod`` placed on machine row ``node`` (-1: unplaceable)."""
    placed = node >= 0
    document = {
        "specVersion": SPEC_VERSION,
        "kind": "PlacementDecision",
        "id": URN_PREFIX + "placement-decision:" + pod.slug,
        "agentPodId": pod.id,
        "agentPodDigest": document_digest(pod.document),
        "status": "placed" if placed else "unplaceable",
        "agentMachineId": fleet.ids[node] if placed else None,
        "cost": costs.breakdown(node) if placed else None,
        "candidates": [_candidate(evaluation, costs, row, machine_id) for row, machine_id in enumerate(fleet.ids)],
        "reasons": [] if placed else unplaceable_reasons(evaluation.reason_counts(), fleet.size),
        "decidedAt": decided_at,
    }
    if validate:
        validate_document("PlacementDecision", document, source="decision for %s" % pod.id)
    return document
