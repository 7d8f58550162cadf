from __future__ import annotations

import pytest

from finesse_logscan.agents import agent_from_jid, find_agent


@pytest.mark.parametrize(
    ("text", "agent"),
    [
        ("Closing idle session (id=f382a015): 1001003@fin1.example.com/desktop", "1001003"),
        (
            "A session is closed for 1001003@xxxxxx.xxxx.xxx. cisco.com/desktop",
            "1001003",
        ),  # the technote's JID
        ("agenttext: 1001003, agentid: 1001003,", "1001003"),
        ("CTIAgentStateEvent [agentState=1 (LOGOUT), agentID=1001004, x=1]", "1001004"),
        ("%[agent_id=1001005]: Presence driven logout", "1001005"),
        ("%[usr=1001006][request_method=user.PUT]", "1001006"),
        ("GET /finesse/api/User/1001007/Dialogs", "1001007"),
        ("UCCX login names are words: jsmith@fin1.example.com/desktop", "jsmith"),
        ('<message from="pubsub.fin1.example.com" to="1001008@fin1.example.com/desktop">', "1001008"),
    ],
)
def test_login_id_in_every_form(text: str, agent: str) -> None:
    assert find_agent(text) == agent


@pytest.mark.parametrize(
    "text", ["Openfire stopped", "pubsub.fin1.example.com", "agentid: ", "admin@fin1.example.com"]
)
def test_no_agent(text: str) -> None:
    assert find_agent(text) is None


def test_agent_from_jid() -> None:
    assert agent_from_jid("1001003@fin1.example.com/desktop") == "1001003"
    assert agent_from_jid("no jid here") is None
