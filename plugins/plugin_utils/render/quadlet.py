# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render an AgentPod as Podman Quadlet units (pure functions, controller side).

Typed rendering: the pod becomes an ordered list of ``(section, key, value)``
entries; every ``[Container]`` key is looked up in ``CONTAINER_KEYS`` (the
podman release that introduced it) and a key the node's podman lacks is a
``RenderError`` naming the key, the version needed and the version found.

Hardening (always): ``ReadOnly=true``, ``NoNewPrivileges=true``,
``DropCapability=all`` and no capability added back (AgentPod has no field
to ask for one), never ``--privileged`` (a pod whose policy asks for
privilege is refused), ``Network=`` always written: ``none`` ->
``Network=none``; ``loopback`` -> a dedicated bridge network (``<name>.network``)
with ports published on 127.0.0.1 only -- egress is NOT blocked, and
``notes`` says so for the decision scope; ``host`` only with
``policy.allowHostNetwork``.

Escaping (systemd and Quadlet rules):

* A value holding a line break of any kind (``\\n``, ``\\r``, U+0085, U+2028,
  U+2029, VT, FF, FS/GS/RS), NUL or another control character except TAB,
  or ending in a backslash, is refused with the field named: in a unit file
  these start a new line (a new key or section) or continue one. Unicode
  separators do not break lines for systemd, but they do for most line
  tools (diff, editors, Python), so a reviewer would not see what runs.
* ``%`` is written ``%%`` everywhere (systemd specifiers).
* ``$`` is written ``$$`` in every value that reaches ``ExecStart=``
  (systemd expands ``$VAR`` and ``${VAR}`` there), never in ``Description=``.
* Values of keys Quadlet splits into words (``Exec``, ``Environment``,
  ``Label``) are one word per item, double-quoted with ``\\`` and ``"``
  escaped when they hold whitespace, quotes or backslashes. An empty item
  is refused: Quadlet drops empty words, so the server would not get it.
* ``PodmanArgs=`` is written only for integers this module formats itself
  (memory and pids limits on podman older than ``Memory=``/``PidsLimit=``).

