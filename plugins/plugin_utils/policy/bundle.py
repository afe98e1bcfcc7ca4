# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Rego policy bundle: modules and data loaded from files, with a digest.

The collection ships a default bundle (``policies/default``). An operator
extends it with their own files, or replaces it (``replace_default``):

* a ``.rego`` file is a module, named by its file name;
* a directory contributes every ``.rego`` file below it (named by its path
  relative to the directory; ``*_test.rego`` files are skipped) and every
  ``data.json``, ``data.yaml`` or ``data.yml``, whose content is placed under
  the directory path it sits in (``a/b/data.json`` becomes ``data.a.b``), as
  in OPA bundles;
* a ``.json``, ``.yaml`` or ``.yml`` file given directly is data at the root.

Data is merged in order (default bundle, operator files, then the data given
inline): objects key by key, any other value replaced by the later one.

The digest covers the module names, the sha256 of each module's text and
the merged data, so it does not depend on where the files live.
"""

from __future__ import annotations

import os

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.errors import PolicyInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.files import load_value
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import (
    canonical_json, document_digest, sha256_digest,
)

__all__ = ["DEFAULT_BUNDLE_DIR", "DEFAULT_LABEL", "QUERY", "Bundle", "load_bundle"]

# plugins/plugin_utils/policy -> the collection root, in the repository and in an installed copy alike.
_COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEFAULT_BUNDLE_DIR = os.path.join(_COLLECTION_ROOT, "policies", "default")
DEFAULT_LABEL = "sourceos.agent_machine/default"
QUERY = "data.agent_machine.admission.decision"

_DATA_FILES = ("data.json", "data.yaml", "data.yml")
_DATA_SUFFIXES = (".json", ".yaml", ".yml")


class Bundle:
    """Rego modules (name -> text), data, and where each module came from."""

    def __init__(self, label):
        self.label = label
        self.modules = {}
        self.sources = {}
        self.data = {}

    def add_module(self, name, text, source, field):
        if name in self.modules:
            raise PolicyInputError(field, "module %s is given twice (%s and %s)" % (name, self.sources[name], source))
        self.modules[name] = text
        self.sources[name] = source

    def add_data(self, value, prefix, field, source):
        if not isinstance(value, dict):
            raise PolicyInputError(field, "%s must hold an object (a mapping), not %s" % (source, type(value).__name__))
        try:
            canonical_json(value)
        except (TypeError, ValueError):
            raise PolicyInputError(field, "%s holds values JSON cannot carry" % source) from None
        for key in reversed(prefix):
            value = {key: value}
        self.data = _merged(self.data, value)

    @property
    def digest(self):
        modules = [[name, sha256_digest(self.modules[name].encode("utf-8"))] for name in sorted(self.modules)]
        return document_digest({"modules": modules, "data": self.data})

    @property
    def decision_ref(self):
        """Where the decision comes from: ``rego:<label>@<bundle digest>#<query>``."""
        return "rego:%s@%s#%s" % (self.label, self.digest, QUERY)

    def summary(self):
        return {"label": self.label, "digest": self.digest, "modules": sorted(self.modules), "query": QUERY}


def _merged(base, extra):
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_text(path, field):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except (OSError, UnicodeError) as exc:
        raise PolicyInputError(field, "cannot read %s: %s" % (path, getattr(exc, "strerror", None) or exc)) from None


def _load_data(bundle, path, prefix, field):
    bundle.add_data(load_value(path, field), prefix, field, path)


def _add_directory(bundle, root, field, name_prefix=""):
    found = False
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        relative = os.path.relpath(directory, root)
        parts = [] if relative == "." else relative.split(os.sep)
        for filename in sorted(files):
            path = os.path.join(directory, filename)
            if filename.endswith(".rego") and not filename.endswith("_test.rego"):
                bundle.add_module(name_prefix + "/".join(parts + [filename]), _read_text(path, field), path, field)
                found = True
            elif filename in _DATA_FILES:
                _load_data(bundle, path, parts, field)
                found = True
    if not found:
        raise PolicyInputError(field, "%s holds no .rego or data.json/data.yaml file" % root)


def _add_path(bundle, path, field):
    if os.path.isdir(path):
        _add_directory(bundle, path, field)
    elif not os.path.isfile(path):
        raise PolicyInputError(field, "%s does not exist on the controller" % path)
    elif path.endswith(".rego"):
        bundle.add_module(os.path.basename(path), _read_text(path, field), path, field)
    elif path.lower().endswith(_DATA_SUFFIXES):
        _load_data(bundle, path, [], field)
    else:
        raise PolicyInputError(field, "%s is neither a .rego file, a JSON or YAML data file, nor a directory" % path)


def load_bundle(paths=(), data=None, replace_default=False, default_dir=DEFAULT_BUNDLE_DIR):
    """The bundle to evaluate: the default bundle, extended or replaced by ``paths`` and ``data``.

    ``paths`` are controller files or directories (``bundle_paths[<n>]`` in
    errors); ``data`` is an object merged last (``bundle_data``). Raises
    PolicyInputError naming the option at fault.
    """
    paths = list(paths or [])
    operator = bool(paths) or bool(data)
    if replace_default:
        if not paths:
            raise PolicyInputError("bundle_paths", "replace_default needs the operator's Rego files in bundle_paths")
        bundle = Bundle("operator")
    else:
        if not os.path.isdir(default_dir):
            raise PolicyInputError("replace_default", "the collection's default policy bundle is missing (%s); reinstall "
                                   "the collection or give your own bundle with replace_default" % default_dir)
        bundle = Bundle(DEFAULT_LABEL + ("+operator" if operator else ""))
        _add_directory(bundle, default_dir, "replace_default", name_prefix="default/")
    for index, path in enumerate(paths):
        _add_path(bundle, path, "bundle_paths[%d]" % index)
    if data is not None:
        bundle.add_data(data, [], "bundle_data", "bundle_data")
    if not bundle.modules:
        raise PolicyInputError("bundle_paths", "the bundle holds no .rego module")
    return bundle
