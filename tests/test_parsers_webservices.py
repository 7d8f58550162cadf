from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finesse_logscan.event import Kind
from finesse_logscan.parsers import webservices
from finesse_logscan.parsing import FileContext
from finesse_logscan.textlines import Damage, iter_chunks

from .conftest import run_parser

# the technote's web services chain, with the truncated mnemonics completed in two spellings
TECHNOTE = """\
0000001043: 10.10.10.101: Jun 17 2017 00:16:04.630 +0530: %CCBU_Smack Listener Processor (1)-6-PRESENCE_NOTIFICATION: %[presence=unavailable][usr=1001003]: Received presence unavailable from 1001003@fin1.example.com/desktop
0000000417: 10.10.10.101: Jun 17 2017 00:16:04.631 +0530: %CCBU_Smack Listener Processor (1)-6-UNSUBSCRIBE_REQUEST: Unsubscribing 1001003@fin1.example.com/desktop
0000001044: 10.10.10.101: Jun 17 2017 00:16:04.631 +0530: %CCBU_Smack Listener Processor (1)-6-AGENT_PING: Agent 1001003
0000001051: 10.10.10.101: Jun 17 2017 00:16:35.384 +0530: %CCBU_pool-8-thread-1-6-AGENT_PRESENCE_MONITOR: Agent 1001003 logout scheduled
0000001060: 10.10.10.101:: Jun 17 2017 00:17:04.632 +0530: %CCBU_CoreImpl-worker12-6-PRESENCE DRIVEN LOGOUT: %[agent_id=1001003]: Presence driven logout
0000001061: 10.10.10.101:: Jun 17 2017 00:17:04.633 +0530: %CCBU_CoreImpl-worker12-6-MESSAGE_TO_CTI_SERVER: SetAgentStateReq agentstate :
1, workmode : 0, reason code: 255, forceflag :1, agentcapacity: 1, agenttext: 1001003, agentid: 1001003,
0000001066: 10.10.10.101:: Jun 17 2017 00:17:04.643 +0530: %CCBU_CTIMessageEventExecutor-0-6-DECODED_MESSAGE_FROM_CTI_SERVER: %[cti_message=CTIAgentStateEvent [monitorID=0, peripheralID=5000,
skillGroupNumber=-1, skillGroupPriority=0, agentState=1 (LOGOUT), eventReasonCode=255, numFltSkillGroup=0, agentID=1001003,
duration=null, nextAgentState=null, fltSkillGroupNumberList=[], fltSkillGroupIDList=[]]CTIMessageBean [invokeID=null,
msgID=30, timeTracker={"id":"AgentStateEvent","CTI_MSG_RECEIVED":1497638824642,"CTI_MSG_DISPATCH":1497638824643}]][cti_response_time=0]:
Decoded Message to Finesse from backend cti server
"""


def test_sniff() -> None:
    assert webservices.sniff(TECHNOTE.splitlines()[:1])
    assert webservices.sniff(["Jun 17 2017 00:16:04.630 +0530: %CCBU_main-6-STARTUP: hello"])  # no prefix
    assert not webservices.sniff(["2017.06.17 00:16:04 Openfire stopped"])
    assert not webservices.sniff(["Jun 17 16:14:19 fin1 local7 2 : 6: no ccbu here"])


def test_technote_chain() -> None:
    events, ctx = run_parser(webservices, TECHNOTE)
    kinds = [e.kind for e in events]
    assert kinds == [
        Kind.PRESENCE_UNAVAILABLE,
        Kind.UNSUBSCRIBE,
        Kind.LOGOUT_SCHEDULED,
        Kind.LOGOUT_PENDING,
        Kind.PRESENCE_DRIVEN_LOGOUT,
        Kind.CTI_MESSAGE,
        Kind.CTI_AGENT_STATE,
    ]
    assert all(e.agent == "1001003" for e in events)
    assert events[0].time == datetime(2017, 6, 16, 18, 46, 4, 630000, tzinfo=UTC)
    assert events[0].time_text == "Jun 17 2017 00:16:04.630 +0530"
    msg = events[5]
    assert msg.attrs["reason_code"] == 255 and msg.attrs["force"] == 1 and msg.attrs["state"] == "LOGOUT"
    state = events[6]
    assert state.attrs["state"] == "LOGOUT" and state.attrs["reason_code"] == 255
    assert (ctx.parsed, ctx.unparsed) == (12, 0)
    assert ctx.warnings == []  # the timeTracker epoch agrees with the offset
    assert [(r.offset_minutes, r.source) for r in ctx.offsets] == [(330, "webservices")]