SELinux: volumes get the shared relabel option ``z`` when the node reports
SELinux enforcing or permissive, nothing when it is disabled. ``Z`` (a
private label) is never used: the volume-class directories are shared by
every pod on the node, and a private label would lock the others out.
Relabelling is recursive and happens on start even for ``:ro`` mounts.
"""

from __future__ import annotations

import json
import posixpath
import re

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog

__all__ = [
    "CONTAINER_KEYS", "DEFAULT_VOLUME_PATHS", "MIN_PODMAN", "RenderError",
    "check_value", "parse_version", "quote_word", "render_container",
]

MIN_PODMAN = (4, 4)

# [Container] key -> first podman release with it (REFERENCE.md section 4).
CONTAINER_KEYS = {
    "AddCapability": (4, 4), "AddDevice": (4, 4), "Annotation": (4, 4), "ContainerName": (4, 4),
    "DropCapability": (4, 4), "Environment": (4, 4), "Exec": (4, 4), "Image": (4, 4), "Label": (4, 4),
    "Network": (4, 4), "NoNewPrivileges": (4, 4), "PodmanArgs": (4, 4), "PublishPort": (4, 4),
    "ReadOnly": (4, 4), "SeccompProfile": (4, 4), "User": (4, 4), "Volume": (4, 4),
    "HealthCmd": (4, 5), "HealthInterval": (4, 5), "HealthRetries": (4, 5), "HealthStartPeriod": (4, 5),
    "HealthTimeout": (4, 5), "Mount": (4, 5), "Secret": (4, 5), "SecurityLabelDisable": (4, 5),
    "Tmpfs": (4, 5), "UserNS": (4, 5),
    "AutoUpdate": (4, 6), "Pull": (4, 6), "WorkingDir": (4, 6),
    "PidsLimit": (4, 7), "ShmSize": (4, 7), "Ulimit": (4, 7),
    "ReadOnlyTmpfs": (4, 8),
    "Entrypoint": (5, 0), "Pod": (5, 0), "StopTimeout": (5, 0),
    "Memory": (5, 5),
}
# Keys whose integer value may fall back to a PodmanArgs flag on an older podman.
_INTEGER_FALLBACKS = {"Memory": "--memory", "PidsLimit": "--pids-limit"}

# Volume class -> host directory (the storage role's default mount points).
DEFAULT_VOLUME_PATHS = {
    "agent-models": "/var/lib/agent-machine/models",
    "agent-cache-hot": "/var/lib/agent-machine/cache/hot",
    "agent-cache-warm": "/var/lib/agent-machine/cache/warm",
    "agent-cache-cold": "/var/lib/agent-machine/cache/cold",
    "agent-scratch": "/var/lib/agent-machine/scratch",
    "agent-evidence": "/var/lib/agent-machine/evidence",
    "agent-artifacts": "/var/lib/agent-machine/artifacts",
}
DEFAULT_PIDS_LIMIT = 4096
# Saved prefix (slot) caches live here in the warm-cache volume; the cache inventory reads the same folder.
SLOT_DIRECTORY = "prefix"
_RESTART = {"never": "no", "on-failure": "on-failure", "always": "always"}
_GPU_TYPES = ("cuda", "rocm", "vulkan")
_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_SECRET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")
_DIGEST_IN_IMAGE = re.compile(r"@sha256:[0-9a-f]{64}$")
_WORD_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./$-]+$")
_SPLIT_KEYS = ("Exec", "Environment", "Label")


class RenderError(ValueError):
    """The pod cannot be rendered as asked; ``field`` names the input (JSON path) or the key."""

    def __init__(self, field, message):
        self.field = field
        super().__init__("%s: %s" % (field, message))


def parse_version(version):
    """``"5.4.2"`` -> ``(5, 4)``; RenderError when unparsable."""
    match = re.match(r"^\s*v?(\d+)\.(\d+)", str(version or ""))
    if not match:
        raise RenderError("podman_version", "expected a podman version such as 5.4.2, got %r" % (version,))
    return int(match.group(1)), int(match.group(2))


def _shown(version):
    return "%d.%d" % version


def check_value(value, field):
    """Refuse a value that could break out of its line in a unit file."""
    text = str(value)
    found = _FORBIDDEN.search(text)
    if found:
        raise RenderError(field, "contains the control or line-breaking character U+%04X, which could inject unit "
                                 "file lines; remove it" % ord(found.group(0)))
    if text.endswith("\\"):
        raise RenderError(field, "ends with a backslash, which systemd reads as a line continuation; remove it")
    return text


def _escape(text, dollar):
    text = text.replace("%", "%%")
    return text.replace("$", "$$") if dollar else text


def quote_word(text):
    """One word for a key Quadlet splits on whitespace (already checked and escaped)."""
    if text and _WORD_SAFE.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Unit:
    """An ordered list of (section, key, value) with version gating."""

    def __init__(self, podman):
        self.podman = podman
        self.entries = []

    def add(self, section, key, value, field, dollar=True, words=None):
        if section == "Container":
            needed = CONTAINER_KEYS.get(key)
            if needed is None:
                raise RenderError(key, "not a Quadlet [Container] key this renderer knows")
            if self.podman < needed:
                raise RenderError(field, "Quadlet key %s= needs podman %s or newer; the node has podman %s" % (
                    key, _shown(needed), _shown(self.podman)))
        if words is not None:
            if "" in words:
                raise RenderError(field, "holds an empty argument, which Quadlet's word splitting drops; remove it")
            rendered = " ".join(quote_word(_escape(check_value(word, field), dollar)) for word in words)
        else:
            rendered = _escape(check_value(value, field), dollar)
        self.entries.append((section, key, rendered))

    def supports(self, key):
        return self.podman >= CONTAINER_KEYS[key]

    def text(self, sections=("Unit", "Container", "Service", "Install")):
        chunks = []
        for section in sections:
            lines = ["%s=%s" % (key, value) for name, key, value in self.entries if name == section]
            if lines:
                chunks.append("[%s]\n%s\n" % (section, "\n".join(lines)))
        return "# Rendered by sourceos.agent_machine; local edits are overwritten.\n" + "\n".join(chunks)


def _plain(document, kind):
    if hasattr(document, "model_dump"):
        return document.model_dump(by_alias=True, mode="json")
    return validate_document(kind, document, source="render").model_dump(by_alias=True, mode="json")


def _get(mapping, *path):
    for key in path:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def _accelerator(pod, provider):
    requests = pod["resources"]["accelerators"]
    request = requests[0] if requests else {"type": "cpu", "count": 0}
    if len(requests) > 1:
        raise RenderError("$.resources.accelerators", "one accelerator request per pod is supported, found %d" % len(requests))
    if not catalog.supports(provider, request["type"]):
        raise RenderError("$.resources.accelerators[0].type", "provider %s does not support accelerator %s (supported: %s)" % (
            provider["name"], request["type"], ", ".join(item["type"] for item in provider["accelerators"])))
    return request


def _image(pod):
    runtime = pod["runtime"]
    image, digest = runtime["image"], runtime.get("imageDigest")
    embedded = _DIGEST_IN_IMAGE.search(image)
    if embedded and digest and embedded.group(0)[1:] != digest:
        raise RenderError("$.runtime.imageDigest", "differs from the digest in runtime.image")
    if runtime["imageReferencePolicy"] in ("digest-required", "digest-pinned"):
        if not embedded and not digest:
            raise RenderError("$.runtime.imageDigest", "imageReferencePolicy %s needs the image by digest; runtime.image "
                                                       "has a tag only and imageDigest is empty" % runtime["imageReferencePolicy"])
    if digest and not embedded:
        image = image + "@" + digest
    return image


def _devices(request, machine):
    kind, count = request["type"], request.get("count") or 0
    devices = [item for item in (_get(machine, "accelerators", "devices") or []) if item.get("type") == kind]
    if kind == "cuda":
        if count == 0 or not devices or count >= len(devices):
            return ["nvidia.com/gpu=all"]
        return ["nvidia.com/gpu=%s" % (item.get("uuid") or item["index"]) for item in devices[:count]]
    if kind == "rocm":
        return ["/dev/kfd", "/dev/dri"]
    if kind == "vulkan":
        nodes = [item["path"] for item in (_get(machine, "accelerators", "vulkan", "renderNodes") or [])
                 if not item.get("software") and str(item.get("path", "")).startswith("/dev/dri/renderD")]
        return nodes[:max(count, 1)] or ["/dev/dri/renderD128"]
    return []


def _volume_option_z(machine):
    return (_get(machine, "runtime", "selinux", "mode") or "disabled") != "disabled"


def _mount_of(pod, volume_class):
    for mount in pod["storage"]:
        if mount["volumeClass"] == volume_class:
            return mount
    return None


def server_settings(pod, provider, listen_host, port):
    """Setting name -> value for the provider's argument mappings (None: not set)."""
    inference = pod["inference"]
    models = _mount_of(pod, "agent-models")
    model_name = posixpath.basename(pod["model"]["ref"].rstrip("/")) or "model"
    warm = _mount_of(pod, "agent-cache-warm")
    return {
        "modelPath": posixpath.join(models["mountPath"], model_name) if models else None,
        "host": listen_host,
        "port": port,
        "contextSize": inference.get("contextSize"),
        "parallelSlots": inference.get("parallelSlots"),
        "gpuLayers": inference.get("gpuLayers"),
        "gpuMemoryFraction": inference.get("gpuMemoryFraction"),
        "tensorParallelSize": inference.get("tensorParallelSize"),
        "cacheReuse": inference.get("cacheReuse"),
        "slotSavePath": posixpath.join(warm["mountPath"], SLOT_DIRECTORY) if warm and warm["accessMode"] != "read-only" else None,
    }


