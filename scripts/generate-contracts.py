"""Write contracts/<name>.schema.json from the pydantic models."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, ".build", "collections"))

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.registry import CONTRACTS, schema_text  # noqa: E402

for name in sorted(CONTRACTS):
    path = os.path.join(REPO, "contracts", name + ".schema.json")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(schema_text(name))
    print(path)