def test_epoch_disagreeing_with_offset_is_warned() -> None:
    line = (
        "0000000001: 10.1.1.1: Jun 17 2017 00:17:04.643 +0000: %CCBU_CTIMessageEventExecutor-0-6-DECODED_MESSAGE_FROM_CTI_SERVER: "
        '%[cti_message=CTIAgentStateEvent [agentState=3 (AVAILABLE), agentID=7, timeTracker={"CTI_MSG_RECEIVED":1497638824642}]]: x'
    )
    _, ctx = run_parser(webservices, line)
    assert any("timeTracker" in w for w in ctx.warnings)


@pytest.mark.parametrize(
    "line",
    [
        # empty host
        "0000837786:: Jun 20 2017 10:00:00.000 -0400: %CCBU_CoreImpl-worker3-6-PRESENCE_DRIVEN_LOGOUT: %[agent_id=1001003]: x",
        # no seq/host prefix at all
        "Jun 20 2017 10:00:00.000 -0400: %CCBU_CoreImpl-worker3-6-PRESENCE DRIVEN LOGOUT: agentid: 1001003",
        # underscore-padded thread (sibling products) and lower-case spacing variant of the mnemonic
        "0000000001: 10.1.1.1: Jun 20 2017 10:00:00.000 -0400: %CCBU___________CoreImpl-worker3-6-Presence Driven Logout: agentID=1001003",
    ],
)
def test_presence_driven_logout_variants(line: str) -> None:
    events, ctx = run_parser(webservices, line)
    assert [e.kind for e in events] == [Kind.PRESENCE_DRIVEN_LOGOUT]
    assert events[0].agent == "1001003"
    assert ctx.unparsed == 0


def test_split_tags_nested_brackets() -> None:
    tags, text = webservices.split_tags(
        "%[cti_message=CTIAgentStateEvent [agentState=1 (LOGOUT), x=[a, b]]CTIMessageBean [invokeID=null]][cti_response_time=0]: Decoded: yes"
    )
    assert (
        tags["cti_message"]
        == "CTIAgentStateEvent [agentState=1 (LOGOUT), x=[a, b]]CTIMessageBean [invokeID=null]"
    )
    assert tags["cti_response_time"] == "0"
    assert text == "Decoded: yes"
    assert webservices.split_tags("no tags: here") == ({}, "no tags: here")
    tags, text = webservices.split_tags("%[unclosed=[x")  # truncated line: no exception
    assert text == ""


def test_thread_names_with_dashes_and_digits() -> None:
    m = webservices.HEADER.match(
        "0000000001: 10.1.1.1: Jun 20 2017 10:00:00.000 -0400: %CCBU_pool-2-thread-1-6-AGENT_PRESENCE_MONITOR: x"
    )
    assert m and m["thread"] == "pool-2-thread-1" and m["sev"] == "6" and m["mn"] == "AGENT_PRESENCE_MONITOR"
    m = webservices.HEADER.match(
        "0000000001: 10.1.1.1: Jun 20 2017 10:00:00.000 -0400: %CCBU_http-8080-9-3-CTIWriter.getQueryQueueStatisticsReq(): y"
    )
    assert m and m["thread"] == "http-8080-9" and m["mn"] == "CTIWriter.getQueryQueueStatisticsReq()"


def test_agent_logout_request_is_recorded() -> None:
    line = (
        "0000000009: 10.1.1.1: Jun 20 2017 10:00:00.000 -0400: %CCBU_http-bio-8443-exec-7-6-API_REQUEST: "
        "%[request_id=1][request_method=user.PUT][request_ parameters= state:LOGOUT][usr=1001005]: Handling"
    )
    events, _ = run_parser(webservices, line)
    assert [e.kind for e in events] == [Kind.AGENT_LOGOUT_REQUEST]
    assert events[0].agent == "1001005"
    not_ready = line.replace("state:LOGOUT", "state:NOT_READY")
    assert run_parser(webservices, not_ready)[0] == []


