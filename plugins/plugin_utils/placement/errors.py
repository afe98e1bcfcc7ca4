# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error placement raises: its input is wrong, and the message names the field."""

from __future__ import annotations

__all__ = ["PlacementInputError"]


class PlacementInputError(ValueError):
    """Bad placement input; ``str()`` starts with the field, e.g. ``pods[3].resources.accelerators: ...``."""

    def __init__(self, field, message):
        self.field = field
        super().__init__("%s: %s" % (field, message))
