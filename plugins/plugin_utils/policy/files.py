# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read one JSON or YAML value from a controller file; errors name the option the file came from."""

from __future__ import annotations

import json

import yaml

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.errors import PolicyInputError

__all__ = ["load_value", "parse_value"]

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """Safe YAML that leaves timestamps as the strings the contracts expect."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def parse_value(text, name, field):
    """The value in ``text``: JSON when ``name`` ends in .json, YAML otherwise."""
    if name.lower().endswith(".json"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise PolicyInputError(field, "%s is not valid JSON: %s" % (name, exc)) from None
    try:
        return yaml.load(text, Loader=_Loader)  # nosec B506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise PolicyInputError(field, "%s is not valid YAML: %s" % (name, " ".join(str(exc).split()))) from None


def load_value(path, field):
    """The JSON or YAML value of the file at ``path``."""
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except (OSError, UnicodeError) as exc:
        raise PolicyInputError(field, "cannot read %s: %s" % (path, getattr(exc, "strerror", None) or exc)) from None
    return parse_value(text, path, field)
