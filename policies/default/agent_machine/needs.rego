# What the pod needs from the machine if it is admitted: port exposures,
# volume classes and side effects. The scope grants no more than this.
package agent_machine.admission

import rego.v1

local_pod_types := {"local-systemd", "local-podman-quadlet"}

cache_classes := {"agent-cache-hot", "agent-cache-warm", "agent-cache-cold"}

needed_exposures contains port.exposure if {
	some port in input.pod.ports
	port.exposure != "none"
}

needed_volume_classes contains mount.volumeClass if some mount in input.pod.storage

needed_side_effects contains "start-provider"

needed_side_effects contains "install-unit" if input.pod.podType in local_pod_types

needed_side_effects contains "mount-cache" if {
	some mount in input.pod.storage
	mount.volumeClass in cache_classes
}

needed_side_effects contains "reuse-cache" if input.pod.inference.cacheReuse != null

needed_side_effects contains "reuse-cache" if count(input.pod.context.prefixDigests) > 0

needed_side_effects contains "open-port" if count(needed_exposures) > 0

# Egress: networkMode none has no network; a Kubernetes service gets the
# rendered default-deny egress NetworkPolicy. Every other mode (loopback
# publishing on a bridge, host, pod) can open outbound connections.
needed_side_effects contains "network-egress" if not egress_blocked

egress_blocked if input.pod.runtime.networkMode == "none"

egress_blocked if {
	input.pod.runtime.networkMode == "kubernetes-service"
	input.pod.podType == "kubernetes-pod"
}
