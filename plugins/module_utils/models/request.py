# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One model artifact request, checked and normalized before the node is touched.

Every error names the option it is about. The authorization header value
never appears in an error: only the option name does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import posixpath
import re

from urllib.parse import urlsplit

DEFAULT_MODELS_ROOT = "/var/lib/agent-machine/models"
FORMATS = ("gguf", "safetensors", "mlx", "onnx")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# A file name under the models root: no separators, no leading dot (those
# names are the module's own bookkeeping), nothing a shell or unit file
# would read specially.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$")
REF = re.compile(r"^\S{1,1024}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RequestError(ValueError):
    """The request cannot be used; the message names the option."""


class ArtifactRequest:
    """Everything the materializer needs, already checked."""

    def __init__(self, **values):
        self.ref = values["ref"]
        self.digest = values["digest"]
        self.size_bytes = values["size_bytes"]
        self.format = values["format"]
        self.name = values["name"]
        self.models_root = values["models_root"]
        self.source_kind = values["source_kind"]
        self.url = values["url"]
        self.source_path = values["source_path"]
        self.auth_header = values["auth_header"]
        self.allow_unverified = values["allow_unverified"]
        self.verify = values["verify"]
        self.mark_used = values["mark_used"]
        self.mode = values["mode"]
        self.timeout = values["timeout"]
        self.retries = values["retries"]
        self.retry_delay = values["retry_delay"]
        self.validate_certs = values["validate_certs"]

    @property
    def final_path(self):
        return os.path.join(self.models_root, self.name)

    @property
    def url_scheme(self):
        return urlsplit(self.url).scheme.lower() if self.url else None

    @property
    def url_host(self):
        return url_host(self.url) if self.url else None

    def source_record(self):
        """The source as the ModelReceipt records it: kind, and scheme and host for URLs only."""
        if self.source_kind == "url":
            return {"kind": "url", "scheme": self.url_scheme, "host": self.url_host}
        return {"kind": self.source_kind, "scheme": None, "host": None}


def url_host(url):
    """``host`` or ``host:port`` of a URL (IPv6 in brackets); never user information."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = "[%s]" % host
    return host if parts.port is None else "%s:%d" % (host, parts.port)


def display_url(url):
    """The URL for messages: scheme, host and path; no user information, query or fragment."""
    parts = urlsplit(url)
    return "%s://%s%s" % (parts.scheme.lower(), url_host(url), parts.path or "/")


def _digest(value, allow_unverified):
    if value is None or value == "":
        if allow_unverified:
            return None
        raise RequestError("digest: required (sha256:<64 hex digits>); "
                           "only allow_unverified=true, when policy allows it, may leave it out")
    text = str(value).strip()
    algorithm, _sep, hex_part = text.partition(":")
    normalized = "%s:%s" % (algorithm.lower(), hex_part.lower())
    if not DIGEST.match(normalized):
        raise RequestError("digest: %r is not sha256:<64 hex digits>" % text)
    return normalized


def _url(value):
    if _CONTROL.search(value) or " " in value:
        raise RequestError("url: must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # pylint: disable=pointless-statement  # raises ValueError on a bad port
    except ValueError as exc:
        raise RequestError("url: not a valid URL (%s)" % exc)
    if parts.scheme.lower() not in ("http", "https"):
        raise RequestError("url: the scheme must be http or https, got %r" % (parts.scheme or "none"))
    if parts.username is not None or parts.password is not None:
        raise RequestError("url: must not carry user information; pass credentials with auth_header")
    if not parts.hostname:
        raise RequestError("url: has no host")
    return value


def _name(value, ref):
    if value is None or value == "":
        value = posixpath.basename(ref.rstrip("/"))
        field = "name (taken from the last part of ref)"
    else:
        field = "name"
    if not NAME.match(value) or value in (".", ".."):
        raise RequestError("%s: %r is not a plain file name (letters, digits, . _ + -, not starting with a dot)"
                           % (field, value))
    return value


def _models_root(value):
    root = value or DEFAULT_MODELS_ROOT
    if not root.startswith("/") or _CONTROL.search(root):
        raise RequestError("models_root: %r must be an absolute path" % root)
    root = os.path.normpath(root)
    if root == "/":
        raise RequestError("models_root: must not be /")
    return root


def parse_mode(value):
    """A file mode from "0644", "644" or an int (as YAML reads an unquoted 0644)."""
    if isinstance(value, bool):
        raise RequestError("mode: must be an octal mode such as \"0644\", not a boolean")
    if isinstance(value, int):
        mode = value
    else:
        text = str(value).strip()
        if not re.match(r"^0?[0-7]{3,4}$", text):
            raise RequestError("mode: %r is not an octal mode such as \"0644\"" % text)
        mode = int(text, 8)
    if mode < 0 or mode > 0o7777:
        raise RequestError("mode: %r is out of range (0000-7777)" % (value,))
    return mode


DEFAULTS = {"timeout": 30, "retries": 3, "retry_delay": 2, "mode": "0644"}


def _number(params, key, minimum, kind=int):
    value = params.get(key)
    if value is None:
        value = DEFAULTS[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and isinstance(value, float)):
        raise RequestError("%s: must be a number, got %r" % (key, value))
    if value < minimum:
        raise RequestError("%s: must be at least %s, got %s" % (key, minimum, value))
    return kind(value)


def _source(params):
    url, path, from_controller = params.get("url"), params.get("path"), bool(params.get("from_controller"))
    if (url is None) == (path is None):
        raise RequestError("url, path: give exactly one source (url, or path on the node)")
    if url is not None:
        if from_controller:
            raise RequestError("from_controller: applies to path only")
        return "url", _url(url), None
    if not path.startswith("/") or _CONTROL.search(path):
        raise RequestError("path: %r must be an absolute path on the node" % path)
    return ("controller" if from_controller else "path"), None, os.path.normpath(path)


def _auth_header(value, source_kind):
    if value is None or value == "":
        return None
    if source_kind != "url":
        raise RequestError("auth_header: applies to url sources only")
    if _CONTROL.search(value):
        raise RequestError("auth_header: must be a single line without control characters")
    return value


def normalize_request(params):
    """An ArtifactRequest from the module's parameters; RequestError naming the option when one is wrong."""
    ref = params.get("ref")
    if not isinstance(ref, str) or not REF.match(ref):
        raise RequestError("ref: %r must be a non-empty reference without spaces (at most 1024 characters)" % (ref,))
    allow_unverified = bool(params.get("allow_unverified"))
    size_bytes = params.get("size_bytes")
    if size_bytes is not None:
        size_bytes = _number(params, "size_bytes", 0)
    fmt = params.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise RequestError("format: %r is not one of %s" % (fmt, ", ".join(FORMATS)))
    source_kind, url, source_path = _source(params)
    return ArtifactRequest(
        ref=ref,
        digest=_digest(params.get("digest"), allow_unverified),
        size_bytes=size_bytes,
        format=fmt,
        name=_name(params.get("name"), ref),
        models_root=_models_root(params.get("models_root")),
        source_kind=source_kind,
        url=url,
        source_path=source_path,
        auth_header=_auth_header(params.get("auth_header"), source_kind),
        allow_unverified=allow_unverified,
        verify=bool(params.get("verify")),
        mark_used=bool(params.get("mark_used")),
        mode=parse_mode(params.get("mode") if params.get("mode") is not None else DEFAULTS["mode"]),
        timeout=_number(params, "timeout", 1, float),
        retries=_number(params, "retries", 0),
        retry_delay=_number(params, "retry_delay", 0, float),
        validate_certs=params.get("validate_certs", True) is not False,
    )
