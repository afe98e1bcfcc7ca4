# The policy data must be complete: a missing or mistyped setting denies the
# request instead of leaving the rules that read it silent.
package agent_machine.admission

import rego.v1

list_settings := {
	"request_types", "network.allowed_exposures", "volumes.allowed_classes", "volumes.read_only_classes",
	"providers.allowed", "side_effects.allowed", "obligations.required_receipts",
}

flag_settings := {"images.require_digest", "network.allow_host_network", "pods.allow_secret_in_spec"}

number_settings := {"admission.default_ttl_seconds", "admission.max_ttl_seconds"}

# A setting by its dotted name; null when absent.
setting(name) := object.get(config, split(name, "."), null)

valid_setting(name) if {
	name in list_settings
	is_array(setting(name))
}

valid_setting(name) if {
	name in flag_settings
	is_boolean(setting(name))
}

valid_setting(name) if {
	name in number_settings
	is_number(setting(name))
	setting(name) > 0
}

deny contains reason("policy-data-invalid", concat("", ["data.agent_machine.config.", name]), msg) if {
	some name in (list_settings | flag_settings) | number_settings
	not valid_setting(name)
	msg := sprintf("the policy data agent_machine.config.%s is missing or has the wrong type", [name])
}

deny contains reason("policy-data-invalid", "data.agent_machine.config.admission.revocation_ref", msg) if {
	ref := setting("admission.revocation_ref")
	ref != null
	not is_string(ref)
	msg := "the policy data agent_machine.config.admission.revocation_ref is neither null nor a string"
}
