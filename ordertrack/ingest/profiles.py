"""Source profiles: checking them (more to come with the importer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ordertrack.config import Profile


def check_profile(name: str, profile: Profile) -> list[tuple[str, str]]:
    return []
