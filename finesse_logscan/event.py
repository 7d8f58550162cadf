"""The neutral record every parser produces: one `Event` per log record that matters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    """What an event means. Parsers only choose a kind; renderers word it for humans."""

    # openfire (Notification Service)
    BOSH_REQUEST = "bosh-request"
    SESSION_ACTIVITY = "session-activity"
    SESSION_BOUND = "session-bound"
    IDLE_CLOSE = "idle-close"
    SESSION_CLOSED = "session-closed"
    SESSION_TERMINATED = "session-terminated"
    STORE_OFFLINE = "store-offline"
    OPENFIRE_STARTED = "openfire-started"
    OPENFIRE_STOPPING = "openfire-stopping"
    OPENFIRE_STOPPED = "openfire-stopped"
    HTTPBIND_STARTED = "httpbind-started"
    HTTPBIND_STOPPED = "httpbind-stopped"
    # web services
    PRESENCE_UNAVAILABLE = "presence-unavailable"
    PRESENCE_AVAILABLE = "presence-available"
    UNSUBSCRIBE = "unsubscribe"
    LOGOUT_SCHEDULED = "logout-scheduled"
    LOGOUT_PENDING = "logout-pending"
    PRESENCE_DRIVEN_LOGOUT = "presence-driven-logout"
    CTI_MESSAGE = "message-to-cti"
    CTI_AGENT_STATE = "cti-agent-state"
    AGENT_LOGOUT_REQUEST = "agent-logout-request"
    AGENT_LOGIN_REQUEST = "agent-login-request"
    XMPP_CONNECTION_ERROR = "xmpp-connection-error"
    WEBSERVICES_RESTARTED = "webservices-restarted"
    # client logs
    CLIENT_DRIFT = "client-drift"
    CLIENT_CONNECTION = "client-connection"
    CLIENT_USER_AGENT = "client-user-agent"
    # platform
    SERVICE_FAILURE = "service-failure"
    SERVICE_STOPPED = "service-stopped"
    SERVICE_STARTED = "service-started"
    SYSLOG_ALERT = "syslog-alert"
    CORE_DUMP = "core-dump"
    HEAP_DUMP = "heap-dump"
    KNOWN_DEFECT = "known-defect"


AttrValue = str | int


@dataclass(frozen=True, slots=True)
class Event:
    """One log record that matters, with where it came from.

    `time` is an aware UTC datetime once the event is placed on the timeline; families whose
    timestamps carry no offset (openfire) first set `local_time` (naive server wall time) and
    leave `time` empty until the timeline places them. `time_text` is the timestamp as written.
    """

    time: datetime | None
    time_text: str
    file: str
    line: int
    family: str
    kind: Kind
    agent: str | None = None
    node: str | None = None
    local_time: datetime | None = None
    attrs: Mapping[str, AttrValue] = field(default_factory=dict)


def present(attrs: Mapping[str, AttrValue | None]) -> dict[str, AttrValue]:
    """The attributes that have a value (parsers pass None for what a line did not say)."""
    return {k: v for k, v in attrs.items() if v is not None}
