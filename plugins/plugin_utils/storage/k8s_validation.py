# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline validation of the Kubernetes manifests the collection renders.

* Built-in kinds (StorageClass and the rest) are checked against the
  Kubernetes JSON schemas that the ``kubernetes-validate`` package bundles,
  one set per Kubernetes minor version; nothing is fetched. Strict schemas
  (the default) refuse unknown fields. Rules the API server enforces but
  the OpenAPI schema does not express are checked after it for the kinds
  the collection renders (StorageClass: ``volumeBindingMode``,
  ``reclaimPolicy``, ``provisioner``, ``metadata.name``).
* Custom resources kubernetes-validate does not know are checked against
  the JSON Schemas under ``contracts/external/`` (LVMS ``LVMCluster``), plus
  the cross-field rules of their admission webhooks.

Problems read ``<Kind>/<name>: <json path>: <message>``, for example
``StorageClass/topolvm-nvme: $.volumeBindingMode: 'Sometimes' is not
supported; expected one of Immediate, WaitForFirstConsumer``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping

from ansible.errors import AnsibleError

try:
    import jsonschema
    JSONSCHEMA_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test's import test
    jsonschema = None
    JSONSCHEMA_IMPORT_ERROR = exc

try:
    from kubernetes_validate import utils as kubernetes_validate
    from kubernetes_validate.version import __version__ as KUBERNETES_VALIDATE_VERSION
    KUBERNETES_VALIDATE_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test's import test
    kubernetes_validate = None
    KUBERNETES_VALIDATE_VERSION = None
    KUBERNETES_VALIDATE_IMPORT_ERROR = exc

__all__ = [
    "CUSTOM_RESOURCE_SCHEMAS", "ManifestValidationError", "bundled_kubernetes_versions",
    "custom_resource_schema", "validate_manifests",
]

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EXTERNAL_SCHEMAS_DIR = os.path.join(COLLECTION_ROOT, "contracts", "external")

# (apiVersion, kind) -> schema file under contracts/external/
CUSTOM_RESOURCE_SCHEMAS = {
    ("lvm.topolvm.io/v1alpha1", "LVMCluster"): "lvmcluster.v1alpha1.schema.json",
}

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")


class ManifestValidationError(ValueError):
    """One or more manifests are invalid.

    ``problems`` is a list of ``(manifest, json_path, message)`` where
    manifest reads ``Kind/name``; the message has one line per problem.
    """

    def __init__(self, problems):
        self.problems = [(str(label), str(path), str(message)) for label, path, message in problems]
        super().__init__("\n".join(self.lines))

    @property
    def lines(self):
        return ["%s: %s: %s" % problem for problem in self.problems]


def _require(what):
    error = {"jsonschema": JSONSCHEMA_IMPORT_ERROR, "kubernetes-validate": KUBERNETES_VALIDATE_IMPORT_ERROR}[what]
    if error is not None:
        raise AnsibleError(
            "sourceos.agent_machine needs the Python package '%s' on the controller to validate Kubernetes "
            "manifests offline (pip install -r requirements.txt from the collection): %s" % (what, error))


