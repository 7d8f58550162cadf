"""Find the agent (login ID) a log line is about, wherever the line names one."""

from __future__ import annotations

import re

# Order matters: explicit agent fields first, then API paths, then a JID's local part.
_AGENT_FIELD = re.compile(
    r"""(?ix)
    (?:\bagent[_ ]?id\s*[:=]\s*|\busr\s*=\s*|/finesse/api/User/)
    (?P<id>[A-Za-z0-9._-]+?)(?=[\s,;\]\)}/&"'<>]|$)
    """
)
_JID = re.compile(
    r"(?P<user>[A-Za-z0-9._-]+)@(?P<domain>[A-Za-z0-9.-]+(?:\. ?[A-Za-z0-9-]+)*)(?:/(?P<res>[\w.-]+))?"
)
_NOT_AGENTS = {"pubsub", "null", "none", "system", "admin", "finesse", "administrator"}


def normalize(agent: str | None) -> str | None:
    if not agent:
        return None
    a = agent.strip().strip(".")
    if not a or a.lower() in _NOT_AGENTS:
        return None
    return a


def agent_from_jid(jid: str) -> str | None:
    m = _JID.search(jid)
    return normalize(m.group("user")) if m else None


def find_agent(text: str) -> str | None:
    """The login ID named by `text`: agentid/agentID/agent_id/usr fields, API paths, a JID."""
    if "gent" in text or "usr" in text or "/User/" in text:
        m = _AGENT_FIELD.search(text)
        if m:
            found = normalize(m.group("id"))
            if found:
                return found
    if "@" in text:
        for m in _JID.finditer(text):
            found = normalize(m.group("user"))
            if found:
                return found
    return None
