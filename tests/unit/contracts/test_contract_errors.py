"""Bad documents fail with the exact JSON path, in the model and in the published schema alike."""

import copy
import json
import os

import pytest
from jsonschema import Draft202012Validator

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.registry import CONTRACTS, schema_text
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import ContractError, validate_document

EXAMPLES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "contracts", "examples")


def example(name):
    with open(os.path.join(EXAMPLES_DIR, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


def json_path(parts):
    return "$" + "".join("[%d]" % p if isinstance(p, int) else "." + p for p in parts)


def with_value(document, parts, value):
    document = copy.deepcopy(document)
    target = document
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value
    return document


def without(document, parts):
    document = copy.deepcopy(document)
    target = document
    for part in parts[:-1]:
        target = target[part]
    del target[parts[-1]]
    return document


def problems(name, document):
    with pytest.raises(ContractError) as info:
        validate_document(name, document, source="case.json")
    return info.value


def paths_of(error):
    return [problem[0] for problem in error.problems]


def schema_rejects(name, document):
    return not Draft202012Validator(json.loads(schema_text(name))).is_valid(document)


# name: (wrong type, wrong enum value, missing required field, parent of an unknown field)
CASES = {
    "agent-machine": (
        (("memory", "totalBytes"), "24 GiB"), (("profile", "name"), "macos"), ("host", "arch"), ("cpu",)),
    "agent-pod": (
        (("resources", "memoryBytes"), "12Gi"), (("runtime", "imageReferencePolicy"), "latest"),
        ("workload", "agentIdentityRef"), ("ports", 0)),
    "inference-provider": (
        (("defaultPort",), "8080"), (("name",), "tgi"), ("healthPath",), ("accelerators", 1)),
    "cache-tier": (
        (("sizeBytes",), "32G"), (("backend",), "zfs"), ("reuse", "scope"), ()),
    "storage-receipt": (
        (("checks", "worldWritable"), "no"), (("encryption", "method"), "bitlocker"), ("capacity", "sizeBytes"), ("lvm",)),
    "model-receipt": (
        (("verified",), 1), (("source", "kind"), "s3"), ("path",), ("source",)),
    "policy-admission": (
        (("scope", "allowed", "cacheReuse"), "yes"), (("request", "requestType"), "deploy"),
        ("request", "planDigest"), ("decision",)),
    "agent-registry-grant": (
        (("grant", "authorizationGranted"), "true"), (("grant", "status"), "suspended"),
        ("request", "workroomRef"), ("scope", "allowed")),
    "placement-decision": (
        (("candidates", 2, "cost", "total"), "1.45s"), (("status",), "pending"),
        ("candidates", 0, "agentMachineId"), ("cost",)),
    "deployment-receipt": (
        (("artifacts", 0, "name"), 42), (("artifacts", 1, "kind"), "helm-chart"), ("renderer", "version"), ("artifacts", 0)),
    "activation-decision": (
        (("decision", "activationAllowed"), "yes"), (("decision", "status"), "maybe"), ("inputs", "agentPod"), ("scope",)),
    "runtime-evidence": (
        (("healthChecks", 1, "httpStatus"), "200"), (("action",), "restart"), ("startedAt",), ("healthChecks", 0)),
}


def test_every_contract_has_error_cases():
    assert sorted(CASES) == sorted(CONTRACTS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_wrong_type(name):
    parts, value = CASES[name][0]
    document = with_value(example(name), parts, value)
    error = problems(name, document)
    assert paths_of(error) == [json_path(parts)]
    assert error.problems[0][1].startswith("Input should be a valid ")
    assert schema_rejects(name, document)


@pytest.mark.parametrize("name", sorted(CASES))
def test_wrong_enum_value(name):
    parts, value = CASES[name][1]
    document = with_value(example(name), parts, value)
    error = problems(name, document)
    assert paths_of(error) == [json_path(parts)]
    assert error.problems[0][1].startswith("Input should be '")
    assert schema_rejects(name, document)


@pytest.mark.parametrize("name", sorted(CASES))
def test_missing_required_field(name):
    parts = CASES[name][2]
    document = without(example(name), parts)
    error = problems(name, document)
    assert error.problems == [(json_path(parts), "field required")]
    assert str(error) == "%s case.json: %s: field required" % (CONTRACTS[name].__name__, json_path(parts))
    assert schema_rejects(name, document)


@pytest.mark.parametrize("name", sorted(CASES))
def test_unknown_field(name):
    parts = CASES[name][3] + ("surprise",)
    document = with_value(example(name), parts, "x")
    error = problems(name, document)
    assert error.problems == [(json_path(parts), "unknown field")]
    assert schema_rejects(name, document)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_problem_is_reported(name):
    document = with_value(example(name), ("specVersion",), "9.9.9")
    document["surprise"] = True
    del document["kind"]
    paths = paths_of(problems(name, document))
    assert paths == ["$.specVersion", "$.kind", "$.surprise"]


# ---- ids, digests, timestamps, sizes ---------------------------------------------------------

BAD_IDS = [
    "urn:srcos:agent-machine:pod:Coder",
    "urn:srcos:agent-machine:pod:-coder",
    "urn:srcos:agent-machine:pod:",
    "urn:srcos:agent-machine:pod:coder_qwen",
    "urn:srcos:agent-machine:pod:coder qwen",
    "urn:srcos:agent-machine:machine:coder-qwen",
    "urn:srcos:agent-machine:coder-qwen",
    "urn:srcos:other:pod:coder-qwen",
    "coder-qwen",
    "",
]
BAD_DIGESTS = [
    "sha256:" + "a" * 63,
    "sha256:" + "a" * 65,
    "sha256:" + "A" * 64,
    "sha256:" + "g" * 64,
    "sha512:" + "a" * 64,
    "sha256-" + "a" * 64,
    "a" * 64,
    "",
]
BAD_TIMESTAMPS = [
    "2026-03-02",
    "2026-03-02T09:30:00",
    "2026-03-02T09:30:00+00:00",
    "2026-03-02T09:30:00+01:00",
    "2026-03-02 09:30:00Z",
    "2026-03-02t09:30:00z",
    "2026-13-02T09:30:00Z",
    "2026-03-32T09:30:00Z",
    "2026-03-02T24:00:00Z",
    "2026-03-02T09:60:00Z",
    "2026-03-02T09:30:00.Z",
    "26-03-02T09:30:00Z",
    "",
]
GOOD_TIMESTAMPS = ["2026-03-02T09:30:00Z", "2026-03-02T09:30:00.5Z", "2026-03-02T09:30:00.123456789Z"]


@pytest.mark.parametrize("value", BAD_IDS)
def test_malformed_id_is_rejected(value):
    document = with_value(example("agent-pod"), ("id",), value)
    assert paths_of(problems("agent-pod", document)) == ["$.id"]
    assert schema_rejects("agent-pod", document)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_id_of_another_type_is_rejected(name):
    other = "urn:srcos:agent-machine:%s:x" % ("pod" if name != "agent-pod" else "machine")
    document = with_value(example(name), ("id",), other)
    assert paths_of(problems(name, document)) == ["$.id"]
    assert schema_rejects(name, document)


@pytest.mark.parametrize("value", [v.replace(":pod:", ":x:").replace(":machine:", ":pod:").replace(":x:", ":machine:")
                                   for v in BAD_IDS])
def test_malformed_reference_id_is_rejected(value):
    document = with_value(example("policy-admission"), ("request", "agentMachineId"), value)
    error = problems("policy-admission", document)
    assert paths_of(error) == ["$.request.agentMachineId"]
    assert "urn:srcos:agent-machine:machine:<slug>" in error.problems[0][1]
    assert schema_rejects("policy-admission", document)


def test_trailing_newline_in_an_id_is_rejected_by_the_model():
    document = with_value(example("agent-pod"), ("id",), "urn:srcos:agent-machine:pod:coder-qwen\n")
    assert paths_of(problems("agent-pod", document)) == ["$.id"]


@pytest.mark.parametrize("value", BAD_DIGESTS)
def test_malformed_digest_is_rejected(value):
    document = with_value(example("agent-pod"), ("model", "digest"), value)
    assert problems("agent-pod", document).problems == [
        ("$.model.digest", "String should be a sha256 digest (sha256:<64 lowercase hex digits>)")]
    assert schema_rejects("agent-pod", document)


@pytest.mark.parametrize("value", BAD_DIGESTS)
def test_malformed_digest_in_a_list_is_rejected(value):
    document = example("activation-decision")
    document["inputs"]["storageReceipts"][1]["digest"] = value
    assert paths_of(problems("activation-decision", document)) == ["$.inputs.storageReceipts[1].digest"]
    assert schema_rejects("activation-decision", document)


@pytest.mark.parametrize("value", BAD_TIMESTAMPS)
def test_malformed_timestamp_is_rejected(value):
    document = with_value(example("policy-admission"), ("obligations", "expiresAt"), value)
    assert problems("policy-admission", document).problems == [
        ("$.obligations.expiresAt", "String should be an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)")]
    assert schema_rejects("policy-admission", document)


@pytest.mark.parametrize("value", GOOD_TIMESTAMPS)
def test_well_formed_timestamp_is_accepted(value):
    document = with_value(example("runtime-evidence"), ("healthChecks", 0, "at"), value)
    validate_document("runtime-evidence", document)
    assert not schema_rejects("runtime-evidence", document)


@pytest.mark.parametrize("parts, value", [
    (("resources", "memoryBytes"), -1),
    (("model", "sizeBytes"), -4096),
    (("resources", "accelerators", 0, "count"), -1),
    (("ports", 0, "containerPort"), 0),
    (("ports", 0, "hostPort"), 65536),
    (("resources", "cpu"), 0),
    (("inference", "gpuMemoryFraction"), 1.5),
])
def test_out_of_range_numbers_are_rejected(parts, value):
    document = with_value(example("agent-pod"), parts, value)
    assert paths_of(problems("agent-pod", document)) == [json_path(parts)]
    assert schema_rejects("agent-pod", document)


@pytest.mark.parametrize("parts, value", [
    (("resources", "memoryBytes"), "12884901888"),
    (("resources", "accelerators", 0, "count"), True),
    (("resources", "accelerators", 0, "required"), 1),
    (("resources", "accelerators", 0, "required"), "true"),
    (("policy", "allowPrivileged"), "false"),
    (("runtime", "args"), "--metrics"),
])
def test_values_are_not_coerced(parts, value):
    document = with_value(example("agent-pod"), parts, value)
    assert paths_of(problems("agent-pod", document)) == [json_path(parts)]
    assert schema_rejects("agent-pod", document)


def test_a_float_is_not_a_byte_size():
    """JSON Schema counts 1.0 as an integer; the model, stricter, does not."""
    document = with_value(example("agent-pod"), ("resources", "memoryBytes"), 12884901888.0)
    assert paths_of(problems("agent-pod", document)) == ["$.resources.memoryBytes"]


# ---- AgentPod defaults and secrets -----------------------------------------------------------

def test_agent_pod_policy_defaults_are_safe():
    document = without(example("agent-pod"), ("policy",))
    document = without(document, ("receipts", "includeRawContent"))
    pod = validate_document("AgentPod", document)
    assert pod.policy.allow_privileged is False
    assert pod.policy.allow_host_network is False
    assert pod.policy.allow_secret_in_spec is False
    assert pod.policy.cache_reuse_requires_policy is True
    assert pod.receipts.include_raw_content is False


def test_agent_pod_policy_defaults_are_published():
    schema = json.loads(schema_text("agent-pod"))
    policy = schema["$defs"]["PodPolicy"]["properties"]
    assert policy["allowPrivileged"]["default"] is False
    assert policy["allowSecretInSpec"]["default"] is False
    assert policy["allowHostNetwork"]["default"] is False
    assert schema["$defs"]["PodReceipts"]["properties"]["includeRawContent"]["default"] is False


def test_environment_names_are_checked():
    document = with_value(example("agent-pod"), ("runtime", "env", "1BAD"), "x")
    assert problems("agent-pod", document).problems == [
        ('$.runtime.env["1BAD"]', "invalid key: String should match pattern '^[A-Za-z_][A-Za-z0-9_]*$'")]
    assert schema_rejects("agent-pod", document)


def test_a_secret_value_in_the_wrong_place_is_not_echoed():
    secret = "hf_SuperSecretTokenValue123"
    document = with_value(example("agent-pod"), ("runtime", "secretEnv", 0, "secretRef"), {"value": secret})
    document["runtime"]["apiKey"] = secret
    error = problems("agent-pod", document)
    assert secret not in str(error)
    assert paths_of(error) == ["$.runtime.secretEnv[0].secretRef", "$.runtime.apiKey"]


def test_duplicate_environment_variable_is_rejected():
    document = example("agent-pod")
    document["runtime"]["env"]["LLAMA_API_KEY"] = "inline"
    assert problems("agent-pod", document).problems == [
        ("$.runtime", "environment variable names must be unique: 'LLAMA_API_KEY' appears more than once")]


# ---- cross-field rules: enforced by the model and published in the schema --------------------

def _set(document, parts, value):
    target = document
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value


CROSS_FIELD = [
    ("activation-decision", [(("decision", "activationAllowed"), False)], "$.decision",
     "status 'allowed' needs activationAllowed true"),
    ("activation-decision", [(("decision", "failureReasons"), [{"code": "policy-expired", "message": "expired"}])],
     "$.decision", "status 'allowed' has no failureReasons and nothing requiredBeforeActivation"),
    ("activation-decision", [(("inputs", "agentRegistryGrant"), None)], "$", "status 'allowed' needs inputs agentRegistryGrant"),
    ("activation-decision.fail-closed", [(("decision", "failureReasons"), [])], "$.decision",
     "status 'fail-closed' lists at least one failure reason"),
    ("activation-decision.fail-closed", [(("decision", "activationAllowed"), True)], "$.decision",
     "status 'fail-closed' needs activationAllowed false"),
    ("policy-admission", [(("decision", "status"), "denied")], "$.decision",
     "authorizationGranted is true only when status is 'allowed', not 'denied'"),
    ("policy-admission", [(("obligations", "expiresAt"), None)], "$", "a granted admission states obligations.expiresAt"),
    ("agent-registry-grant", [(("grant", "status"), "revoked")], "$.grant",
     "authorizationGranted is true only when status is 'active', not 'revoked'"),
    ("agent-registry-grant", [(("grant", "revocationStatus"), "revoked")], "$.grant",
     "authorizationGranted is true only when revocationStatus is 'not-revoked'"),
    ("agent-registry-grant", [(("grant", "expiresAt"), None)], "$.grant", "a granted grant states expiresAt"),
    ("placement-decision", [(("agentMachineId",), None)], "$", "a placed decision names agentMachineId and its cost"),
    ("placement-decision", [(("candidates", 0, "rejectionReasons"), [])], "$.candidates[0]",
     "an infeasible candidate lists its rejection reasons"),
    ("placement-decision.unplaceable", [(("reasons",), [])], "$", "an unplaceable decision lists its reasons"),
    ("placement-decision.unplaceable", [(("agentMachineId",), "urn:srcos:agent-machine:machine:m2-air")], "$",
     "an unplaceable decision names no machine and no cost"),
    ("model-receipt", [(("observedDigest",), None)], "$", "verified is true only when observedDigest equals digest"),
    ("model-receipt", [(("source", "host"), None)], "$.source", "a url source records its scheme and host"),
    ("model-receipt", [(("source", "kind"), "path")], "$.source", "only a url source has a scheme and host"),
    ("storage-receipt", [(("lvm",), None)], "$", "lvm is required when backend is lvm-thin"),
    ("storage-receipt", [(("lvm", "thinPool"), None)], "$", "lvm.thinPool is required when backend is lvm-thin"),
    ("cache-tier", [(("backend",), "tmpfs")], "$", "a tmpfs tier is ephemeral, not semi-durable"),
    ("inference-provider", [(("arguments", 0, "env"), "MODEL")], "$.arguments[0]",
     "setting modelPath needs exactly one of flag or env"),
    ("inference-provider", [(("arguments", 0, "flag"), None)], "$.arguments[0]",
     "setting modelPath needs exactly one of flag or env"),
    ("runtime-evidence", [(("outcome",), "rolled-back")], "$", "outcome 'rolled-back' needs rolledBack true"),
]


@pytest.mark.parametrize("example_name, changes, path, message", CROSS_FIELD)
def test_cross_field_rule(example_name, changes, path, message):
    name = example_name.split(".")[0]
    document = example(example_name)
    for parts, value in changes:
        _set(document, parts, value)
    assert problems(name, document).problems == [(path, message)]
    assert schema_rejects(name, document), "the published schema does not carry this rule"
