# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate a document against its contract and report every problem as one line.

Each line reads ``<Kind> <source>: <json path>: <message>``, for example::

    AgentPod pods/coder.yaml: $.runtime.imageReferencePolicy: Input should be 'tag-allowed-bootstrap', ...

JSON paths use the document's camelCase keys, ``[0]`` for list items and
``$`` for the document itself. Messages never repeat the offending value,
so a secret put in the wrong field is not echoed back.
"""

from __future__ import annotations

import json
import re

from ansible.errors import AnsibleError

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import require_pydantic
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    DIGEST_REGEX, ID_TYPES, SLUG_PATTERN, TIMESTAMP_REGEX, URN_PREFIX, urn_pattern,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.registry import CONTRACTS

__all__ = ["ContractError", "KINDS", "NAMES", "json_path", "kind_of", "model_for", "resolve_kind", "validate_document"]

# Document kind (AgentPod) -> contract name (agent-pod), and back.
NAMES = {model.__name__: name for name, model in CONTRACTS.items()}
KINDS = {name: kind for kind, name in NAMES.items()}

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LABEL = re.compile(r"^\S{1,200}$")
_MESSAGES = {
    "missing": "field required",
    "extra_forbidden": "unknown field",
}
# Readable names of the patterns shared by every contract.
_PATTERNS = {
    DIGEST_REGEX: "a sha256 digest (sha256:<64 lowercase hex digits>)",
    TIMESTAMP_REGEX: "an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)",
    "^" + URN_PREFIX + SLUG_PATTERN + ":" + SLUG_PATTERN + "$": "an id (%s<type>:<slug>)" % URN_PREFIX,
}
_PATTERNS.update({
    urn_pattern(id_type): "an id %s%s:<slug> (slug: lowercase letters, digits and '-')" % (URN_PREFIX, id_type)
    for id_type in ID_TYPES.values()
})


class ContractError(AnsibleError):
    """A document does not match its contract.

    ``problems`` is a list of ``(json_path, message)``; the exception's
    message has one line per problem.
    """

    _include_cause_message = False

    def __init__(self, problems, kind="Document", source="document"):
        self.kind = kind
        self.source = source
        self.problems = [(str(path), str(message)) for path, message in problems]
        super().__init__("\n".join(self.lines))

    @property
    def lines(self):
        return ["%s %s: %s: %s" % (self.kind, self.source, path, message) for path, message in self.problems]


def resolve_kind(kind_or_name):
    """``AgentPod`` or ``agent-pod`` -> ``AgentPod``; None when unknown."""
    if not isinstance(kind_or_name, str):
        return None
    if kind_or_name in NAMES:
        return kind_or_name
    return KINDS.get(kind_or_name)


def _expected_kinds():
    return ", ".join(sorted(NAMES))


def model_for(kind_or_name, source="document"):
    """The model class of a kind or contract name (ContractError when unknown)."""
    kind = resolve_kind(kind_or_name)
    if kind is None:
        raise ContractError([("$.kind", "unknown kind %s; expected one of %s" % (_shown(kind_or_name), _expected_kinds()))],
                            source=source)
    return CONTRACTS[NAMES[kind]]


def kind_of(data, source="document"):
    """The model class for a document, chosen by its ``kind``."""
    if not isinstance(data, dict):
        raise ContractError([("$", "Input should be an object")], source=source)
    if "kind" not in data:
        raise ContractError([("$.kind", "field required")], source=source)
    return model_for(data["kind"], source=source)


def json_path(loc):
    """A pydantic error location as a JSON path: ``$.resources.accelerators[0].type``."""
    path = "$"
    for part in loc:
        if isinstance(part, int):
            path += "[%d]" % part
        elif _IDENTIFIER.match(part):
            path += "." + part
        else:
            path += "[%s]" % json.dumps(part, ensure_ascii=False)
    return path


def _message(error):
    message = _MESSAGES.get(error["type"])
    if error["type"] == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") in _PATTERNS:
        message = "String should be " + _PATTERNS[error["ctx"]["pattern"]]
    if message is None:
        message = error["msg"]
        if error["type"] == "value_error" and message.startswith("Value error, "):
            message = message[len("Value error, "):]
    return message


def _problem(error):
    loc = list(error["loc"])
    prefix = ""
    if loc and loc[-1] == "[key]":
        loc.pop()
        prefix = "invalid key: "
    return json_path(loc), prefix + " ".join(_message(error).splitlines())


def _label(data, source):
    if source:
        return source
    if isinstance(data, dict) and isinstance(data.get("id"), str) and _LABEL.match(data["id"]):
        return data["id"]
    return "document"


def _shown(value):
    text = repr(value) if not isinstance(value, str) else "'%s'" % value
    return text if len(text) <= 80 and "\n" not in text else text[:77].replace("\n", " ") + "..."


def validate_document(kind_or_name, data, source=None):
    """Validate ``data`` as the contract ``kind_or_name`` (``AgentPod`` or ``agent-pod``).

    With ``kind_or_name`` None the document's own ``kind`` picks the
    contract. Returns the model instance; raises ContractError listing
    every problem. ``source`` labels the document in messages (a file
    name, ``documents[2]``); by default its id.
    """
    require_pydantic()
    label = _label(data, source)
    model = kind_of(data, label) if kind_or_name is None else model_for(kind_or_name, label)
    try:
        return model.model_validate(data)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        errors = getattr(exc, "errors", None)
        if errors is None:
            raise
        problems = [_problem(error) for error in errors()]
    raise ContractError(problems, kind=model.__name__, source=label)
