# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of validate_documents: check documents against their contracts on the controller.

Never contacts the managed host; works for any host and with
``delegate_to: localhost``.
"""

from __future__ import annotations

import json

import yaml

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import require_pydantic
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import (
    NAMES, ContractError, resolve_kind, validate_document,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.documents import plain
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import document_digest

ARGUMENT_SPEC = dict(
    documents=dict(type="list", elements="dict"),
    paths=dict(type="list", elements="path"),
    kind=dict(type="str"),
)
REQUIRED_ONE_OF = [["documents", "paths"]]
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _DocumentLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Safe YAML that leaves timestamps as the strings the contracts expect."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


class _FileProblem(Exception):
    pass


def parse_documents(text, filename):
    """The documents of a file: one, a list of them, or a YAML stream (``---``)."""
    if filename.lower().endswith(".json"):
        try:
            loaded = [json.loads(text)]
        except ValueError as exc:
            raise _FileProblem("is not valid JSON: %s" % exc) from None
    else:
        try:
            loaded = [doc for doc in yaml.load_all(text, Loader=_DocumentLoader) if doc is not None]  # nosec B506
        except yaml.YAMLError as exc:
            raise _FileProblem("is not valid YAML: %s" % " ".join(str(exc).split())) from None
    if len(loaded) == 1 and isinstance(loaded[0], list):
        loaded = loaded[0]
    if not loaded:
        raise _FileProblem("holds no document")
    return loaded


class ActionModule(ActionBase):
    """Validate documents against the published contracts."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(ARGUMENT_SPEC, required_one_of=REQUIRED_ONE_OF)[1]
        result["changed"] = False
        try:
            require_pydantic()
        except AnsibleError as exc:
            result.update(failed=True, msg=to_native(exc))
            return result

        kind = args["kind"]
        if kind is not None and resolve_kind(kind) is None:
            result.update(failed=True, msg="kind: unknown kind '%s'; expected one of %s" % (kind, ", ".join(sorted(NAMES))))
            return result

        entries = [("documents[%d]" % index, document) for index, document in enumerate(args["documents"] or [])]
        problems = []
        for index, path in enumerate(args["paths"] or []):
            try:
                documents = self._read(path)
            except _FileProblem as exc:
                problems.append({"source": "paths[%d]" % index, "kind": None, "path": None,
                                 "message": "%s %s" % (path, exc)})
                continue
            if len(documents) == 1:
                entries.append((path, documents[0]))
            else:
                entries.extend(("%s[%d]" % (path, number), document) for number, document in enumerate(documents))

        validated = []
        for label, document in entries:
            document = plain(document)
            try:
                model = validate_document(kind, document, source=label)
            except ContractError as exc:
                problems.extend({"source": label, "kind": exc.kind, "path": path, "message": message}
                                for path, message in exc.problems)
                continue
            validated.append({"kind": type(model).__name__, "id": document["id"], "digest": document_digest(document)})

        result["validated"] = validated
        if problems:
            result.update(failed=True, problems=problems, msg="\n".join(_line(problem) for problem in problems))
        return result

    def _read(self, path):
        try:
            found = self._find_needle("files", path)
        except AnsibleError:
            raise _FileProblem("not found on the controller") from None
        real = None
        try:
            real = self._loader.get_real_file(found, decrypt=True)
            with open(real, "rb") as handle:
                text = to_text(handle.read(), errors="surrogate_or_strict")
        except (AnsibleError, OSError, UnicodeError) as exc:
            raise _FileProblem("cannot be read: %s" % " ".join(to_native(exc).split())) from None
        finally:
            if real is not None:
                self._loader.cleanup_tmp_file(real)
        return parse_documents(text, found)


def _line(problem):
    if problem["path"] is None:
        return "%s: %s" % (problem["source"], problem["message"])
    return "%s %s: %s: %s" % (problem["kind"], problem["source"], problem["path"], problem["message"])
