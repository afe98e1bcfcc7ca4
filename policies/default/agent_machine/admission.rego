# Default admission policy of sourceos.agent_machine: the decision document.
#
# Query:  data.agent_machine.admission.decision
# Input:  {"request": {...}, "pod": AgentPod, "machine": AgentMachine | null,
#          "provider": InferenceProvider | null}   (docs/policy.md)
# Data:   data.agent_machine.config                 (data.json next to this directory)
#
# The request is admitted only when no rule in `deny` fires. Operators
# extend the policy by adding `deny contains reason(...) if { ... }` rules
# to this package in their own files; they relax it by changing the data.
package agent_machine.admission

import rego.v1

config := data.agent_machine.config

default allow := false

allow if count(deny) == 0

# The decision always exists: when the scope or the obligations cannot be
# computed (broken policy data), it is a denial with the reasons found.
decision := {
	"allow": allow,
	"reasons": [r | some r in deny],
	"scope": s,
	"obligations": o,
} if {
	s := scope
	o := obligations
} else := {
	"allow": false,
	"reasons": [r | some r in deny],
	"scope": {"allowed": {}, "denied": {}},
	"obligations": {"requiredReceipts": [], "expiresAt": null, "revocationRef": null},
}

# A reason for a denial: a stable code, what it is about (input.pod.<path>,
# input.request.<field> or data.agent_machine.config.<setting>) and a sentence.
reason(code, field, message) := {"code": code, "field": field, "message": message}

# Scope: what the admission allows, narrowed to what this pod needs, and
# what the policy refuses outright.
exposures := {"none", "loopback", "host", "cluster", "ingress"}

volume_classes := {
	"agent-models", "agent-cache-hot", "agent-cache-warm", "agent-cache-cold",
	"agent-scratch", "agent-evidence", "agent-artifacts",
}

scope := {
	"allowed": {
		"networkExposure": sort([e | some e in ({"none"} | needed_exposures); e in config.network.allowed_exposures]),
		"volumeClasses": sort([c | some c in needed_volume_classes; c in config.volumes.allowed_classes]),
		"providerIds": [p | p := input.pod.providerId; p in config.providers.allowed],
		"cacheReuse": cache_reuse_admitted,
		"sideEffects": sort([e | some e in needed_side_effects; e in config.side_effects.allowed]),
	},
	"denied": {
		"networkExposure": sort([e | some e in exposures; not e in config.network.allowed_exposures]),
		"volumeClasses": sort([c | some c in volume_classes; not c in config.volumes.allowed_classes]),
		"providerIds": [],
		"cacheReuse": cache_reuse_refused,
		"sideEffects": sort([e | some e in side_effects; not e in config.side_effects.allowed]),
	},
}

default cache_reuse_admitted := false

cache_reuse_admitted if {
	"reuse-cache" in needed_side_effects
	"reuse-cache" in config.side_effects.allowed
}

default cache_reuse_refused := true

cache_reuse_refused := false if "reuse-cache" in config.side_effects.allowed

side_effects := {
	"start-provider", "stop-provider", "install-unit", "pull-image", "download-model",
	"mount-cache", "reuse-cache", "open-port", "network-egress", "wipe-cache", "wipe-models",
}

# Obligations: receipts to produce, and when the admission expires
# (decision time + TTL; the requested TTL is capped by the policy's maximum).
obligations := {
	"requiredReceipts": sort([k | some k in required_receipts]),
	"expiresAt": time.format([input.request.decidedAtNs + (ttl_seconds * 1000000000), "UTC", "2006-01-02T15:04:05Z"]),
	"revocationRef": revocation_ref,
}

# A revocation ref that is not a string is reported by config.rego.
revocation_ref := ref if {
	ref := setting("admission.revocation_ref")
	is_string(ref)
} else := null

# The policy's receipts and the pod's own.
required_receipts contains k if some k in config.obligations.required_receipts

required_receipts contains k if some k in input.pod.receipts.required

requested_ttl := input.request.ttlSeconds if {
	input.request.ttlSeconds != null
} else := config.admission.default_ttl_seconds

# Compared with >, not min(): rego-cpp 1.5 orders numbers in sets and arrays as text.
ttl_seconds := config.admission.max_ttl_seconds if {
	requested_ttl > config.admission.max_ttl_seconds
} else := requested_ttl
