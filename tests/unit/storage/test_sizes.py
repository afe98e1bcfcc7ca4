"""Sizes of the storage layout: units are binary like LVM's, extents round
up for byte sizes and down for percentages."""

from decimal import Decimal

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.sizes import (
    SizeError,
    SizeSpec,
    describe,
    extents_up,
    human,
    parse_size,
    percent_extents,
    pv_extents,
)

GIB = 1024 ** 3
EXTENT = 4 * 1024 * 1024


@pytest.mark.parametrize("text, expected", [
    ("200G", 200 * GIB),
    ("200g", 200 * GIB),
    ("200GiB", 200 * GIB),
    ("200gib", 200 * GIB),
    ("1.5T", 1536 * GIB),
    ("512M", 512 * 1024 ** 2),
    ("64K", 65536),
    ("1E", 1024 ** 6),
    ("2P", 2 * 1024 ** 5),
    ("4096b", 4096),
    ("4096B", 4096),
    ("1073741824", GIB),
    (" 8G ", 8 * GIB),
    ("0.1G", 107374183),  # 107374182.4 rounds up to whole bytes
])
def test_units_are_binary(text, expected):
    assert parse_size(text) == SizeSpec("bytes", expected)


def test_plain_int_is_bytes():
    assert parse_size(1073741824) == SizeSpec("bytes", GIB)


@pytest.mark.parametrize("text, percent, base", [
    ("50%VG", "50", "VG"),
    ("100%FREE", "100", "FREE"),
    ("12.5%vg", "12.5", "VG"),
    ("90%free", "90", "FREE"),
])
def test_percentages(text, percent, base):
    size = parse_size(text)
    assert size.is_percent
    assert size.value == Decimal(percent)
    assert size.base == base


@pytest.mark.parametrize("value, message", [
    ("200GB", "'200GB': GB is ambiguous (decimal elsewhere, binary in LVM); write 200G or 200GiB"),
    ("0", "must be greater than 0"),
    (0, "must be greater than 0, got 0"),
    (-5, "must be greater than 0, got -5"),
    ("0%VG", "the percentage must be greater than 0 and at most 100"),
    ("101%FREE", "the percentage must be greater than 0 and at most 100"),
    ("50%PVS", "only %VG and %FREE are supported, not %PVS"),
    ("lots", "'lots' is not a size"),
    ("1.5", "'1.5' is not a size"),
    ("1.5b", "a number of bytes must be a whole number"),
    (1.5, "a number of bytes must be a whole number, got 1.5"),
    (True, "expected a size"),
    (None, "expected a size"),
    (["1G"], "expected a size"),
    ("10 Q", "is not a size"),
])
def test_bad_sizes_say_why(value, message):
    with pytest.raises(SizeError) as error:
        parse_size(value)
    assert message in str(error.value)


def test_byte_sizes_round_up_to_extents():
    assert extents_up(1, EXTENT) == 1
    assert extents_up(EXTENT, EXTENT) == 1
    assert extents_up(EXTENT + 1, EXTENT) == 2
    # 50m became 54525952 bytes (13 extents) in the recorded lvcreate
    assert extents_up(50 * 1024 ** 2, EXTENT) * EXTENT == 54525952


def test_percentages_round_down():
    assert percent_extents(Decimal(50), 63) == 31
    assert percent_extents(Decimal(100), 63) == 63
    assert percent_extents(Decimal("33.3"), 100) == 33
    assert percent_extents(Decimal(1), 63) == 0


def test_pv_extents_match_the_recorded_vg():
    # a 256 MiB loop device gave a 63-extent VG (pe_start 1 MiB, 4 MiB extents)
    assert pv_extents(268435456) == 63
    assert pv_extents(None) == 0
    assert pv_extents(1024) == 0


def test_human_and_describe():
    assert human(512) == "512 B"
    assert human(1536) == "1.50 KiB"
    assert human(200 * GIB) == "200.00 GiB"
    assert describe(54525952) == "54525952 bytes (52.00 MiB)"
