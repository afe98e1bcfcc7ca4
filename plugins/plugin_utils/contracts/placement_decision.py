# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PlacementDecision: where one AgentPod goes, what it costs there, and why every other machine was not chosen."""

from __future__ import annotations

from typing import List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    Digest, Document, MachineId, PlacementDecisionId, PodId, Reason, Section, Seconds, Timestamp,
    check_unique,
)


class CostBreakdown(Section):
    """Expected cold-start cost on one machine, in seconds."""

    download_seconds: Seconds = Field(description="Model bytes not on local disk / link bandwidth.")
    load_seconds: Seconds = Field(description="Model bytes not resident / disk bandwidth.")
    prefill_seconds: Seconds = Field(description="Prefix tokens not in the warm cache x per-token prefill cost.")
    follow_on_seconds: Seconds = Field(
        default=0.0, description="Expected cost of the batch's later pods that continue this pod's context, were it placed here: "
                                 "what they add to the prefill, and a download and load elsewhere when they would not all fit.")
    balance: Seconds = Field(description="Load-balance term.")
    total: Seconds


class Candidate(Section):
    model_config = {"json_schema_extra": {"allOf": [
        {"if": {"properties": {"feasible": {"const": True}}},
         "then": {"required": ["cost"], "properties": {"cost": {"type": "object"}, "rejectionReasons": {"maxItems": 0}}},
         "else": {"required": ["rejectionReasons"], "properties": {"rejectionReasons": {"minItems": 1}}}},
    ]}}

    agent_machine_id: MachineId
    feasible: bool
    cost: Optional[CostBreakdown] = Field(default=None, description="Set for every feasible machine.")
    rejection_reasons: List[Reason] = Field(default=[], description="Every hard filter the machine failed.")

    def model_post_init(self, context, /):
        if self.feasible and (self.cost is None or self.rejection_reasons):
            raise ValueError("a feasible candidate has a cost and no rejection reasons")
        if not self.feasible and not self.rejection_reasons:
            raise ValueError("an infeasible candidate lists its rejection reasons")


class PlacementDecision(Document):
    """The placement of one pod."""

    model_config = {"json_schema_extra": {"allOf": [
        {"if": {"properties": {"status": {"const": "placed"}}},
         "then": {"required": ["agentMachineId", "cost"],
                  "properties": {"agentMachineId": {"type": "string"}, "cost": {"type": "object"}}},
         "else": {"required": ["reasons"],
                  "properties": {"agentMachineId": {"type": "null"}, "cost": {"type": "null"}, "reasons": {"minItems": 1}}}},
    ]}}

    kind: Literal["PlacementDecision"]
    id: PlacementDecisionId
    agent_pod_id: PodId
    agent_pod_digest: Optional[Digest] = Field(default=None, description="Digest of the AgentPod as placed.")
    status: Literal["placed", "unplaceable"]
    agent_machine_id: Optional[MachineId] = Field(default=None, description="The chosen machine; null when unplaceable.")
    cost: Optional[CostBreakdown] = Field(default=None, description="Cost on the chosen machine.")
    candidates: List[Candidate] = Field(description="Every machine considered, chosen one included.")
    reasons: List[Reason] = Field(default=[], description="Why the pod could not be placed.")
    decided_at: Timestamp

    def model_post_init(self, context, /):
        check_unique([candidate.agent_machine_id for candidate in self.candidates], "candidate machines")
        if self.status == "unplaceable":
            if self.agent_machine_id is not None or self.cost is not None:
                raise ValueError("an unplaceable decision names no machine and no cost")
            if not self.reasons:
                raise ValueError("an unplaceable decision lists its reasons")
            return
        if self.agent_machine_id is None or self.cost is None:
            raise ValueError("a placed decision names agentMachineId and its cost")
        chosen = [c for c in self.candidates if c.agent_machine_id == self.agent_machine_id]
        if not chosen or not chosen[0].feasible:
            raise ValueError("the chosen machine must be a feasible candidate")