def test_routine_states_are_not_kept_but_lines_are_parsed() -> None:
    line = (
        "0000000001: 10.1.1.1: Jun 20 2017 10:00:00.000 -0400: %CCBU_CTIMessageEventExecutor-0-6-DECODED_MESSAGE_FROM_CTI_SERVER: "
        "%[cti_message=CTIAgentStateEvent [agentState=4 (TALKING), eventReasonCode=0, agentID=7]]: Decoded"
    )
    events, ctx = run_parser(webservices, line)
    assert events == [] and ctx.parsed == 1


def test_sequence_reset_means_restart() -> None:
    text = (
        "0000000500: 10.1.1.1: Jun 20 2017 10:00:00.000 -0400: %CCBU_main-6-X: a\n"
        "0000000001: 10.1.1.1: Jun 20 2017 10:05:00.000 -0400: %CCBU_main-6-STARTUP: b\n"
    )
    events, _ = run_parser(webservices, text)
    assert [e.kind for e in events] == [Kind.WEBSERVICES_RESTARTED]


def test_non_header_lines_before_first_record_are_unparsed() -> None:
    events, ctx = run_parser(webservices, "java.lang.NullPointerException\n\tat x.y(Z.java:1)\n")
    assert events == [] and (ctx.parsed, ctx.unparsed) == (0, 2)


def test_dst_offsets_are_recorded_as_runs() -> None:
    text = (
        "0000000001: 10.1.1.1: Nov 01 2026 01:50:00.000 -0500: %CCBU_main-6-X: a\n"
        "0000000002: 10.1.1.1: Nov 01 2026 01:59:00.000 -0500: %CCBU_main-6-X: a\n"
        "0000000003: 10.1.1.1: Nov 01 2026 01:01:00.000 -0600: %CCBU_main-6-X: a\n"
    )
    _, ctx = run_parser(webservices, text)
    assert [r.offset_minutes for r in ctx.offsets] == [-300, -360]


# The technote's lines with the mnemonics exactly as it prints them (cut at the column limit),
# given a body: each still lands in its family.
TRUNCATED = [
    ("%CCBU_Smack Listener Processor (1)-6-PRESENCE: %[presence=unavailable][usr=1001003]: x", Kind.PRESENCE_UNAVAILABLE),
    ("%CCBU_Smack Listener Processor (1)-6-UNSUBSCR: 1001003@fin1.example.com/desktop", Kind.UNSUBSCRIBE),
    ("%CCBU_Smack Listener Processor (1)-6-AGENT_PI: %[agent_id=1001003]: scheduled", Kind.LOGOUT_SCHEDULED),
    ("%CCBU_pool-8-thread-1-6-AGENT_PRESENCE_MONIT: %[agent_id=1001003]: pending", Kind.LOGOUT_PENDING),
    ("%CCBU_CoreImpl-worker12-6-PRESENCE DRIVEN LO: %[agent_id=1001003]: x", Kind.PRESENCE_DRIVEN_LOGOUT),
    ("%CCBU_CoreImpl-worker12-6-MESSAGE_TO_CTI_SER: reason code: 255, forceflag :1, agentid: 1001003", Kind.CTI_MESSAGE),
    ("%CCBU_CTIMessageEventExecutor-0-6-DECODED_M: %[cti_message=CTIAgentStateEvent [agentState=1 (LOGOUT), eventReasonCode=255, agentID=1001003]]: x", Kind.CTI_AGENT_STATE),
]  # fmt: skip


@pytest.mark.parametrize(("tail", "kind"), TRUNCATED)
def test_truncated_technote_mnemonics(tail: str, kind: Kind) -> None:
    events, ctx = run_parser(webservices, f"0000001043: 10.1.1.1: Jun 17 2017 00:16:04.630 +0530: {tail}")
    assert [e.kind for e in events] == [kind]
    assert events[0].agent == "1001003"
    assert ctx.unparsed == 0


