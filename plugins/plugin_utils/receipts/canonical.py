# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Canonical JSON and sha256 digests, the byte form every receipt is stored and signed in.

Canonical JSON here means: keys sorted, no whitespace (``,`` and ``:``
separators), UTF-8 without escaping non-ASCII, no NaN/Infinity.
"""

from __future__ import annotations

import hashlib
import json
import re

DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")


def canonical_json(value):
    """The canonical bytes of a JSON-compatible value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def sha256_digest(data):
    """``sha256:<hex>`` of bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def document_digest(value):
    """``sha256:<hex>`` of a value's canonical JSON."""
    return sha256_digest(canonical_json(value))


def digest_hex(digest):
    """The hex part of a ``sha256:`` digest (ValueError when malformed)."""
    if not isinstance(digest, str) or not DIGEST_PATTERN.match(digest):
        raise ValueError("not a sha256 digest: %r" % (digest,))
    return digest.split(":", 1)[1]
