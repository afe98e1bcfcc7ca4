# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AgentRegistryGrant: the agent registry's grant that an agent identity may use a pod on a machine."""

from __future__ import annotations

from typing import List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    Digest, Document, GrantId, MachineId, PodId, ProviderId, Ref, Section, Timestamp,
)

GrantStatus = Literal["active", "expired", "revoked", "denied", "missing"]


class GrantRequest(Section):
    agent_pod_id: PodId
    requested_agent_identity_ref: Ref
    session_ref: Optional[Ref] = None
    agent_machine_id: MachineId
    workroom_ref: Ref


class GrantState(Section):
    model_config = {"json_schema_extra": {"allOf": [
        {"if": {"properties": {"authorizationGranted": {"const": True}}},
         "then": {"required": ["expiresAt"], "properties": {
             "status": {"const": "active"}, "revocationStatus": {"const": "not-revoked"}, "expiresAt": {"type": "string"}}}},
    ]}}

    status: GrantStatus
    authorization_granted: bool
    grant_ref: Ref
    grant_digest: Optional[Digest] = None
    expires_at: Optional[Timestamp] = None
    revocation_status: Literal["not-revoked", "revoked", "unknown"]

    def model_post_init(self, context, /):
        if not self.authorization_granted:
            return
        if self.status != "active":
            raise ValueError("authorizationGranted is true only when status is 'active', not %r" % self.status)
        if self.revocation_status != "not-revoked":
            raise ValueError("authorizationGranted is true only when revocationStatus is 'not-revoked'")
        if self.expires_at is None:
            raise ValueError("a granted grant states expiresAt")


class GrantScopeSet(Section):
    provider_ids: List[ProviderId] = []
    model_refs: List[Ref] = []
    tool_refs: List[Ref] = []
    cache_scope_refs: List[Ref] = []
    storage_scope_refs: List[Ref] = []
    evidence_scope_refs: List[Ref] = []


class GrantScope(Section):
    allowed: GrantScopeSet
    denied: GrantScopeSet = GrantScopeSet()


class AgentRegistryGrant(Document):
    """A registry grant, bound to one identity, pod, machine and workroom."""

    kind: Literal["AgentRegistryGrant"]
    id: GrantId
    request: GrantRequest
    grant: GrantState
    scope: GrantScope
    issued_at: Timestamp = Field(description="When the registry issued the grant.")