def server_command(pod, provider, listen_host, port):
    """(args, env) for the server: mapped settings, the provider's fixed args, then the pod's args."""
    settings = server_settings(pod, provider, listen_host, port)
    mapped_settings = {item["setting"] for item in provider["arguments"]}
    if "modelPath" in mapped_settings and settings["modelPath"] is None:
        raise RenderError("$.storage", "provider %s needs the model file: mount the agent-models volume class" % provider["name"])
    args, env = [], {}
    for item in provider["arguments"]:
        value = settings[item["setting"]]
        if value is None:
            continue
        if item["flag"]:
            args.extend([item["flag"], str(value)])
        elif item["setting"] == "host" and "port" not in mapped_settings:
            env[item["env"]] = "%s:%d" % (value, port)
        else:
            env[item["env"]] = str(value)
    args.extend(provider["fixedArgs"])
    args.extend(pod["runtime"]["args"])
    merged = dict(provider["env"])
    merged.update(env)
    merged.update(pod["runtime"]["env"])
    return args, merged


def _ports(pod, unit, network_mode, notes):
    published = []
    for index, port in enumerate(pod["ports"]):
        field = "$.ports[%d].exposure" % index
        exposure = port["exposure"]
        if exposure == "none":
            continue
        if exposure in ("cluster", "ingress"):
            raise RenderError(field, "exposure %s has no meaning for a Quadlet unit; use loopback or host" % exposure)
        if network_mode == "none":
            raise RenderError(field, "networkMode none cannot publish port %s; set its exposure to none" % port["name"])
        if network_mode == "host":
            if exposure == "host":
                notes.append("host network: port %d is reachable on every host interface" % port["containerPort"])
            continue
        host_port = port.get("hostPort") or port["containerPort"]
        address = "127.0.0.1" if exposure == "loopback" else "0.0.0.0"
        if exposure == "host":
            notes.append("port %d is published on every host interface (exposure host)" % host_port)
        unit.add("Container", "PublishPort", "%s:%d:%d" % (address, host_port, port["containerPort"]), field)
        published.append(port)
    return published


