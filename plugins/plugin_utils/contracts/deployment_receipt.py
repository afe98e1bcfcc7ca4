# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DeploymentReceipt: derivation evidence of the units or manifests rendered for one pod on one machine.

Digests cover content only, so the receipt does not depend on where the
files were written.
"""

from __future__ import annotations

from typing import Annotated, List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    Digest, Document, DeploymentReceiptId, MachineId, PlacementDecisionId, PodId, ProviderId, Section, Timestamp,
    check_unique,
)

ArtifactKind = Literal["quadlet-container", "quadlet-network", "quadlet-volume", "kubernetes-manifest"]


class Renderer(Section):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    version: Annotated[str, Field(min_length=1, max_length=64)]


class Artifact(Section):
    kind: ArtifactKind
    name: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@:-]*$")] = Field(
        description="File or object name, e.g. coder-llama.container; never a path.")
    source_digest: Digest = Field(description="Digest of the inputs the artifact was rendered from.")
    artifact_digest: Digest = Field(description="sha256 of the artifact's bytes.")


class DeploymentReceipt(Document):
    """What was rendered for a pod, from what, by which renderer."""

    kind: Literal["DeploymentReceipt"]
    id: DeploymentReceiptId
    agent_pod_id: PodId
    agent_machine_id: MachineId
    provider_id: ProviderId
    placement_decision_id: Optional[PlacementDecisionId] = None
    target: Literal["quadlet", "kubernetes"]
    renderer: Renderer
    artifacts: List[Artifact] = Field(min_length=1)
    outcome: Literal["written", "unchanged", "planned"] = Field(description="planned: check mode, nothing written.")
    recorded_at: Timestamp

    def model_post_init(self, context, /):
        check_unique([(artifact.kind, artifact.name) for artifact in self.artifacts], "artifacts (kind, name)")
