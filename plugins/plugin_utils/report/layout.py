# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report as plain data that the HTML and Markdown renderers both draw.

A report is an overview and a list of sections; a section holds blocks,
and a block has an optional title, lines of text and one table. Every
value is plain text here: the renderers escape it for their format.
"""

from __future__ import annotations

# (id, title, header band colour). The ids are the HTML element ids; the
# colours are documented in docs/report.md and used nowhere else on the page.
SECTIONS = (
    ("nodes", "Nodes", "#1f4e79"),
    ("accelerators", "Accelerators", "#6a1b9a"),
    ("storage", "Storage use", "#00695c"),
    ("models", "Resident models", "#8a5a00"),
    ("placements", "Placements", "#ad1457"),
    ("activations", "Activation decisions", "#37474f"),
    ("providers", "Provider health", "#2e7d32"),
    ("verification", "Receipt verification", "#283593"),
)
TONES = ("ok", "warn", "bad")


class Cell:
    """One table cell: text, or a list of lines; a tone (ok, warn, bad) and a fill percentage."""

    def __init__(self, text="", tone=None, lines=None, percent=None):
        if tone is not None and tone not in TONES:
            raise ValueError("tone must be one of %s, got %r" % (", ".join(TONES), tone))
        self.text = text
        self.tone = tone
        self.lines = list(lines or [])
        self.percent = percent


class Table:
    def __init__(self, columns, rows):
        self.columns = list(columns)
        self.rows = [[cell if isinstance(cell, Cell) else Cell(cell) for cell in row] for row in rows]
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError("a row has %d cells for %d columns" % (len(row), len(self.columns)))


class Block:
    def __init__(self, title=None, badge=None, lines=None, table=None):
        self.title = title
        self.badge = badge if badge is None or isinstance(badge, Cell) else Cell(badge)
        self.lines = list(lines or [])
        self.table = table


class Section:
    def __init__(self, section_id, blocks, summary, empty=None):
        titles = {entry[0]: entry[1:] for entry in SECTIONS}
        if section_id not in titles:
            raise ValueError("unknown section %r" % section_id)
        self.id = section_id
        self.title, self.colour = titles[section_id]
        self.blocks = list(blocks)
        self.summary = summary
        self.empty = empty


class Report:
    """``facts``: (label, Cell) pairs of the overview; ``sections`` in SECTIONS order."""

    def __init__(self, run_id, title, facts, sections):
        self.run_id = run_id
        self.title = title
        self.facts = [(label, value if isinstance(value, Cell) else Cell(value)) for label, value in facts]
        self.sections = list(sections)
