"""The neutral record every parser produces: one `Event` per log record that matters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypedDict, cast


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


class Attrs(TypedDict, total=False):
    """Every attribute an event may carry, with its type: the contract between parsers, the
    event store and the detectors. A parser sets those its line says."""

    # BOSH sessions (openfire)
    sid: str  # session id
    jid: str
    ms_ago: int  # 'was last active N ms ago'
    rid: str  # BOSH request id
    run: str  # set by the event store: start | end | idle-check of a stretch of activity
    client_ip: str
    to: str  # the JID an undeliverable update was for
    # web services and syslog
    mnemonic: str
    detail: str
    state: str  # CTI agent state (LOGOUT, NOT_READY, ...)
    reason_code: int
    force: int
    method: str  # the API request (User.put ...)
    service: str
    process: str  # the process a core dump is of
    # known-defect signatures
    signature: str
    title: str
    severity: str
    # client logs
    user_agent: str
    name_candidates: str  # words of a client log's file name that may be the agent
    server_time: str
    drift_ms: int
    rtt_ms: int
    client_clock: str
    server_clock: str
    source: str
    status: str  # connection status (connected, lost, ...)
    message: str
    server: str  # the Finesse server a client log talked to
    # detectors
    agent_inferred: int  # the agent was inferred (a forced-logout line that named none)


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
    attrs: Attrs = field(default_factory=lambda: Attrs())


def present(attrs: Mapping[str, object]) -> Attrs:
    """The attributes that have a value (parsers pass None for what a line did not say). The
    names and types are those of `Attrs` (mypy checks the places that build Attrs directly;
    tests/test_registry.py checks every parser's events against it)."""
    return cast(Attrs, {k: v for k, v in attrs.items() if v is not None})


# What each kind of event carries (a subset of Attrs; tests/test_registry.py checks every
# sample's events against it). Every kind may also carry a known defect's attributes when a
# signature matched its line, 'run' (activity) and 'agent_inferred' (forced-logout lines).
_SESSION = frozenset({"sid", "jid", "ms_ago", "rid", "run", "client_ip"})
_CHAIN = frozenset({"detail", "mnemonic"})
_CTI = frozenset({"mnemonic", "reason_code", "force", "state", "agent_inferred"})
_CLIENT = frozenset({"name_candidates", "server_time"})
_PLATFORM = frozenset({"detail", "mnemonic", "service"})
KIND_ATTRS: dict[Kind, frozenset[str]] = {
    Kind.BOSH_REQUEST: _SESSION,
    Kind.SESSION_ACTIVITY: _SESSION,
    Kind.SESSION_BOUND: _SESSION,
    Kind.SESSION_TERMINATED: _SESSION,
    Kind.IDLE_CLOSE: _SESSION,
    Kind.SESSION_CLOSED: frozenset({"jid"}),
    Kind.STORE_OFFLINE: frozenset({"to"}),
    Kind.OPENFIRE_STARTED: frozenset({"detail"}),
    Kind.OPENFIRE_STOPPING: frozenset({"detail"}),
    Kind.OPENFIRE_STOPPED: frozenset({"detail"}),
    Kind.HTTPBIND_STARTED: frozenset({"detail"}),
    Kind.HTTPBIND_STOPPED: frozenset({"detail"}),
    Kind.PRESENCE_UNAVAILABLE: _CHAIN,
    Kind.PRESENCE_AVAILABLE: _CHAIN,
    Kind.UNSUBSCRIBE: _CHAIN,
    Kind.LOGOUT_SCHEDULED: _CHAIN,
    Kind.LOGOUT_PENDING: _CHAIN,
    Kind.PRESENCE_DRIVEN_LOGOUT: _CHAIN | {"agent_inferred"},
    Kind.CTI_MESSAGE: _CTI,
    Kind.CTI_AGENT_STATE: _CTI,
    Kind.AGENT_LOGOUT_REQUEST: frozenset({"method", "mnemonic"}),
    Kind.AGENT_LOGIN_REQUEST: frozenset({"method", "mnemonic"}),
    Kind.XMPP_CONNECTION_ERROR: _CHAIN,
    Kind.WEBSERVICES_RESTARTED: frozenset({"detail"}),
    Kind.CLIENT_DRIFT: _CLIENT | {"drift_ms", "rtt_ms", "client_clock", "server_clock", "source"},
    Kind.CLIENT_CONNECTION: _CLIENT | {"status", "message", "server"},
    Kind.CLIENT_USER_AGENT: _CLIENT | {"user_agent"},
    Kind.SERVICE_FAILURE: _PLATFORM,
    Kind.SERVICE_STOPPED: _PLATFORM,
    Kind.SERVICE_STARTED: _PLATFORM,
    Kind.SYSLOG_ALERT: _PLATFORM,
    Kind.CORE_DUMP: frozenset({"detail", "process"}),
    Kind.HEAP_DUMP: frozenset({"detail"}),
    Kind.KNOWN_DEFECT: frozenset({"signature", "title", "severity", "detail", "mnemonic", "service"}),
}
"""Kind -> the attributes an event of that kind may carry."""
