"""Every contract has realistic examples, and each passes both the JSON Schema and the model."""

import json
import os
import typing

import pytest
from jsonschema import Draft202012Validator

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import ID_TYPES, SPEC_VERSION, urn_pattern
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.registry import CONTRACTS
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import document_digest

CONTRACTS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "contracts")
EXAMPLES_DIR = os.path.join(CONTRACTS_DIR, "examples")
EXAMPLES = sorted(f for f in os.listdir(EXAMPLES_DIR) if f.endswith(".json"))


def contract_of(filename):
    """``agent-pod.json`` and ``agent-pod.kubernetes.json`` are AgentPod examples."""
    return filename.split(".", 1)[0]


def load(filename):
    with open(os.path.join(EXAMPLES_DIR, filename), encoding="utf-8") as handle:
        return json.load(handle)


def checked_in_schema(name):
    with open(os.path.join(CONTRACTS_DIR, name + ".schema.json"), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_contract_has_an_example(name):
    assert any(contract_of(f) == name for f in EXAMPLES), "no contracts/examples/%s.json" % name


@pytest.mark.parametrize("filename", EXAMPLES)
def test_example_names_a_contract(filename):
    assert contract_of(filename) in CONTRACTS


@pytest.mark.parametrize("filename", EXAMPLES)
def test_example_passes_the_checked_in_json_schema(filename):
    validator = Draft202012Validator(checked_in_schema(contract_of(filename)))
    errors = ["%s: %s" % (error.json_path, error.message) for error in validator.iter_errors(load(filename))]
    assert errors == []


@pytest.mark.parametrize("filename", EXAMPLES)
def test_example_passes_the_model_and_round_trips(filename):
    document = load(filename)
    model = CONTRACTS[contract_of(filename)].model_validate(document)
    assert model.model_dump(by_alias=True, mode="json", exclude_unset=True) == document


@pytest.mark.parametrize("filename", EXAMPLES)
def test_example_kind_id_and_version(filename):
    document = load(filename)
    model = CONTRACTS[contract_of(filename)]
    assert document["kind"] == model.__name__
    assert document["specVersion"] == SPEC_VERSION
    assert typing.get_args(model.model_fields["kind"].annotation) == (model.__name__,)
    assert Draft202012Validator({"pattern": urn_pattern(ID_TYPES[document["kind"]])}).is_valid(document["id"])


def test_every_kind_has_an_id_type():
    assert sorted(ID_TYPES) == sorted(model.__name__ for model in CONTRACTS.values())


def test_machine_example_is_a_probed_asahi_m2():
    document = load("agent-machine.json")
    assert document["profile"]["name"] == "m2-asahi-linux"
    assert document["accelerators"]["types"]["vulkan"] is True
    assert document["accelerators"]["types"]["metal"] is False


def test_examples_refer_to_each_other_by_real_digests():
    """The activation decision example references the other examples by id and exact digest."""
    by_id = {}
    for filename in EXAMPLES:
        document = load(filename)
        by_id[document["id"]] = document
    inputs = load("activation-decision.json")["inputs"]
    refs = [ref for ref in inputs.values() if isinstance(ref, dict)]
    refs += inputs["storageReceipts"] + inputs["modelReceipts"]
    assert len(refs) == 9
    for ref in refs:
        assert ref["digest"] == document_digest(by_id[ref["id"]]), ref["id"]


def test_examples_hold_no_secret_values():
    for filename in EXAMPLES:
        text = json.dumps(load(filename)).lower()
        for marker in ("password", "bearer ", "-----begin", "token="):
            assert marker not in text, (filename, marker)
