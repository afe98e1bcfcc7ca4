# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redaction of evidence documents: no secret value, raw prompt or KV content reaches a receipt.

``redact(value, hmac_key)`` returns a redacted copy of a JSON-compatible
value and the list of findings (JSON path and reason, never the value).
A secret is replaced by ``[redacted hmac-sha256:<16 hex>]``, the first 16
hex digits of HMAC-SHA256(hmac_key, secret): equal secrets give equal
markers within one deployment (same key), and a short password cannot be
recovered by hashing guesses without the key. Raw content (prompts,
messages, completions, KV cache) is replaced whole by
``[omitted raw-content]``.

What counts as a secret:

* key-name: the value of a key whose name says secret (``password``,
  ``dbPassword``, ``x-api-key``, ``Authorization``, ``GITHUB_TOKEN`` ...),
  also in ``NAME=value``, ``--flag=value``, ``--flag value``,
  ``name: value`` lines and Kubernetes ``{"name": ..., "value": ...}`` env
  items. References and digests (``secretRef``, ``tokenDigest``) are kept,
  and numbers are never secret by key name (``maxTokens: 512``).
* value patterns anywhere: PEM private keys, ``Bearer``/``Basic``
  credentials, well-known token shapes, passwords in URLs.
* high-entropy: random-looking values of environment variables (not
  digests, urns, paths, URLs or image references).

Finding reasons: key-name, pem-private-key, bearer-token, basic-auth,
known-token, url-userinfo, high-entropy, raw-content.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import math
import re

MARKER_PREFIX = "[redacted hmac-sha256:"
MARKER_PATTERN = re.compile(r"\[redacted hmac-sha256:[0-9a-f]{16}\]")
RAW_CONTENT_MARKER = "[omitted raw-content]"

REASON_KEY_NAME = "key-name"
REASON_PEM = "pem-private-key"
REASON_BEARER = "bearer-token"
REASON_BASIC = "basic-auth"
REASON_KNOWN_TOKEN = "known-token"
REASON_URL_USERINFO = "url-userinfo"
REASON_HIGH_ENTROPY = "high-entropy"
REASON_RAW_CONTENT = "raw-content"
REASONS = (
    REASON_KEY_NAME,
    REASON_PEM,
    REASON_BEARER,
    REASON_BASIC,
    REASON_KNOWN_TOKEN,
    REASON_URL_USERINFO,
    REASON_HIGH_ENTROPY,
    REASON_RAW_CONTENT,
)

# Matched anywhere in the key name with separators and case removed.
_KEY_TERMS = (
    "password", "passwd", "passphrase", "secret", "credential", "authorization",
    "cookie", "apikey", "privatekey", "sessionkey", "accesskey", "signingkey",
    "encryptionkey", "hmackey",
)
# Matched at the end of one word of the key name (accessToken, HF_TOKEN, dbpwd).
_WORD_SUFFIX_TERMS = ("token", "tokens", "pwd")
# Matched as the last word only (docker's "auth", basicAuth), not authMode.
_LAST_WORD_TERMS = ("auth",)
_COUNT_TERMS = frozenset(("token", "tokens"))
# "token" next to one of these words is a language-model token (eos_token, stopTokens, maxTokens), not a credential.
_MODEL_TOKEN_WORDS = frozenset((
    "eos", "bos", "pad", "unk", "sep", "cls", "mask", "stop", "special", "added", "vocab", "max", "min", "num",
    "count", "total", "cached", "prompt", "completion", "input", "output", "context", "per", "limit", "budget",
    "used", "reasoning", "new",
))
# A key whose last word is one of these names a reference, not a value.
_REFERENCE_WORDS = frozenset(("ref", "refs", "digest", "digests", "name", "names"))
# A key whose last word is one of these holds a location when its value is a path.
_LOCATION_WORDS = frozenset(("file", "path", "dir"))
# POSIX shell variables that hold the working directory, not a password.
_SHELL_DIR_VARS = frozenset(("PWD", "OLDPWD"))

_RAW_CONTENT_KEYS = frozenset((
    "prompt", "prompts", "messages", "completion", "completions",
    "kvcache", "kvcontent", "rawcontent",
))
_ENV_KEYS = frozenset(("env", "environment", "envvars", "environmentvariables"))

