# Why a request is denied: one reason per problem, each with a stable code.
package agent_machine.admission

import rego.v1

deny contains reason("request-type-not-allowed", "input.request.requestType", msg) if {
	not input.request.requestType in config.request_types
	msg := sprintf("the policy does not admit %s requests", [input.request.requestType])
}

# Privileged containers are never admitted; no data setting changes that.
deny contains reason("privileged", "input.pod.policy.allowPrivileged", msg) if {
	input.pod.policy.allowPrivileged
	msg := "the pod asks to run privileged, which is never admitted"
}

deny contains reason("host-network", "input.pod.runtime.networkMode", msg) if {
	input.pod.runtime.networkMode == "host"
	not host_network_allowed
	msg := "host networking needs policy.allowHostNetwork in the pod and network.allow_host_network in the policy data"
}

host_network_allowed if {
	input.pod.policy.allowHostNetwork
	config.network.allow_host_network
}

deny contains reason("secret-in-spec", "input.pod.policy.allowSecretInSpec", msg) if {
	input.pod.policy.allowSecretInSpec
	not config.pods.allow_secret_in_spec
	msg := "the pod asks to carry secrets in its spec; use secretEnv references"
}

# Images: pinned by digest when the pod's reference policy says so, or
# always when the policy data requires it.
deny contains reason("image-not-pinned", "input.pod.runtime.imageDigest", msg) if {
	digest_required
	not image_pinned
	msg := sprintf("image %s is not pinned by digest, which imageReferencePolicy %s or the policy data requires", [
		input.pod.runtime.image, input.pod.runtime.imageReferencePolicy,
	])
}

digest_required if input.pod.runtime.imageReferencePolicy in {"digest-required", "digest-pinned"}

digest_required if config.images.require_digest

image_pinned if input.pod.runtime.imageDigest != null

image_pinned if regex.match(`@sha256:[0-9a-f]{64}$`, input.pod.runtime.image)

deny contains reason("image-digest-conflict", "input.pod.runtime.imageDigest", msg) if {
	input.pod.runtime.imageDigest != null
	regex.match(`@sha256:[0-9a-f]{64}$`, input.pod.runtime.image)
	not endswith(input.pod.runtime.image, concat("", ["@", input.pod.runtime.imageDigest]))
	msg := "the image's @sha256 digest differs from runtime.imageDigest"
}

# Network exposure: loopback by default; host, cluster or ingress only when
# the policy data lists them.
deny contains reason("exposure-not-allowed", sprintf("input.pod.ports[%d].exposure", [i]), msg) if {
	some i
	port := input.pod.ports[i]
	not port.exposure in config.network.allowed_exposures
	msg := sprintf("port %s asks for %s exposure, which the policy does not allow", [port.name, port.exposure])
}

# Volume classes: only the listed classes, and read-only classes read-only.
deny contains reason("volume-class-not-allowed", sprintf("input.pod.storage[%d].volumeClass", [i]), msg) if {
	some i
	mount := input.pod.storage[i]
	not mount.volumeClass in config.volumes.allowed_classes
	msg := sprintf("volume class %s is not allowed for workloads", [mount.volumeClass])
}

deny contains reason("volume-not-read-only", sprintf("input.pod.storage[%d].accessMode", [i]), msg) if {
	some i
	mount := input.pod.storage[i]
	mount.volumeClass in config.volumes.read_only_classes
	mount.accessMode != "read-only"
	msg := sprintf("volume class %s may only be mounted read-only, not %s", [mount.volumeClass, mount.accessMode])
}

# Providers: the pod's provider must be listed, and the provider document,
# when given, must be that provider and support the accelerators the pod requires.
deny contains reason("provider-not-allowed", "input.pod.providerId", msg) if {
	not input.pod.providerId in config.providers.allowed
	msg := sprintf("provider %s is not allowed", [input.pod.providerId])
}

deny contains reason("provider-mismatch", "input.pod.providerId", msg) if {
	input.provider != null
	input.provider.id != input.pod.providerId
	msg := sprintf("the provider given is %s, the pod names %s", [input.provider.id, input.pod.providerId])
}

deny contains reason("provider-accelerator-unsupported", sprintf("input.pod.resources.accelerators[%d].type", [i]), msg) if {
	input.provider != null
	some i
	accelerator := input.pod.resources.accelerators[i]
	accelerator.required
	not accelerator.type in {a.type | some a in input.provider.accelerators}
	msg := sprintf("provider %s has no image for the required %s accelerator", [input.provider.id, accelerator.type])
}

# Side effects: every side effect the pod needs must be allowed.
deny contains reason("side-effect-not-allowed", object.get(side_effect_field, effect, "input.pod"), msg) if {
	some effect in needed_side_effects
	not effect in config.side_effects.allowed
	msg := sprintf("the pod needs side effect %s, which the policy does not allow", [effect])
}

side_effect_field := {
	"start-provider": "input.pod.providerId",
	"install-unit": "input.pod.podType",
	"mount-cache": "input.pod.storage",
	"reuse-cache": "input.pod.inference.cacheReuse",
	"open-port": "input.pod.ports",
	"network-egress": "input.pod.runtime.networkMode",
}
