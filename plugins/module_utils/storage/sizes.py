# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sizes of the storage layout: parsing, extent rounding, human display.

Accepted forms (LVM units are binary, powers of 1024, whatever the case):

- bytes: an integer, or a string of digits (``"1073741824"``), optionally
  ending in ``b``/``B``;
- units: ``"200G"``, ``"200g"``, ``"200GiB"``, ``"1.5T"`` (K, M, G, T, P, E);
- percentages: ``"50%VG"`` (of the VG's size), ``"100%FREE"`` (of the VG's
  free space when the volume is created).

``"200GB"`` is refused: it reads as decimal gigabytes elsewhere, and LVM
would take it as binary; the message says which spelling to use.

LVM allocates whole extents: a byte size is rounded UP to the next extent
(as ``lvcreate -L`` does), a percentage is rounded DOWN (as ``-l N%VG``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from decimal import Decimal, InvalidOperation, ROUND_CEILING

UNIT_POWERS = {"b": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}
PERCENT_BASES = ("VG", "FREE")
DEFAULT_EXTENT_SIZE = 4 * 1024 * 1024
DEFAULT_PE_START = 1024 * 1024

_UNIT_SIZE = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[bkmgtpe])(?P<suffix>ib|b)?$", re.IGNORECASE)
_PERCENT_SIZE = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*%\s*(?P<base>[A-Za-z]+)$")
_HUMAN_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


class SizeError(ValueError):
    """A size that cannot be understood; the message says why."""


class SizeSpec:
    """A parsed size: either an exact byte count or a percentage of the VG.

    ``kind`` is "bytes" (``value`` an int) or "percent" (``value`` a
    Decimal in (0, 100], ``base`` "VG" or "FREE"). ``text`` keeps what the
    user wrote, for messages.
    """

    def __init__(self, kind, value, base=None, text=None):
        self.kind = kind
        self.value = value
        self.base = base
        self.text = text if text is not None else str(value)

    @property
    def is_percent(self):
        return self.kind == "percent"

    def __eq__(self, other):
        return (isinstance(other, SizeSpec) and (self.kind, self.value, self.base) ==
                (other.kind, other.value, other.base))

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "SizeSpec(%r, %r, %r)" % (self.kind, self.value, self.base)


def parse_size(value):
    """A SizeSpec from an int or a string; raises SizeError."""
    if isinstance(value, bool) or value is None:
        raise SizeError("expected a size such as 200G, 50%%VG or a number of bytes, got %r" % (value,))
    if isinstance(value, int):
        if value <= 0:
            raise SizeError("must be greater than 0, got %d" % value)
        return SizeSpec("bytes", value, text=str(value))
    if isinstance(value, float):
        raise SizeError("a number of bytes must be a whole number, got %r; write units such as 1.5G" % (value,))
    if not isinstance(value, str):
        raise SizeError("expected a size such as 200G, 50%%VG or a number of bytes, got %r" % (value,))
    text = value.strip()
    if re.match(r"^\d+$", text):
        number = int(text)
        if number <= 0:
            raise SizeError("must be greater than 0, got %r" % value)
        return SizeSpec("bytes", number, text=text)
    match = _PERCENT_SIZE.match(text)
    if match:
        base = match.group("base").upper()
        if base not in PERCENT_BASES:
            raise SizeError("%r: only %%VG and %%FREE are supported, not %%%s" % (value, match.group("base")))
        percent = Decimal(match.group("number"))
        if percent <= 0 or percent > 100:
            raise SizeError("%r: the percentage must be greater than 0 and at most 100" % (value,))
        return SizeSpec("percent", percent, base=base, text=text)
    match = _UNIT_SIZE.match(text)
    if match:
        unit = match.group("unit").lower()
        suffix = (match.group("suffix") or "").lower()
        if suffix == "b" and unit != "b":
            raise SizeError("%r: %s is ambiguous (decimal elsewhere, binary in LVM); write %s%s or %s%siB"
                            % (value, match.group("unit") + match.group("suffix"), match.group("number"),
                               unit.upper(), match.group("number"), unit.upper()))
        if suffix == "ib" and unit == "b":
            raise SizeError("%r: unknown unit; use B, K, M, G, T, P or E (optionally KiB, MiB, ...)" % (value,))
        try:
            number = Decimal(match.group("number"))
        except InvalidOperation:
            raise SizeError("%r is not a number" % (value,))
        exact = number * (Decimal(1024) ** UNIT_POWERS[unit])
        if unit == "b" and exact != exact.to_integral_value():
            raise SizeError("%r: a number of bytes must be a whole number" % (value,))
        byte_count = int(exact.to_integral_value(rounding=ROUND_CEILING))
        if byte_count <= 0:
            raise SizeError("%r: must be greater than 0" % (value,))
        return SizeSpec("bytes", byte_count, text=text)
    raise SizeError("%r is not a size; use bytes (1073741824), units (200G, 200GiB, 1.5T) or 50%%VG / 100%%FREE"
                    % (value,))


def extents_up(byte_count, extent_size):
    """Whole extents holding ``byte_count`` bytes (LVM rounds sizes up)."""
    return -(-int(byte_count) // int(extent_size))


def percent_extents(percent, extent_count):
    """``percent`` of ``extent_count`` extents, rounded down (as LVM's -l N%VG)."""
    return int((Decimal(percent) * int(extent_count)) // 100)


def pv_extents(device_size, extent_size=DEFAULT_EXTENT_SIZE, pe_start=DEFAULT_PE_START):
    """Extents a new PV on a device of ``device_size`` bytes gives a VG:
    the space after the data offset, in whole extents."""
    if device_size is None or device_size <= pe_start:
        return 0
    return (int(device_size) - int(pe_start)) // int(extent_size)


def human(byte_count):
    """"1.50 GiB" for 1610612736; exact bytes for small values."""
    value = float(byte_count)
    for unit in _HUMAN_UNITS:
        if abs(value) < 1024 or unit == _HUMAN_UNITS[-1]:
            if unit == "B":
                return "%d B" % int(byte_count)
            return "%.2f %s" % (value, unit)
        value /= 1024.0
    return "%d B" % int(byte_count)  # pragma: no cover


def describe(byte_count):
    """"1610612736 bytes (1.50 GiB)"."""
    return "%d bytes (%s)" % (int(byte_count), human(byte_count))