_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK|)-----.*?(?:-----END \1PRIVATE KEY\2-----|\Z)",
    re.S)
_BEARER = re.compile(r"\b(bearer)(\s+)([A-Za-z0-9\-._~+/]+=*)", re.I)
_BASIC = re.compile(r"\b(basic)(\s+)([A-Za-z0-9+/]+={0,2})(?![A-Za-z0-9+/=])", re.I)
_URL_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]{0,31}://)([^/\s:@\[\]]{0,256}:[^/\s@\[\]]{1,256})@")
_KNOWN_TOKENS = (
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    # sk-... keys (OpenAI, Anthropic style) when the tail mixes lower, upper and digits: see _known_token.
    re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    re.compile(r"\bhf_[A-Za-z0-9]{30,}"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
)

# "name: value" / "name = value" / "export NAME=value" lines (headers, YAML, INI, shell).
_LINE_ASSIGNMENT = re.compile(
    r"^[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?[\"']?([A-Za-z_][\w.\-]*)[\"']?[ \t]*[:=][ \t]*(\S[^\r\n]*)",
    re.M)
# NAME=value and --flag=value anywhere in a string (command lines, query strings).
_INLINE_ASSIGNMENT = re.compile(r"(?<![\w.\-/])-{0,2}([A-Za-z_][\w.\-]*)=")
# --flag value inside one string.
_INLINE_FLAG = re.compile(r"(?<![\w.\-])--([A-Za-z][\w.\-]*)[ \t]+(?=[^\s\-])")
# A list item that is a long option alone: its value is the next item.
_FLAG_ITEM = re.compile(r"--([A-Za-z][\w.\-]*)")
_ENV_ITEM = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-]*)=(.*)", re.S)
# One argv element "--flag=value" or "NAME=value": the value is everything after "=".
_ARGV_ASSIGNMENT = re.compile(r"(-{0,2}([A-Za-z_][\w.\-]*)=)(.*)", re.S)