@pytest.mark.parametrize(
    ("mnemonic", "family"),
    [
        ("PRESENCE DRIVEN LOGOUT", "presence-driven-logout"),
        ("PRESENCE_DRIVEN_LOGOUT", "presence-driven-logout"),
        ("Presence Driven Logout", "presence-driven-logout"),
        ("PRESENCE DRIVEN LO", "presence-driven-logout"),
        ("PRESENCEDRIVENLOGOUT", "presence-driven-logout"),
        ("AGENT_PI", "logout-scheduled"),
        ("AGENT_PIM_LOGOUT_SCHEDULED", "logout-scheduled"),
        ("AGENT_PRESENCE_MONIT", "logout-pending"),
        ("AGENT PRESENCE MONITOR", "logout-pending"),
        ("UNSUBSCR", "unsubscribe"),
        ("UNSUBSCRIBE_REQUEST", "unsubscribe"),
        ("MESSAGE_TO_CTI_SER", "message-to-cti"),
        ("MESSAGE TO CTI SERVER", "message-to-cti"),
        ("DECODED_M", "decoded-cti"),
        ("PRESENCE", "presence"),
        ("PRESENCE_NOTIFICATION", "presence"),
        # not chain mnemonics
        ("API_REQUEST", None),
        ("XMPP_PUBLISH_ASYNCHRONOUS", None),
        ("AGENT_STATE_CHANGE", None),
        ("AGENT_PRESENCE", None),  # too short to tell it is the monitor
        ("MESSAGE_TO_CLIENT", None),
    ],
)
def test_mnemonic_families(mnemonic: str, family: str | None) -> None:
    assert webservices.mnemonic_family(webservices.normalize_mnemonic(mnemonic)) == family


def test_logout_words_in_text_alone_are_not_a_logout() -> None:
    """The scheduling and monitoring lines say "presence driven logout" too; only the
    mnemonic makes a line the logout itself."""
    text = "\n".join(
        f"000000000{i}: 10.1.1.1: Jun 17 2017 00:16:0{i}.000 +0530: %CCBU_{thread}-6-{mn}: %[agent_id=1001003]: {body}"
        for i, (thread, mn, body) in enumerate(
            [
                ("Smack Listener Processor (1)", "AGENT_PIM_LOGOUT_SCHEDULED",
                 "Agent 1001003 unavailable; presence driven logout scheduled in 60 seconds"),
                ("pool-8-thread-1", "AGENT_PRESENCE_MONITOR",
                 "Agent 1001003 still unavailable; presence driven logout pending"),
                ("http-bio-8443-exec-1", "INFO", "presence driven logout of agent 1001003 completed"),
            ],
            1,
        )
    )  # fmt: skip
    events, ctx = run_parser(webservices, text)
    assert [e.kind for e in events] == [Kind.LOGOUT_SCHEDULED, Kind.LOGOUT_PENDING]
    assert ctx.parsed == 3


def test_presence_direction_from_tag_text_or_stanza() -> None:
    head = "0000000001: 10.1.1.1: Jun 17 2017 00:16:04.630 +0530: %CCBU_Smack Listener Processor (1)-6-PRESENCE_NOTIFICATION: "
    cases = [
        ("%[presence=available][usr=7001]: Received presence", Kind.PRESENCE_AVAILABLE),
        ("Received presence unavailable from 7001@fin1.example.com/desktop", Kind.PRESENCE_UNAVAILABLE),
        ('<presence from="7001@fin1.example.com/desktop" type="unavailable"/>', Kind.PRESENCE_UNAVAILABLE),
        ('<presence from="7001@fin1.example.com/desktop"><c/></presence>', Kind.PRESENCE_AVAILABLE),
        ("something about 7001@fin1.example.com/desktop", None),
    ]
    for body, kind in cases:
        events, _ = run_parser(webservices, head + body)
        assert [e.kind for e in events] == ([kind] if kind else []), body
        if kind:
            assert events[0].agent == "7001"
    mn_only = head.replace("PRESENCE_NOTIFICATION", "PRESENCE_UNAVAILABLE") + "usr 7001"
    assert [e.kind for e in run_parser(webservices, mn_only)[0]] == [Kind.PRESENCE_UNAVAILABLE]