def render_container(pod, provider, machine, podman_version, volume_paths=None, memory_fallback=True):
    """Render the Quadlet units of one pod for one machine.

    Returns ``{"name", "text", "keys", "units", "notes", "directories"}``: the ``.container``
    unit's file name, text and ``(section, key, value)`` entries; ``units``
    every unit to write (the ``.container`` first, then a ``.network`` where
    one is needed), each ``{"name", "kind", "text"}``; ``notes`` what the
    decision scope must state (e.g. loopback serving does not block egress);
    ``directories`` host folders the server needs to exist (the slot cache).
    ``volume_paths`` overrides host directories per volume class.
    ``memory_fallback`` False refuses ``Memory=`` on podman before 5.5
    instead of writing ``PodmanArgs=--memory=<bytes>``.
    """
    pod = _plain(pod, "AgentPod")
    provider = _plain(provider, "InferenceProvider")
    version = parse_version(podman_version)
    if version < MIN_PODMAN:
        raise RenderError("podman_version", "Quadlet needs podman %s or newer; the node has podman %s" % (
            _shown(MIN_PODMAN), _shown(version)))
    if pod["providerId"] != provider["id"]:
        raise RenderError("$.providerId", "the pod names provider %s, not %s" % (pod["providerId"], provider["id"]))
    if pod["podType"] == "kubernetes-pod":
        raise RenderError("$.podType", "a kubernetes-pod is rendered as Kubernetes manifests, not Quadlet")
    if pod["policy"]["allowPrivileged"]:
        raise RenderError("$.policy.allowPrivileged", "privileged containers are never rendered; set it to false")
    paths = dict(DEFAULT_VOLUME_PATHS)
    paths.update(volume_paths or {})
    request = _accelerator(pod, provider)
    runtime = pod["runtime"]
    name = pod["workload"]["name"]
    rootful = runtime["mode"] == "rootful"
    unit = _Unit(version)
    notes = []

    unit.add("Unit", "Description", "%s inference (%s, %s) for %s" % (
        name, provider["name"], request["type"], pod["workload"]["agentIdentityRef"]), "$.workload", dollar=False)
    unit.add("Container", "Image", _image(pod), "$.runtime.image")
    unit.add("Container", "ContainerName", name, "$.workload.name")
    unit.add("Container", "Label", None, "$.id", words=["io.sourceos.agent-machine.pod=" + pod["id"]])

    # Network
    mode = runtime["networkMode"]
    network_unit = None
    if mode == "none":
        unit.add("Container", "Network", "none", "$.runtime.networkMode")
        listen = "127.0.0.1"
    elif mode == "loopback":
        network_unit = name + ".network"
        unit.add("Container", "Network", network_unit, "$.runtime.networkMode")
        listen = "0.0.0.0"
        notes.append("networkMode loopback: ports are published on 127.0.0.1 only, but the container keeps outbound "
                     "network access (egress is NOT blocked); use networkMode none to remove it")
    elif mode == "host":
        if not pod["policy"]["allowHostNetwork"]:
            raise RenderError("$.runtime.networkMode", "host networking needs policy.allowHostNetwork true")
        unit.add("Container", "Network", "host", "$.runtime.networkMode")
        listen = "0.0.0.0" if any(port["exposure"] == "host" for port in pod["ports"]) else "127.0.0.1"
        notes.append("networkMode host: the container shares the host's network namespace and has egress")
    else:
        raise RenderError("$.runtime.networkMode", "networkMode %s is not rendered as Quadlet (use none, loopback or host)" % mode)
    _ports(pod, unit, mode, notes)

    # Hardening
    unit.add("Container", "ReadOnly", "true", "ReadOnly")
    unit.add("Container", "NoNewPrivileges", "true", "NoNewPrivileges")
    unit.add("Container", "DropCapability", "all", "DropCapability")

    # Devices
    for device in _devices(request, machine):
        unit.add("Container", "AddDevice", device, "$.resources.accelerators[0]")

    # Volumes
    relabel = _volume_option_z(machine)
    for index, mount in enumerate(pod["storage"]):
        field = "$.storage[%d]" % index
        host = paths.get(mount["volumeClass"])
        for what, path in (("mountPath", mount["mountPath"]), ("host path", host)):
            if not path or ":" in path or "," in path or re.search(r"\s", path):
                raise RenderError(field + ".mountPath", "%s %r cannot be used in Volume= (no ':', ',' or whitespace)" % (what, path))
        options = ["ro" if mount["accessMode"] == "read-only" else "rw"]
        if relabel:
            options.append("z")
        unit.add("Container", "Volume", "%s:%s:%s" % (host, mount["mountPath"], ",".join(options)), field)

    # Server command
    port = pod["ports"][0]["containerPort"] if pod["ports"] else provider["defaultPort"]
    args, env = server_command(pod, provider, listen, port)
    for key in sorted(env):
        unit.add("Container", "Environment", None, "$.runtime.env." + key, words=["%s=%s" % (key, env[key])])
    for index, secret in enumerate(runtime["secretEnv"]):
        field = "$.runtime.secretEnv[%d].secretRef" % index
        scheme, _sep, secret_name = secret["secretRef"].partition(":")
        if scheme != "podman-secret" or not _SECRET_NAME.match(secret_name):
            raise RenderError(field, "Quadlet reads secrets from podman only: expected podman-secret:<name>")
        unit.add("Container", "Secret", "%s,type=env,target=%s" % (secret_name, secret["name"]), field)
    entrypoint = runtime.get("entrypoint") or provider.get("entrypoint")
    if entrypoint:
        unit.add("Container", "Entrypoint", json.dumps(entrypoint, ensure_ascii=False, separators=(",", ":")), "$.runtime.entrypoint")
    if args:
        unit.add("Container", "Exec", None, "$.runtime.args", words=args)

    # Limits
    limits = (("Memory", pod["resources"]["memoryBytes"], "$.resources.memoryBytes"),
              ("PidsLimit", DEFAULT_PIDS_LIMIT, "PidsLimit"))
    for key, value, field in limits:
        if unit.supports(key):
            unit.add("Container", key, str(int(value)), field)
        elif key == "Memory" and not memory_fallback:
            unit.add("Container", key, str(int(value)), field)
        else:
            unit.add("Container", "PodmanArgs", "%s=%d" % (_INTEGER_FALLBACKS[key], int(value)), field)

    # Health check
    command = catalog.health_command(provider, port)
    unit.add("Container", "HealthCmd", json.dumps(command, separators=(",", ":")), "$.providerId")
    unit.add("Container", "HealthInterval", "30s", "HealthInterval")
    unit.add("Container", "HealthRetries", "3", "HealthRetries")
    unit.add("Container", "HealthStartPeriod", "10m", "HealthStartPeriod")
    unit.add("Container", "HealthTimeout", "10s", "HealthTimeout")

    unit.add("Service", "Restart", _RESTART[runtime["restartPolicy"]], "$.runtime.restartPolicy")
    unit.add("Service", "TimeoutStartSec", "900", "TimeoutStartSec")
    unit.add("Install", "WantedBy", "multi-user.target" if rootful else "default.target", "$.runtime.mode")

    container = {"name": name + ".container", "kind": "quadlet-container", "text": unit.text()}
    warm = _mount_of(pod, "agent-cache-warm")
    directories = ([posixpath.join(paths["agent-cache-warm"], SLOT_DIRECTORY)]
                   if warm and warm["accessMode"] != "read-only" and "--slot-save-path" in args else [])
    units = [container]
    if network_unit:
        network = _Unit(version)
        network.add("Unit", "Description", "%s network (loopback-published ports; egress not blocked)" % name,
                    "$.workload.name", dollar=False)
        network.add("Network", "NetworkName", "agent-" + name, "$.workload.name")
        network.add("Network", "Label", "io.sourceos.agent-machine.pod=" + pod["id"], "$.id")
        units.append({"name": network_unit, "kind": "quadlet-network", "text": network.text(("Unit", "Network"))})
    return {"name": container["name"], "text": container["text"], "keys": list(unit.entries),
            "units": units, "notes": notes, "directories": directories}
