"""The checked-in schemas are exactly what the pydantic models generate."""

import json
import os

import pytest
from jsonschema import Draft202012Validator

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.registry import CONTRACTS, schema_text

CONTRACTS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "contracts")


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_checked_in_schema_matches_model(name):
    path = os.path.join(CONTRACTS_DIR, name + ".schema.json")
    with open(path, encoding="utf-8") as handle:
        checked_in = handle.read()
    assert checked_in == schema_text(name), "%s drifted from its model: run `make contracts`" % path


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_schema_is_valid_draft_2020_12(name):
    schema = json.loads(schema_text(name))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_every_schema_file_has_a_model():
    files = sorted(f[: -len(".schema.json")] for f in os.listdir(CONTRACTS_DIR) if f.endswith(".schema.json"))
    assert files == sorted(CONTRACTS)