def test_agent_login_request_is_recorded() -> None:
    line = (
        "0000000009: 10.1.1.1: Jun 20 2017 10:00:00.000 -0400: %CCBU_http-bio-8443-exec-7-6-API_REQUEST: "
        "%[request_id=1][request_method=user.PUT][request_ parameters= state:LOGIN][usr=1001005]: Handling"
    )
    events, _ = run_parser(webservices, line)
    assert [(e.kind, e.agent) for e in events] == [(Kind.AGENT_LOGIN_REQUEST, "1001005")]


SIGNATURE_LINES = [
    *TECHNOTE.splitlines(),
    "0000001070: 10.10.10.101: Jun 17 2017 00:17:05.000 +0530: %CCBU_main-3-ERROR: java.lang.OutOfMemoryError: heap",
    "0000001071: 10.10.10.101: Jun 17 2017 00:17:05.000 +0530: %CCBU_main-3-XMPP_ERROR: XMPP connection lost",
    "Caused by: java.lang.OutOfMemoryError: Java heap space",  # a literal on a continuation line only
    "0000001072: 10.10.10.101: Jun 17 2017 00:17:06.000 +0530: %CCBU_main-6-XMPP_PUBLISH: %[node=/x][payload=<m/>]: ok",
    "0000001073: 10.10.10.101: Jun 17 2017 00:17:06.000 +0530: %CCBU_main-3-CTI: CTIManager link down",
    "0000000002: 10.10.10.101: Jun 17 2017 00:17:07.000 -0600: %CCBU_main-6-STARTUP: started",
    "0000000003: 10.10.10.101: Jun 31 2017 00:17:07.000 -0600: %CCBU_main-6-X: impossible date",
    "0000000004: : Jun 17 2017 00:17:08.000: %CCBU_main-6-X: no offset",
    "0000001075: 10.10.10.101: Jun 17 2017 00:17:09.000 +0530: %CCBU_main-3-ERROR: caf<cp1252> OutOfMemoryError",
]


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.sampled_from(SIGNATURE_LINES), max_size=40), size=st.sampled_from([1, 300, 4096]))
def test_blocks_without_a_signature_literal_give_what_every_line_gives(rows: list[str], size: int) -> None:
    """parse_chunks skips the signature search in blocks holding no literal: same events,
    counts and warnings as `parse`, which searches every record, with records across blocks."""
    data = ("\n".join(rows) + "\n").encode().replace(b"<cp1252>", b"\xe9")  # a block to repair
    a = FileContext("f", "webservices/x.log", "webservices", "n")
    b = FileContext("f", "webservices/x.log", "webservices", "n")
    chunks = list(iter_chunks(io.BytesIO(data), Damage(), size=size))
    every = list(webservices.parse((ln for c in chunks for ln in c.iter_lines()), a))
    blocks = list(webservices.parse_chunks(iter(chunks), b))
    assert blocks == every
    assert (b.parsed, b.unparsed, b.first, b.last, b.warnings, b.offsets) == (
        a.parsed, a.unparsed, a.first, a.last, a.warnings, a.offsets,
    )  # fmt: skip


def test_a_signature_literal_on_a_later_blocks_continuation_line_is_found() -> None:
    header = next(line for line in SIGNATURE_LINES if "XMPP_PUBLISH" in line)
    rows = [header, "x" * 400, "Caused by: java.lang.OutOfMemoryError: Java heap space"]  # the literal later
    data = ("\n".join(rows) + "\n").encode()
    ctx = FileContext("f", "webservices/x.log", "webservices", "n")
    events = list(webservices.parse_chunks(iter_chunks(io.BytesIO(data), Damage(), size=300), ctx))
    assert [e.kind for e in events] == [Kind.KNOWN_DEFECT]


