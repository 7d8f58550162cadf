"""Find the agent (login ID) a log line is about, wherever the line names one."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from .casefold import CaseBlind
from .event import Event

# Order matters: explicit agent fields first, then API paths, then a JID's local part.
_AGENT_FIELD = re.compile(
    r"""(?ix)
    (?:\bagent[_ ]?id\s*[:=]\s*|\busr\s*=\s*|/finesse/api/User/)
    (?P<id>[A-Za-z0-9._-]+?)(?=[\s,;\]\)}/&"'<>]|$)
    """
)
_AGENT_FIELD_FROM = CaseBlind(_AGENT_FIELD, ("agent", "usr", "/finesse/api/user/"))
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


@lru_cache(maxsize=4096)  # a debug log names the same few hundred JIDs millions of times
def agent_from_jid(jid: str) -> str | None:
    m = _JID.search(jid)
    return normalize(m.group("user")) if m else None


def find_agent(text: str) -> str | None:
    """The login ID named by `text`: agentid/agentID/agent_id/usr fields, API paths, a JID."""
    if "gent" in text or "usr" in text or "/User/" in text:
        m = _AGENT_FIELD_FROM.search(text)
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


def reconcile_client_agents(events: list[Event]) -> tuple[list[Event], list[str]]:
    """A client log whose file name gave an agent the server logs never mention, while exactly
    one other word of its name is an agent they do mention, belongs to that agent (UCCX login
    IDs are words: 'jsmith-1001.txt'). Returns the events and one note per file changed."""
    known = {e.agent for e in events if e.agent and e.family != "clientlog"}
    remap: dict[str, str] = {}
    notes: list[str] = []
    for e in events:
        if e.family != "clientlog" or e.agent in known or e.file in remap:
            continue
        words = [w for w in str(e.attrs.get("name_candidates", "")).split(",") if w in known]
        if len(words) == 1:
            remap[e.file] = words[0]
            notes.append(
                f"{e.file}: client log taken as agent {words[0]} (its name also suggested {e.agent}, "
                "which no server log mentions)"
            )
    if not remap:
        return events, []
    return [replace(e, agent=remap[e.file]) if e.file in remap else e for e in events], notes