_VALUE_STOP = re.compile(r"[\s&]")
_DIGITS = re.compile(r"[0-9]+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
_DIGEST_SUFFIX = re.compile(r"@sha(?:256|384|512):[0-9a-fA-F]+$")
_PATH_LIKE = re.compile(r"[\w.\-:@~+]+(?:/[\w.\-:@~+]*)+")
_PLAIN_RUN = re.compile(r"[A-Za-z0-9]+")

_ENTROPY_MIN_LENGTH = 20
_ENTROPY_MIN_BITS = 3.5


@functools.lru_cache(maxsize=4096)
def _words(name):
    """The lower-case words of a key name: camelCase, snake_case, kebab-case and dots split."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return tuple(word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word)


@functools.lru_cache(maxsize=4096)
def _key_terms(words):
    compact = "".join(words)
    terms = set(term for term in _KEY_TERMS if term in compact)
    for word in words:
        terms.update(term for term in _WORD_SUFFIX_TERMS if word.endswith(term))
    if words[-1] in _LAST_WORD_TERMS:
        terms.add(words[-1])
    return frozenset(terms)


def _looks_like_path(value):
    return value.startswith(("/", "./", "../", "~/", "file://"))


def is_secret_key(name, value=None):
    """Whether the value of key ``name`` is secret by the key's name.

    ``value`` refines the answer: numbers (and booleans) are never secret
    by key name, a token count given as a string of digits is not either,
    and a ``...File``/``...Path`` key holding a path names a location.
    """
    if not isinstance(name, str):
        return False
    words = _words(name)
    if not words:
        return False
    terms = _key_terms(words)
    if not terms or words[-1] in _REFERENCE_WORDS:
        return False
    if terms <= _COUNT_TERMS and _MODEL_TOKEN_WORDS.intersection(words):
        return False
    if isinstance(value, (bool, int, float)):
        return False
    if isinstance(value, str):
        if terms <= _COUNT_TERMS and _DIGITS.fullmatch(value.strip()):
            return False
        if words[-1] in _LOCATION_WORDS and _looks_like_path(value):
            return False
        if name in _SHELL_DIR_VARS and value.startswith("/"):
            return False
    return True


def is_raw_content_key(name):
    """Whether key ``name`` holds raw content (prompts, messages, KV cache) that is never stored."""
    return isinstance(name, str) and "".join(_words(name)) in _RAW_CONTENT_KEYS


def _is_env_key(name):
    return isinstance(name, str) and "".join(_words(name)) in _ENV_KEYS


def _is_redacted(value):
    """Whether a string is nothing but redaction markers (so redacting twice changes nothing)."""
    return value == RAW_CONTENT_MARKER or (bool(value) and MARKER_PATTERN.sub("", value).strip() == "")


def shannon_entropy(value):
    """Shannon entropy of a string in bits per character."""
    if not value:
        return 0.0
    counts = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    length = float(len(value))
    return -sum((n / length) * math.log(n / length, 2) for n in counts.values())


def looks_high_entropy(value):
    """Whether a string looks like a random credential (not a digest, urn, path, URL or image ref)."""
    if len(value) < _ENTROPY_MIN_LENGTH or any(char.isspace() for char in value) or _is_redacted(value):
        return False
    lowered = value.lower()
    if lowered.startswith(("sha256:", "sha384:", "sha512:", "urn:")) or _looks_like_path(value) or _URL.match(value):
        return False
    if "/" in value:
        without_digest = _DIGEST_SUFFIX.sub("", value)
        runs = _PLAIN_RUN.findall(without_digest)
        if _PATH_LIKE.fullmatch(without_digest) and max([len(run) for run in runs] or [0]) < 16:
            return False
    has_lower = any(char.islower() for char in value)
    has_upper = any(char.isupper() for char in value)
    has_digit = any(char.isdigit() for char in value)
    if not ((has_digit and (has_lower or has_upper)) or (has_lower and has_upper)):
        return False
    return shannon_entropy(value) >= _ENTROPY_MIN_BITS


def _value_end(text, start):
    """End of an inline value starting at ``start``: a marker, a quoted string, or up to whitespace or ``&``."""
    marker = MARKER_PATTERN.match(text, start)
    if marker:
        return marker.end()
    if start < len(text) and text[start] in "\"'":
        close = text.find(text[start], start + 1)
        if close != -1:
            return close + 1
    stop = _VALUE_STOP.search(text, start)
    return stop.start() if stop else len(text)


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _looks_like_credential(token):
    if len(token) < 8:
        return False
    return (any(char.isdigit() for char in token)
            or any(char in "-._~+/=" for char in token)
            or (any(char.islower() for char in token) and any(char.isupper() for char in token)))


def _known_token(token):
    if token.startswith("sk-"):
        tail = token[3:]
        return (any(char.islower() for char in tail) and any(char.isupper() for char in tail)
                and any(char.isdigit() for char in tail))
    return True


def _basic_credential(token):
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


class _Redactor(object):
    """One redaction pass: replaces secrets and records findings."""

    def __init__(self, hmac_key):
        if isinstance(hmac_key, str):
            hmac_key = hmac_key.encode("utf-8")
        if not isinstance(hmac_key, (bytes, bytearray)):
            raise TypeError("redaction hmac_key must be bytes, got %s" % type(hmac_key).__name__)
        if not hmac_key:
            raise ValueError("redaction hmac_key must not be empty")
        self._key = bytes(hmac_key)
        self.findings = []
        self._seen = set()

    def marker(self, secret):
        mac = hmac.new(self._key, secret.encode("utf-8"), hashlib.sha256).hexdigest()
        return MARKER_PREFIX + mac[:16] + "]"

    def found(self, path, reason):
        if (path, reason) not in self._seen:
            self._seen.add((path, reason))
            self.findings.append({"path": path, "reason": reason})

    # --- strings -----------------------------------------------------------

    def _replace_spans(self, text, spans, path, reason):
        """Replace (start, end) spans of ``text`` by markers of their content."""
        if not spans:
            return text
        out = []
        last = 0
        for start, end in spans:
            out.append(text[last:start])
            out.append(self.marker(text[start:end]))
            last = end
        out.append(text[last:])
        self.found(path, reason)
        return "".join(out)

    def _pem(self, text, path):
        return self._replace_spans(text, [m.span() for m in _PEM_PRIVATE_KEY.finditer(text)], path, REASON_PEM)

    def _assignments(self, text, path):
        spans = []
        for match in _LINE_ASSIGNMENT.finditer(text):
            if not is_secret_key(match.group(1)):
                continue
            value = match.group(2).rstrip()
            if not _is_redacted(value) and is_secret_key(match.group(1), _unquote(value)):
                spans.append((match.start(2), match.start(2) + len(value)))
        text = self._replace_spans(text, spans, path, REASON_KEY_NAME)

        spans = []
        pos = 0
        while True:
            match = _INLINE_ASSIGNMENT.search(text, pos)
            if match is None:
                break
            start = pos = match.end()
            if not is_secret_key(match.group(1)):
                continue
            end = _value_end(text, start)
            value = text[start:end]
            if value and not _is_redacted(value) and is_secret_key(match.group(1), _unquote(value)):
                spans.append((start, end))
                pos = end
        text = self._replace_spans(text, spans, path, REASON_KEY_NAME)

        spans = []
        for match in _INLINE_FLAG.finditer(text):
            if not is_secret_key(match.group(1)):
                continue
            start = match.end()
            end = _value_end(text, start)
            value = text[start:end]
            if not _is_redacted(value) and is_secret_key(match.group(1), _unquote(value)):
                spans.append((start, end))
        return self._replace_spans(text, spans, path, REASON_KEY_NAME)

    def _patterns(self, text, path):
        spans = [m.span(2) for m in _URL_USERINFO.finditer(text)]
        text = self._replace_spans(text, spans, path, REASON_URL_USERINFO)
        spans = [m.span(3) for m in _BEARER.finditer(text) if _looks_like_credential(m.group(3))]
        text = self._replace_spans(text, spans, path, REASON_BEARER)
        spans = [m.span(3) for m in _BASIC.finditer(text) if _basic_credential(m.group(3))]
        text = self._replace_spans(text, spans, path, REASON_BASIC)
        for pattern in _KNOWN_TOKENS:
            spans = [m.span() for m in pattern.finditer(text) if _known_token(m.group(0))]
            text = self._replace_spans(text, spans, path, REASON_KNOWN_TOKEN)
        return text

    def string(self, text, path, entropy=None):
        """Redact secrets inside one string; ``entropy`` is None, "whole" or "assignment"."""
        if _is_redacted(text):
            return text
        result = self._pem(text, path)
        result = self._assignments(result, path)
        result = self._patterns(result, path)
        if result != text or entropy is None:
            return result
        if entropy == "whole":
            if looks_high_entropy(text):
                self.found(path, REASON_HIGH_ENTROPY)
                return self.marker(text)
            return text
        match = _ENV_ITEM.fullmatch(text)
        if match and looks_high_entropy(match.group(2)):
            self.found(path, REASON_HIGH_ENTROPY)
            return match.group(1) + "=" + self.marker(match.group(2))
        return text

    def secret_leaves(self, value, path):
        """Everything below a secret key: every non-empty string leaf becomes a marker."""
        if isinstance(value, str):
            if not value or _is_redacted(value):
                return value
            self.found(path, REASON_KEY_NAME)
            return self.marker(value)
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                child = _child_path(path, key)
                if isinstance(key, str) and _words(key) and _words(key)[-1] in _REFERENCE_WORDS and isinstance(item, str):
                    out[key] = self.string(item, child)
                else:
                    out[key] = self.secret_leaves(item, child)
            return out
        if isinstance(value, (list, tuple)):
            return [self.secret_leaves(item, "%s[%d]" % (path, index)) for index, item in enumerate(value)]
        return value

    # --- containers --------------------------------------------------------

    def walk(self, value, path, env=None):
        """Redact any value; ``env`` is "map", "list" or "item" inside environment variables."""
        if isinstance(value, dict):
            return self._dict(value, path, env)
        if isinstance(value, (list, tuple)):
            return self._list(value, path, env)
        if isinstance(value, str):
            return self.string(value, path, entropy="whole" if env == "map" else None)
        return value

    def _scan_key(self, key, path):
        if not isinstance(key, str):
            return key
        redacted = self._pem(key, path)
        return self._patterns(redacted, path)

    def _dict(self, value, path, env):
        out = {}
        name = value.get("name")
        pair_secret = isinstance(name, str) and "value" in value and is_secret_key(name, value["value"])
        for key, item in value.items():
            child = _child_path(path, key)
            out_key = self._scan_key(key, child)
            if is_raw_content_key(key):
                if item is None or item == "" or item == [] or item == {} or item == RAW_CONTENT_MARKER:
                    out[out_key] = item
                else:
                    self.found(child, REASON_RAW_CONTENT)
                    out[out_key] = RAW_CONTENT_MARKER
            elif (pair_secret and key == "value") or is_secret_key(key, item):
                out[out_key] = self.secret_leaves(item, child)
            elif env == "map" and isinstance(item, str):
                out[out_key] = self.string(item, child, entropy="whole")
            elif env == "item" and key == "value" and isinstance(item, str):
                out[out_key] = self.string(item, child, entropy="whole")
            elif _is_env_key(key) and isinstance(item, dict):
                out[out_key] = self.walk(item, child, "map")
            elif _is_env_key(key) and isinstance(item, (list, tuple)):
                out[out_key] = self.walk(item, child, "list")
            else:
                out[out_key] = self.walk(item, child)
        return out

    def _list(self, value, path, env):
        out = []
        flag = None
        for index, item in enumerate(value):
            child = "%s[%d]" % (path, index)
            if flag is not None and isinstance(item, str) and item and not item.startswith("-"):
                pending, flag = flag, None
                if not _is_redacted(item) and is_secret_key(pending, item):
                    self.found(child, REASON_KEY_NAME)
                    out.append(self.marker(item))
                    continue
            flag = None
            if isinstance(item, str):
                match = _FLAG_ITEM.fullmatch(item)
                if match and is_secret_key(match.group(1)):
                    flag = match.group(1)
                match = _ARGV_ASSIGNMENT.fullmatch(item)
                if match and match.group(3) and not _is_redacted(match.group(3)) \
                        and is_secret_key(match.group(2), match.group(3)):
                    self.found(child, REASON_KEY_NAME)
                    out.append(match.group(1) + self.marker(match.group(3)))
                    continue
                out.append(self.string(item, child, entropy="assignment" if env == "list" else None))
            elif isinstance(item, dict) and env == "list":
                out.append(self._dict(item, child, "item"))
            else:
                out.append(self.walk(item, child))
        return out


def _child_path(path, key):
    if isinstance(key, str) and _IDENTIFIER.fullmatch(key):
        return "%s.%s" % (path, key)
    if isinstance(key, str):
        return "%s['%s']" % (path, key.replace("\\", "\\\\").replace("'", "\\'"))
    return "%s[%s]" % (path, json.dumps(key) if isinstance(key, (int, float, bool)) or key is None else repr(key))


def redaction_marker(secret, hmac_key):
    """The marker that replaces ``secret``: ``[redacted hmac-sha256:<first 16 hex of HMAC-SHA256>]``."""
    return _Redactor(hmac_key).marker(secret)


def redact(value, hmac_key):
    """A redacted copy of a JSON-compatible value, and the findings.

    Returns ``(redacted, findings)``; ``findings`` is a list of
    ``{"path": "$.runtime.env.DB_PASSWORD", "reason": "key-name"}`` in
    document order, one per path and reason, never holding a value. The
    input is not modified; tuples come back as lists.
    """
    redactor = _Redactor(hmac_key)
    return redactor.walk(value, "$"), redactor.findings


def contains_secret_patterns(text):
    """The reasons (sorted, unique) for which ``text`` still holds a secret; ``[]`` when clean.

    Text that parses as JSON is checked value by value with every rule of
    ``redact`` (so a redacted document is clean); other text is checked as
    one string by key-name assignments and value patterns.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    probe = _Redactor(b"contains_secret_patterns")
    try:
        document = json.loads(text)
    except ValueError:
        probe.string(text, "$")
    else:
        probe.walk(document, "$")
    return sorted(set(finding["reason"] for finding in probe.findings))