_HEADER_SLOTS = [  # a header slot by slot, each with odd values beside the usual ones
    ["0000000001: 10.1.1.1: ", "12: : ", "3:host:: ", "", "x: "],
    ["Jun 20 2017 10:00:00", "Jun  2 2017 10:00:00", "jun 20 2017 10:00:00", "Jun 20 2017 10:0:00"],
    [".000", ".5", "", ".1234567"],
    [" -0400", " +05:30", " UTC", "", "-0400"],
    [": ", ":", " : ", " "],
    ["%CCBU_", "%CCBU__", "%ccbu_", "CCBU_", "%X9_"],
    ["pool-2-thread-1", "http-8080-9", "Smack Listener Processor (1)", "a[b", "", "t:x"],
    ["-6-", "-9-", "-3-", "-6"],
    ["AGENT_PRESENCE_MONITOR", "PRESENCE DRIVEN LO", "x", "7x", "PRESENCE-2-X", "A%B"],
    [": ", ":", " : ", "", "  ", ":\t", ": :"],
    ["%[a=1]: body text", "body: text", "", "[x]"],
]
_headers = st.tuples(*(st.sampled_from(slot) for slot in _HEADER_SLOTS)).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(_headers, min_size=1, max_size=8))
def test_header_read_in_two_parts_as_one_regex(texts: list[str]) -> None:
    """_Reader matches a header's time part, then its mnemonic part (once per distinct text,
    remembered across lines): the same header, mnemonic and body as HEADER's single match."""
    reader = webservices._Reader(FileContext("f", "webservices/x.log", "webservices", "n"))
    for text in texts + texts:  # the second time from the reader's memory
        m = webservices.HEADER.match(text)
        t = webservices._HEAD_TIME.match(text) if "%" in text else None
        tail = reader._mnemonic(text, t.end()) if t is not None else None
        if m is None:
            assert t is None or tail is None
            continue
        assert t is not None and tail is not None
        assert t.group("seq", "mon", "day", "year", "hms", "frac", "off") == m.group(
            "seq", "mon", "day", "year", "hms", "frac", "off"
        )
        assert tail == (webservices.normalize_mnemonic(m["mn"]), m.end(), m["colon"] is not None)


_TAG_PIECES = [
    "%[", "[", "]", "=", " ", "agentid", "Agent ID", "agent_id", "USR", "user", "login id", "LoginId", "login_id",
    "cti_message", "x", "5", ", agentID=3000173", "[agentid=", "[ usr =", ": text", "%[agentid=5]",
    "%[ Agent ID =7]", "[usr=x]", "[Login_Id=a]", "%[cti_message=CTIAgentStateEvent [agentID=1, x=[]]]",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_TAG_PIECES), max_size=20).map("".join))
def test_tags_are_split_whenever_they_may_name_the_agent(body: str) -> None:
    """_decoded_cti splits a message's tags only where _may_tag_agent says one of _agent's keys
    may be there: where it says not, none is."""
    tags, _ = webservices.split_tags(body)
    if not webservices._may_tag_agent(body):
        assert not any(tags.get(key) is not None for key in webservices._AGENT_TAGS)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 7200), st.sampled_from(["-0500", "-0600", "+0530", None]), st.booleans()),
        max_size=30,
    ),
    st.sampled_from([1, 64, 4096]),
)
def test_offsets_and_times_kept_by_the_reader_are_what_each_line_gives(
    rows: list[tuple[int, str | None, bool]], size: int
) -> None:
    """The reader keeps a run of equal offsets and the first/last times until a block ends:
    the context gets the runs and times that giving it each line's would give, in order."""
    base = datetime(2026, 3, 4, 8, 0, 0)
    lines = []
    want = FileContext("f", "webservices/x.log", "webservices", "n")
    for i, (secs, off, continued) in enumerate(rows, 1):
        local = base + timedelta(seconds=secs)
        stamp = f"{local:%b %d %Y %H:%M:%S}.000" + (f" {off}" if off else "")
        lines.append(f"{i:010d}: 10.1.1.1: {stamp}: %CCBU_pool-1-6-X: body")
        if continued:
            lines.append("  a continuation line")
        if off:
            minutes = (1 if off[0] == "+" else -1) * (int(off[1:3]) * 60 + int(off[3:]))
            want.observe_offset(local, minutes, "webservices")
            want.seen(local.replace(tzinfo=UTC) - timedelta(minutes=minutes))
        else:
            want.seen(local.replace(tzinfo=UTC))
    got = FileContext("f", "webservices/x.log", "webservices", "n")
    list(
        webservices.parse_chunks(
            iter_chunks(io.BytesIO("".join(x + "\n" for x in lines).encode()), Damage(), size=size), got
        )
    )
    assert got.offsets == want.offsets
    assert (got.first, got.last) == (want.first, want.last)
