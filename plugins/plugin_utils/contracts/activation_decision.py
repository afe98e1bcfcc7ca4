# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ActivationDecision: may this pod start on this machine now? ``allowed`` or ``fail-closed``, with every reason.

The document itself is fail-closed: ``allowed`` is only valid with
``activationAllowed`` true, no failure reasons, nothing required before
activation, and the pod, machine, policy admission, registry grant and
deployment receipt all referenced by id and digest.
"""

from __future__ import annotations

from typing import List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    ActivationDecisionId, DeploymentReceiptId, Digest, Document, Exposure, GrantId, MachineId, ModelReceiptId,
    PlacementDecisionId, PodId, PolicyAdmissionId, ProviderId, Reason, ReceiptKind, Ref, Section, SideEffect,
    StorageReceiptId, Text, Timestamp, VolumeClass, rule,
)

# Inputs an ``allowed`` decision must reference (camelCase keys of ActivationInputs).
REQUIRED_FOR_ALLOWED = ("agentPod", "agentMachine", "policyAdmission", "agentRegistryGrant", "deploymentReceipt")


class PodRef(Section):
    id: PodId
    digest: Digest


class MachineRef(Section):
    id: MachineId
    digest: Digest


class PolicyAdmissionRef(Section):
    id: PolicyAdmissionId
    digest: Digest


class GrantRef(Section):
    id: GrantId
    digest: Digest


class PlacementDecisionRef(Section):
    id: PlacementDecisionId
    digest: Digest


class DeploymentReceiptRef(Section):
    id: DeploymentReceiptId
    digest: Digest


class StorageReceiptRef(Section):
    id: StorageReceiptId
    digest: Digest


class ModelReceiptRef(Section):
    id: ModelReceiptId
    digest: Digest


class ActivationInputs(Section):
    """Every input of the decision by id and digest; null when it was missing or unusable."""

    agent_pod: Optional[PodRef]
    agent_machine: Optional[MachineRef]
    policy_admission: Optional[PolicyAdmissionRef]
    agent_registry_grant: Optional[GrantRef]
    placement_decision: Optional[PlacementDecisionRef] = None
    deployment_receipt: Optional[DeploymentReceiptRef]
    storage_receipts: List[StorageReceiptRef] = []
    model_receipts: List[ModelReceiptRef] = []


class ActivationVerdict(Section):
    model_config = {"json_schema_extra": {"allOf": [
        rule({"status": {"const": "allowed"}},
             {"activationAllowed": {"const": True}, "failureReasons": {"maxItems": 0},
              "requiredBeforeActivation": {"maxItems": 0}},
             {"activationAllowed": {"const": False}, "failureReasons": {"minItems": 1}},
             otherwise_required=["failureReasons"]),
    ]}}

    status: Literal["allowed", "fail-closed"]
    activation_allowed: bool
    reason: Text = Field(description="One sentence summing the decision up.")
    failure_reasons: List[Reason] = Field(default=[], description="Every reason the activation is refused, sorted by code.")
    required_before_activation: List[Text] = Field(default=[], description="What would make the decision pass.")

    def model_post_init(self, context, /):
        if self.status == "allowed":
            if not self.activation_allowed:
                raise ValueError("status 'allowed' needs activationAllowed true")
            if self.failure_reasons or self.required_before_activation:
                raise ValueError("status 'allowed' has no failureReasons and nothing requiredBeforeActivation")
        else:
            if self.activation_allowed:
                raise ValueError("status 'fail-closed' needs activationAllowed false")
            if not self.failure_reasons:
                raise ValueError("status 'fail-closed' lists at least one failure reason")


class ActivationScope(Section):
    """What an activation may do, intersected from the policy admission and the grant."""

    network_exposure: List[Exposure] = []
    volume_classes: List[VolumeClass] = []
    provider_ids: List[ProviderId] = []
    cache_reuse: bool = False
    side_effects: List[SideEffect] = []
    egress: Literal["none", "unrestricted"] = Field(
        description="Whether the container can open outbound connections (loopback publishing on a bridge does not stop egress).")
    notes: List[Text] = []


class ActivationObligations(Section):
    required_receipts: List[ReceiptKind] = []
    expires_at: Optional[Timestamp] = Field(default=None, description="Earliest expiry of the policy admission and grant.")
    revocation_refs: List[Ref] = []


class ActivationDecision(Document):
    """The activation verdict for one pod on one machine."""

    model_config = {"json_schema_extra": {"allOf": [
        rule({"decision": {"properties": {"status": {"const": "allowed"}}}},
             {"inputs": {"properties": {name: {"type": "object"} for name in REQUIRED_FOR_ALLOWED}}}),
    ]}}

    kind: Literal["ActivationDecision"]
    id: ActivationDecisionId
    decision: ActivationVerdict
    inputs: ActivationInputs
    scope: ActivationScope
    obligations: ActivationObligations
    decided_at: Timestamp

    def model_post_init(self, context, /):
        if self.decision.status != "allowed":
            return
        missing = [name for name in REQUIRED_FOR_ALLOWED if getattr(self.inputs, _snake(name)) is None]
        if missing:
            raise ValueError("status 'allowed' needs inputs %s" % ", ".join(missing))


def _snake(name):
    return "".join("_" + char.lower() if char.isupper() else char for char in name)
