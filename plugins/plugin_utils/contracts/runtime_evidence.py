# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RuntimeEvidence: what happened when a pod's unit was activated, rolled back, torn down or wiped."""

from __future__ import annotations

from typing import Annotated, List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    AbsolutePath, ActivationDecisionId, ByteSize, Count, Digest, Document, MachineId, PodId, RuntimeEvidenceId,
    Section, Seconds, Text, Timestamp, VolumeClass,
)

RuntimeAction = Literal["activate", "rollback", "teardown", "wipe"]
RuntimeOutcome = Literal[
    "activated", "unchanged", "rolled-back", "rollback-failed", "stopped", "wiped", "refused", "failed", "planned",
]
UnitName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9:_.@\\-]+$")]


class ActivationDecisionRef(Section):
    id: ActivationDecisionId
    digest: Digest


class HealthCheck(Section):
    at: Timestamp
    status: Literal["pass", "fail"]
    http_status: Optional[Annotated[int, Field(ge=100, le=599)]] = Field(default=None, description="Null when no HTTP answer came.")
    latency_seconds: Optional[Seconds] = None
    error: Optional[Text] = Field(default=None, description="Connection error or unexpected body, secret-free.")


class WipedVolume(Section):
    volume_class: VolumeClass
    path: AbsolutePath
    removed_entries: Count
    freed_bytes: ByteSize


class RuntimeEvidence(Document):
    """One lifecycle action on one pod's unit."""

    model_config = {"json_schema_extra": {"allOf": [
        {"if": {"properties": {"outcome": {"enum": ["rolled-back", "rollback-failed"]}}},
         "then": {"properties": {"rolledBack": {"const": True}}}},
    ]}}

    kind: Literal["RuntimeEvidence"]
    id: RuntimeEvidenceId
    agent_pod_id: Optional[PodId] = Field(description="The pod acted on; null for a machine-wide wipe.")
    agent_machine_id: MachineId
    activation_decision: Optional[ActivationDecisionRef] = Field(default=None, description="The decision an activation acted on.")
    action: RuntimeAction
    outcome: RuntimeOutcome
    unit_name: Optional[UnitName] = Field(default=None, description="The systemd unit (e.g. coder-llama.service); null for Kubernetes.")
    previous_revision_digest: Optional[Digest] = Field(default=None, description="sha256 of the unit file before the action; null when there was none.")
    new_revision_digest: Optional[Digest] = Field(default=None, description="sha256 of the unit file the action installed.")
    rolled_back: bool
    health_checks: List[HealthCheck] = []
    wiped: List[WipedVolume] = []
    events: List[Text] = Field(default=[], description="What happened, in order, for operators (secret-free).")
    started_at: Timestamp
    finished_at: Timestamp

    def model_post_init(self, context, /):
        if self.outcome in ("rolled-back", "rollback-failed") and not self.rolled_back:
            raise ValueError("outcome %r needs rolledBack true" % self.outcome)
