"""The rule engine's part of ``ordertrack.toml``: ``[[rules]]``, ``[alerts]``, ``[notify]``
and ``[people]``.

A rule is a condition and actions::

    [[rules]]
    id = "ship_date_reached"
    description = "Planned ship date reached, not shipped"
    severity = "critical"
    when = "planned_ship_date <= as_of::DATE AND before_shipped"
    actions = [{ notify = ["@follow_up"] }]

Notification targets are written the same way everywhere (rules' ``notify`` actions and
escalation steps): a **role** (``sales_director``: everyone listed under it in
``[roles]``), a **person** (a key of ``[people]`` or a name listed in ``[roles]``), an
**e-mail address**, ``@sales_rep`` / ``@follow_up`` / ``@owner`` (the order's sales rep,
follow-up owner, or the people of its current stage's owner role), or ``#name`` (the chat
robot ``[notify.webhooks.name]``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ordertrack.durations import Duration

__all__ = [
    "ORDER_FIELDS",
    "TITLE_FIELDS",
    "AlertSettings",
    "Escalation",
    "InventorySettings",
    "Notify",
    "Person",
    "Rule",
    "RuleAction",
    "RuleTask",
    "SmtpConfig",
    "WebhookConfig",
]

IDENT = r"^[a-z][a-z0-9_]*$"

#: ``@field`` targets: the order's people.
ORDER_FIELDS = ("sales_rep", "follow_up", "owner")

#: Placeholders a task title may use.
TITLE_FIELDS = ("order_id", "sku", "customer", "sales_rep", "rule", "stage")

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class RuleTask(_Model):
    """A task created once per alert firing (never twice for the same alert)."""

    title: str = Field(
        ...,
        description="Task title; {order_id}, {sku}, {customer}, {sales_rep}, {rule} and "
        "{stage} are filled in.",
    )
    role: str | None = Field(None, description="Role the task is for.")
    assignee: str | None = Field(
        None,
        description='Person it is assigned to: a name, or "@sales_rep" / "@follow_up" (the '
        "order's). Give role, assignee or both.",
    )
    due: Duration | None = Field(None, description='Time to do it, e.g. "1d". None: no due time.')

    @field_validator("title")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        for name in _PLACEHOLDER.findall(value):
            if name not in TITLE_FIELDS:
                raise ValueError(
                    f'unknown placeholder "{{{name}}}"; use {", ".join("{" + f + "}" for f in TITLE_FIELDS)}'
                )
        return value

    @model_validator(mode="after")
    def _someone(self) -> RuleTask:
        if self.role is None and self.assignee is None:
            raise ValueError("give role, assignee or both: who is the task for?")
        return self


class RuleAction(_Model):
    """One action of a rule (`[[rules.actions]]`); give exactly one key.

    Actions run once when an alert fires (not on every sweep while it keeps firing);
    `notify` also repeats after `repeat` and reports escalations and resolutions.
    """

    notify: list[str] | None = Field(
        None,
        description="Who gets the alert in their digest: roles, people, e-mail addresses, "
        '"@sales_rep", "@follow_up", "@owner" (the stage owner role) or "#robot" (a chat webhook).',
    )
    task: RuleTask | None = Field(None, description="Create a task.")
    set_status: str | None = Field(
        None, description='Set the order\'s status text, e.g. "缺货待产".'
    )
    advance: str | None = Field(
        None,
        description='Move the order (via = rule) to this stage id, or "next". Guards apply; '
        "a refused move is reported, not forced.",
    )
    run: list[str] | None = Field(
        None,
        description="Run this command (argv list, no shell) once per sweep in which the rule "
        "fired, with the new alerts as a JSON array on stdin. The extension point.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> RuleAction:
        keys = ("notify", "task", "set_status", "advance", "run")
        given = [k for k in keys if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of {', '.join(keys)}"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.run is not None and not self.run:
            raise ValueError('run needs a command, e.g. ["/usr/local/bin/notify-erp"]')
        return self


class Escalation(_Model):
    """An escalation step: still firing (and not acknowledged) this long after it fired."""

    after: Duration = Field(
        ...,
        description='Time since the alert fired, e.g. "4h" (business hours with a [calendar]; '
        "whole days are work days).",
    )
    notify: list[str] = Field(..., min_length=1, description="Who is told (targets as in notify).")


class Rule(_Model):
    """An If…Then rule (`[[rules]]`): when the condition holds for an order (or an order
    line), an alert fires and the actions run."""

    id: str = Field(..., pattern=IDENT, description="Rule id (lower_snake_case), used in commands.")
    description: str = Field("", description="What it means, shown in digests and lists.")
    severity: Literal["info", "warning", "critical"] = Field(
        "warning", description="info, warning or critical."
    )
    level: Literal["order", "line"] = Field(
        "order",
        description='"order": `when` is over v_order_facts, one alert per order; "line": over '
        "v_line_facts, one alert per order and SKU.",
    )
    when: str = Field(..., description="SQL boolean expression over the view's columns.")
    for_: Duration | None = Field(
        None,
        alias="for",
        description='It must hold this long before the alert fires, e.g. "30m". None: at once.',
    )
    repeat: Duration | None = Field(
        None,
        description="Re-notify a still-firing alert after this long. Default: [alerts] repeat.",
    )
    notify_resolved: bool = Field(False, description="Tell the recipients when it resolves.")
    enabled: bool = Field(
        True, description="false: not evaluated; its open alerts resolve silently."
    )
    inhibits: list[str] = Field(
        default_factory=list,
        description="Rule ids muted on the same order while this one fires (they keep their "
        "alerts but notify nobody).",
    )
    actions: list[RuleAction] = Field(
        default_factory=list, description="What happens when it fires."
    )
    escalate: list[Escalation] = Field(
        default_factory=list, description="Escalation steps (`[[rules.escalate]]`), by `after`."
    )

    model_config = ConfigDict(extra="forbid", validate_default=True, populate_by_name=True)

    @property
    def notify_targets(self) -> list[str]:
        return list(dict.fromkeys(t for a in self.actions for t in (a.notify or [])))

    @property
    def view(self) -> str:
        return "v_line_facts" if self.level == "line" else "v_order_facts"


class AlertSettings(_Model):
    """How alerts behave (`[alerts]`)."""

    repeat: Duration = Field(
        timedelta(days=1), description="Default time before a still-firing alert is re-notified."
    )
    digest_limit: int = Field(
        50,
        ge=1,
        le=1000,
        description="Alerts listed per section of a digest; the rest are counted.",
    )
    digest_dir: str = Field(
        "out/digests",
        description="Where digests are written (HTML and text) for recipients without an e-mail "
        "channel, e.g. when no [notify.smtp] is set. Relative to the workspace.",
    )
    projection: Literal["p50", "p80"] = Field(
        "p80",
        description="Projected dates use this percentile of past stage durations: p50 (median) "
        "or p80 (cautious).",
    )
    projection_min_samples: int = Field(
        30, ge=1, description="Per customer segment only with at least this many past stays."
    )
    projection_window: Duration = Field(
        timedelta(days=180), description="Stage durations from this far back count."
    )


class InventorySettings(_Model):
    """Which stock counts as available (`[inventory]`)."""

    warehouses: list[str] = Field(
        default_factory=list,
        description="Warehouses whose stock counts in on_hand / available (v_line_facts). "
        "Empty: all.",
    )


class SmtpConfig(_Model):
    """The mail server digests are sent through (`[notify.smtp]`)."""

    host: str = Field(..., description='e.g. "smtp.exmail.qq.com".')
    port: int | None = Field(
        None, description="Default: 465 for ssl, 587 for starttls, 25 for plain."
    )
    security: Literal["starttls", "ssl", "plain"] = Field(
        "starttls", description="starttls, ssl or plain."
    )
    user: str | None = Field(None, description="Login; none: no login.")
    password_env: str | None = Field(
        None,
        description="Name of the environment variable holding the password (never the password "
        'itself), e.g. "OT_SMTP_PASSWORD".',
    )
    sender: str = Field(..., description='From address, e.g. "ordertrack@example.com".')
    sender_name: str | None = Field(None, description='From display name, e.g. "订单预警".')
    timeout: float = Field(20.0, gt=0, description="Seconds to wait for the server.")

    @property
    def effective_port(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587, "plain": 25}[self.security]


class WebhookConfig(_Model):
    """A chat robot (`[notify.webhooks.NAME]`), addressed in rules as "#NAME"."""

    kind: Literal["dingtalk", "wecom", "feishu", "json"] = Field(
        ..., description="dingtalk (钉钉), wecom (企业微信), feishu (飞书) or json (generic)."
    )
    url: str | None = Field(None, description="The robot's webhook URL.")
    url_env: str | None = Field(
        None, description="Or: the environment variable holding the URL (it contains a token)."
    )
    secret_env: str | None = Field(
        None,
        description="Environment variable with the signing secret (DingTalk 加签, Feishu 签名校验).",
    )
    timeout: float = Field(10.0, gt=0, description="Seconds to wait.")

    @model_validator(mode="after")
    def _one_url(self) -> WebhookConfig:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give url or url_env (one of them)")
        if self.url is not None and not re.match(r"^https?://", self.url):
            raise ValueError(f'url must start with http:// or https://, got "{self.url}"')
        return self


class Notify(_Model):
    """Where notifications go (`[notify]`)."""

    smtp: SmtpConfig | None = Field(
        None, description="Mail server; none: digests are written to files."
    )
    webhooks: dict[str, WebhookConfig] = Field(
        default_factory=dict, description="Chat robots by name (`[notify.webhooks.NAME]`)."
    )


class Person(_Model):
    """Someone who receives notifications (`[people.KEY]`); KEY is how roles and orders
    name them (a login name, or the sales rep's name as the exports spell it)."""

    name: str | None = Field(None, description="Display name. Default: the key.")
    email: str | None = Field(None, description="E-mail address for digests.")
    aliases: list[str] = Field(
        default_factory=list,
        description='Other names the exports use for them, e.g. ["张伟"] when the ERP shows the '
        "sales rep's Chinese name and KEY is a login name.",
    )

    @field_validator("email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise ValueError(f'not an e-mail address: "{value}"')
        return value
