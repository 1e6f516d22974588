"""The report engine's part of ``ordertrack.toml``: ``[packs.NAME]``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PackConfig"]


class PackConfig(BaseModel):
    """A report pack of your own (`[packs.NAME]`), or a built-in one (ceo, sales,
    production) replaced. Its KPIs are ids from docs/kpis.md; charts follow from them."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    title: str | None = Field(None, description="Title of the report. Default: the pack's name.")
    audience: str | None = Field(None, description="Who reads it (shown under the title).")
    kpis: list[str] = Field(..., min_length=1, description="KPI ids, in the order shown.")
    trends: list[str] = Field(
        default_factory=list,
        description="KPIs also drawn as a trend over the last six periods.",
    )
    period: Literal["week", "month", "quarter"] = Field(
        "week", description="The default period: the last full week, month or quarter."
    )
    recipients: list[str] = Field(
        default_factory=list,
        description="Who `report send` mails it to: roles, people or e-mail addresses.",
    )
