# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PolicyAdmission: a policy decision about one request (place, activate, reuse a cache, …) for one pod on one machine."""

from __future__ import annotations

from typing import List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    Digest, Document, Exposure, MachineId, PodId, PolicyAdmissionId, ProviderId, ReceiptKind, Ref, Section,
    SideEffect, Timestamp, VolumeClass, rule,
)

RequestType = Literal["placement", "activation", "render", "cache-reuse", "side-effect", "teardown", "wipe"]
DecisionStatus = Literal["allowed", "denied", "missing", "not-required", "unknown"]


class AdmissionRequest(Section):
    request_type: RequestType
    agent_machine_id: MachineId
    agent_pod_id: PodId
    provider_id: Optional[ProviderId] = None
    plan_digest: Digest = Field(description="Digest of the plan (rendered artifacts and inputs) the decision is about.")


class AdmissionDecision(Section):
    model_config = {"json_schema_extra": {"allOf": [
        rule({"authorizationGranted": {"const": True}}, {"status": {"const": "allowed"}}),
    ]}}

    status: DecisionStatus
    authorization_granted: bool
    decision_ref: Ref = Field(description="Where the decision can be looked up (policy engine, bundle and query).")
    decision_digest: Optional[Digest] = Field(default=None, description="Digest of the policy engine's decision output.")

    def model_post_init(self, context, /):
        if self.authorization_granted and self.status != "allowed":
            raise ValueError("authorizationGranted is true only when status is 'allowed', not %r" % self.status)


class AdmissionScopeSet(Section):
    network_exposure: List[Exposure] = []
    volume_classes: List[VolumeClass] = []
    provider_ids: List[ProviderId] = []
    cache_reuse: bool = False
    side_effects: List[SideEffect] = []


class AdmissionScope(Section):
    allowed: AdmissionScopeSet
    denied: AdmissionScopeSet = AdmissionScopeSet()


class AdmissionObligations(Section):
    required_receipts: List[ReceiptKind] = []
    expires_at: Optional[Timestamp] = Field(default=None, description="The decision is void from this time on.")
    revocation_ref: Optional[Ref] = None


class PolicyAdmission(Document):
    """A policy decision, bound to one request."""

    model_config = {"json_schema_extra": {"allOf": [
        rule({"decision": {"properties": {"authorizationGranted": {"const": True}}}},
             {"obligations": {"required": ["expiresAt"], "properties": {"expiresAt": {"type": "string"}}}}),
    ]}}

    kind: Literal["PolicyAdmission"]
    id: PolicyAdmissionId
    request: AdmissionRequest
    decision: AdmissionDecision
    scope: AdmissionScope
    obligations: AdmissionObligations
    decided_at: Timestamp

    def model_post_init(self, context, /):
        if self.decision.authorization_granted and self.obligations.expires_at is None:
            raise ValueError("a granted admission states obligations.expiresAt")
