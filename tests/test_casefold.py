"""A CaseBlind search finds what the case-blind regex's own search finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from finesse_logscan import agents
from finesse_logscan.casefold import CaseBlind
from finesse_logscan.parsers import webservices

PIECES = [
    "agentID=1001003", "AgentId: 77", "agent_id =x.y", "AGENT ID=5", "CTIAgentStateEvent [", "agentState=2",
    "usr=jsmith", "USR = a", "xusr=1", "/finesse/api/User/1001003/", "/FINESSE/API/USER/9", "eventReasonCode=255",
    "reason code: 7", "REASONCODE=-1", "reason  code", "Reason", "event", "\u212a", "\u017f", "\u0130", " ", ",",
    "]", "=", "1", "a", "@", "agent", "reasoncode", "\n",
]  # fmt: skip


def _same(blind: CaseBlind, text: str) -> None:
    want, got = blind.pattern.search(text), blind.search(text)
    assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups()))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_same_match_as_the_regex(text: str) -> None:
    _same(agents._AGENT_FIELD_FROM, text)
    _same(webservices._REASON, text)


def test_the_first_word_need_not_be_the_match() -> None:
    """'CTIAgentStateEvent' holds 'agent' long before the agentID field: the search goes on."""
    text = "CTIAgentStateEvent [agentState=2, eventReasonCode=0, agentID=1001003, x=1]"
    m = agents._AGENT_FIELD_FROM.search(text)
    assert m is not None and m["id"] == "1001003"
    assert CaseBlind(re.compile(r"(?i)nothing"), ("nothing",)).search(text) is None