def json_path(parts):
    """``$.spec.storage.deviceClasses[0].name``; keys that are not identifiers in ``["..."]``."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += "[%d]" % part
        elif _IDENTIFIER.match(str(part)):
            path += "." + str(part)
        else:
            path += "[%s]" % json.dumps(str(part), ensure_ascii=False)
    return path


def bundled_kubernetes_versions():
    """Kubernetes minor versions whose schemas kubernetes-validate bundles, oldest first (``['1.25', ...]``)."""
    _require("kubernetes-validate")
    versions = {kubernetes_validate.major_minor(version) for version in kubernetes_validate.all_versions()}
    return sorted(versions, key=lambda text: tuple(int(part) for part in text.split(".")))


def _resolve_version(kubernetes_version):
    bundled = bundled_kubernetes_versions()
    if kubernetes_version is None:
        return bundled[-1]
    match = _VERSION.match(str(kubernetes_version).strip())
    if not match:
        raise ValueError("kubernetes_version: expected MAJOR.MINOR such as %s, got %r" % (bundled[-1], kubernetes_version))
    version = "%d.%d" % (int(match.group(1)), int(match.group(2)))
    if version not in bundled:
        raise ValueError(
            "kubernetes_version: kubernetes-validate %s bundles schemas for Kubernetes %s to %s only (nothing is "
            "downloaded); got %s" % (KUBERNETES_VALIDATE_VERSION, bundled[0], bundled[-1], version))
    return version


@functools.lru_cache(maxsize=None)
def _load_schema(filename):
    with open(os.path.join(EXTERNAL_SCHEMAS_DIR, filename), encoding="utf-8") as handle:
        return json.load(handle)


def custom_resource_schema(api_version, kind):
    """The JSON Schema (a dict) this collection holds for a custom resource; None when it holds none."""
    filename = CUSTOM_RESOURCE_SCHEMAS.get((api_version, kind))
    return None if filename is None else _load_schema(filename)


def _schema_problems(error):
    """(path parts, message) pairs for one jsonschema error, naming missing and unknown fields precisely."""
    base = list(error.path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, Mapping):
        missing = [name for name in error.validator_value if name not in instance]
        if missing:
            return [(base + [name], "field required") for name in missing]
    if error.validator == "additionalProperties" and isinstance(instance, Mapping) and error.validator_value is False:
        known = set((error.schema or {}).get("properties", {}))
        patterns = list((error.schema or {}).get("patternProperties", {}))
        extra = [key for key in instance if key not in known and not any(re.search(p, key) for p in patterns)]
        if extra:
            return [(base + [key], "unknown field") for key in extra]
    return [(base, " ".join(str(error.message).split()))]


def _label(manifest, index):
    if isinstance(manifest, Mapping):
        kind = manifest.get("kind")
        metadata = manifest.get("metadata")
        name = metadata.get("name") if isinstance(metadata, Mapping) else None
        if isinstance(kind, str) and kind and isinstance(name, str) and name:
            return "%s/%s" % (kind, name)
        if isinstance(kind, str) and kind:
            return "%s/manifests[%d]" % (kind, index)
    return "manifests[%d]" % index


# ------------------------------------------------ rules the schemas do not express

def _storage_class_rules(manifest):
    """k8s.io/kubernetes pkg/apis/storage/validation ValidateStorageClass, the parts OpenAPI leaves out."""
    problems = []
    metadata = manifest.get("metadata") if isinstance(manifest.get("metadata"), Mapping) else {}
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        problems.append((["metadata", "name"], "field required"))
    elif len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        problems.append((["metadata", "name"], "must be a DNS subdomain (lowercase letters, digits, '-' and '.')"))
    provisioner = manifest.get("provisioner")
    if not isinstance(provisioner, str) or not provisioner:
        problems.append((["provisioner"], "field required"))
    else:
        prefix, short = provisioner.lower().rpartition("/")[::2]
        if (len(short) > 63 or not _QUALIFIED_NAME.match(short)
                or (prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)))):
            problems.append((["provisioner"], "must be a qualified name such as topolvm.io"))
    parameters = manifest.get("parameters")
    if isinstance(parameters, Mapping):
        if len(parameters) > 512:
            problems.append((["parameters"], "must have at most 512 entries"))
        if any(not key for key in parameters):
            problems.append((["parameters"], "keys must not be empty"))
        if sum(len(str(k)) + len(str(v or "")) for k, v in parameters.items()) > 256 * 1024:
            problems.append((["parameters"], "must be at most 256 KiB in all"))
    policy = manifest.get("reclaimPolicy")
    if policy not in (None, "", "Delete", "Retain"):
        problems.append((["reclaimPolicy"], "%s is not supported; expected one of Delete, Retain" % _quoted(policy)))
    mode = manifest.get("volumeBindingMode")
    if mode is not None and mode not in ("Immediate", "WaitForFirstConsumer"):
        problems.append((["volumeBindingMode"],
                         "%s is not supported; expected one of Immediate, WaitForFirstConsumer" % _quoted(mode)))
    return problems


def _lvm_cluster_rules(manifest):
    """Cross-field rules of the LVMS admission webhook (openshift/lvm-operator api/v1alpha1/lvmcluster_webhook.go)."""
    problems = []
    classes = manifest["spec"]["storage"]["deviceClasses"]
    base = ["spec", "storage", "deviceClasses"]
    names = {}
    for index, item in enumerate(classes):
        if item["name"] in names:
            problems.append((base + [index, "name"], "device class %s is already defined at deviceClasses[%d]"
                             % (_quoted(item["name"]), names[item["name"]])))
        names.setdefault(item["name"], index)
    if len(classes) > 1:
        defaults = [index for index, item in enumerate(classes) if item.get("default")]
        if len(defaults) != 1:
            problems.append((base, "exactly one of the %d device classes must have default: true, found %d"
                             % (len(classes), len(defaults))))
    owners = {}
    for index, item in enumerate(classes):
        selector = item.get("deviceSelector")
        paths = selector.get("paths") if isinstance(selector, Mapping) else None
        if selector is not None and not paths:
            problems.append((base + [index, "deviceSelector", "paths"], "must not be empty when deviceSelector is set"))
        elif selector is None and len(classes) > 1:
            problems.append((base + [index, "deviceSelector", "paths"],
                             "field required: every device class needs device paths when there are several"))
        node_selector = json.dumps(item.get("nodeSelector"), sort_keys=True)
        for position, path in enumerate(paths or []):
            key = (node_selector, path)
            if key in owners:
                problems.append((base + [index, "deviceSelector", "paths", position],
                                 "device %s is already used by device class %s" % (path, owners[key])))
            owners.setdefault(key, item["name"])
    return problems


_RULES = {
    ("storage.k8s.io/v1", "StorageClass"): _storage_class_rules,
    ("lvm.topolvm.io/v1alpha1", "LVMCluster"): _lvm_cluster_rules,
}


def _quoted(value):
    return "'%s'" % value if isinstance(value, str) else json.dumps(value)


# ------------------------------------------------ validation

def _validate_custom(manifest, schema):
    _require("jsonschema")
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(manifest), key=lambda e: [str(p) for p in e.path]):
        problems.extend(_schema_problems(error))
    return problems


def _validate_builtin(manifest, version, strict):
    try:
        kubernetes_validate.validate(manifest, version + ".0", strict)
    except kubernetes_validate.ValidationError as error:
        return _schema_problems(error)
    except kubernetes_validate.SchemaNotFoundError:
        return [(["kind"], "no schema for kind %s with apiVersion %s in Kubernetes %s (kubernetes-validate %s); "
                           "this collection holds no schema for it either"
                 % (manifest["kind"], manifest["apiVersion"], version, KUBERNETES_VALIDATE_VERSION))]
    return []


def validate_manifests(manifests, kubernetes_version=None, strict=True):
    """Validate Kubernetes manifests offline; raise ManifestValidationError listing every problem.

    ``manifests`` is one manifest (a dict) or a list of them.
    ``kubernetes_version`` (``"1.33"``) picks the bundled schema set; by
    default the newest kubernetes-validate bundles. ``strict`` refuses
    fields the schema does not define. Returns one dict per manifest:
    ``kind``, ``name``, ``apiVersion`` and ``schema`` (what it was checked
    against).
    """
    _require("kubernetes-validate")
    version = _resolve_version(kubernetes_version)
    if isinstance(manifests, Mapping):
        manifests = [manifests]
    if isinstance(manifests, (str, bytes)) or not hasattr(manifests, "__iter__"):
        raise ManifestValidationError([("manifests", "$", "expected a manifest or a list of manifests")])
    problems = []
    results = []
    for index, manifest in enumerate(manifests):
        label = _label(manifest, index)
        try:
            manifest = json.loads(json.dumps(manifest, allow_nan=False))
        except (TypeError, ValueError) as exc:
            problems.append((label, "$", "not a JSON document: %s" % exc))
            continue
        if not isinstance(manifest, dict):
            problems.append((label, "$", "expected an object"))
            continue
        missing = [key for key in ("apiVersion", "kind") if not isinstance(manifest.get(key), str) or not manifest.get(key)]
        if missing:
            problems.extend((label, json_path([key]), "field required") for key in missing)
            continue
        key = (manifest["apiVersion"], manifest["kind"])
        schema = custom_resource_schema(*key)
        if schema is not None:
            found = _validate_custom(manifest, schema)
            checked_against = "contracts/external/%s" % CUSTOM_RESOURCE_SCHEMAS[key]
        else:
            found = _validate_builtin(manifest, version, strict)
            checked_against = "kubernetes %s (kubernetes-validate %s%s)" % (
                version, KUBERNETES_VALIDATE_VERSION, ", strict" if strict else "")
        rules = _RULES.get(key)
        if rules is not None and (not found or key[1] == "StorageClass"):
            # StorageClass rules are safe on any shape; LVMCluster rules need the schema to have passed.
            found = found + rules(manifest)
        seen = set()
        for parts, message in found:
            path = json_path(parts)
            if path not in seen:
                seen.add(path)
                problems.append((label, path, message))
        metadata = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else {}
        results.append({
            "kind": manifest["kind"],
            "name": metadata.get("name"),
            "apiVersion": manifest["apiVersion"],
            "schema": checked_against,
        })
    if problems:
        raise ManifestValidationError(problems)
    return results
