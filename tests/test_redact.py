"""`finesse-logscan redact`: nothing identifying left, the same diagnosis, consistent keyed
pseudonyms, line for line, the input untouched."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from finesse_logscan import scan
from finesse_logscan.cli import cli
from finesse_logscan.redact import (
    Pseudonyms,
    RedactError,
    Redactor,
    builtin_rules,
    check,
    parse_rules,
    redact,
)

from .builders import Node, at
from .conftest import SAMPLES, write

KEY = bytes(range(32))


def _diagnosis(path: str) -> dict[str, object]:
    r = scan([path])
    return {
        "verdict": r.verdict,
        "incidents": [(i.classification, i.start, i.end, i.disconnects, len(i.agents), len(i.nodes)) for i in r.incidents],
        "disconnects": sorted((d.time, d.outcome, d.classification, d.incident, d.reason_code, d.resulting_state,
                               d.idle_close, d.forced_logout, d.last_activity, tuple(d.hints)) for d in r.disconnects),
        "clients": sorted((c.samples, c.median_drift_ms, c.max_rtt_ms, tuple(c.flags)) for c in r.clients),
        "server_events": [(s.time, s.kind, s.severity) for s in r.server_events],
        "agents": sorted((d.time, d.agent) for d in r.disconnects),
    }  # fmt: skip


@pytest.mark.parametrize(
    "bundle", ["client-side", "server-wide", "notification-service-crash.zip", "two-node"]
)
def test_same_diagnosis_on_every_sample(tmp_path: Path, bundle: str) -> None:
    out = tmp_path / "r.zip"
    _, names = redact([str(SAMPLES / bundle)], str(out), KEY)
    before, after = _diagnosis(str(SAMPLES / bundle)), _diagnosis(str(out))
    agents_before, agents_after = before.pop("agents"), after.pop("agents")
    assert after == before
    # agents are named by their tokens, one to one
    assert sorted(agents_after) == sorted((t, names.token("agent", a)) for t, a in agents_before)  # type: ignore[union-attr]
    assert not {a for _, a in agents_before} & {a for _, a in agents_after}  # type: ignore[union-attr]


def _nodes(path: list[str]) -> list[tuple[str, str, tuple[str, ...]]]:
    r = scan(path)
    return [(n.name, n.name_source, tuple(i.id for i in r.incidents if n.name in i.nodes)) for n in r.nodes]


@pytest.mark.parametrize("packed", ["two inputs", "one tgz holding both"])
def test_nodes_named_by_content_keep_their_names_as_tokens(tmp_path: Path, packed: str) -> None:
    """Bundles zipped without their host folder (the node is named by what its lines say),
    one holding only a web services file (its node: the server address its lines give),
    given as two inputs or inside one tgz. The copy keeps each input, and each archive, in a
    folder named as it was (`a.zip/...`, `outer.tgz/a.zip/...`): no two files of one name (an
    unzip would keep one), no such folder taken for a host (a node `a.zip`), and each input's
    files apart (two inputs: the address is not made one with the other input's host)."""
    import io
    import tarfile

    src = SAMPLES / "two-node"
    zips = {}
    for zip_name, host, only in (
        ("a.zip", "fin1a.example.com", ""),
        ("b.zip", "fin1b.example.com", "webservices"),
    ):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for f in sorted((src / host).rglob("*")):
                if f.is_file() and only in str(f):
                    zf.write(f, f.relative_to(src / host).as_posix())
        zips[zip_name] = buf.getvalue()
    if packed == "two inputs":
        for name, data in zips.items():
            (tmp_path / name).write_bytes(data)
        inputs = [str(tmp_path / name) for name in zips]
    else:
        with tarfile.open(tmp_path / "outer.tgz", "w:gz") as tf:
            for name, data in zips.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        inputs = [str(tmp_path / "outer.tgz")]
    out = tmp_path / "r.zip"
    _, names = redact(inputs, str(out), KEY)
    with zipfile.ZipFile(out) as zf:
        members = zf.namelist()
    assert len(set(members)) == len(members) == 5
    assert {m.split("/20260304141600/")[0] for m in members} == (
        {"a.zip", "b.zip"} if packed == "two inputs" else {"outer.tgz/a.zip", "outer.tgz/b.zip"}
    )
    before, after = _nodes(inputs), _nodes([str(out)])
    kinds = {"fin1a.example.com": "host", "10.10.20.12": "ip"}
    fin1a = ("fin1a.example.com", "content: JID domain or syslog host")
    # (within one input an address no line links to a host name is the one named host's)
    assert sorted(n[:2] for n in before) == (
        [("10.10.20.12", "content: server address"), fin1a] if packed == "two inputs" else [fin1a]
    )
    assert sorted(after) == sorted(
        (names.token(kinds[name], name), source, incidents) for name, source, incidents in before
    )


def test_a_file_given_alone_is_that_file_at_the_top_of_the_copy(tmp_path: Path) -> None:
    import gzip

    (debug,) = (SAMPLES / "client-side").rglob("debug.log")
    (info,) = (SAMPLES / "client-side").rglob("info.log")
    shutil.copy(debug, tmp_path / "debug.log")
    (tmp_path / "info.log.1.gz").write_bytes(gzip.compress(info.read_bytes()))
    out = tmp_path / "r.zip"
    redact([str(tmp_path / "debug.log"), str(tmp_path / "info.log.1.gz")], str(out), KEY)
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == ["debug.log", "info.log.1"]


def test_the_current_folder_given_as_dot_is_named_as_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SAMPLES / "client-side", tmp_path / "site-bundle")
    monkeypatch.chdir(tmp_path / "site-bundle")
    redact(["."], str(tmp_path / "r.zip"), KEY)
    with zipfile.ZipFile(tmp_path / "r.zip") as zf:
        assert {n.split("/", 1)[0] for n in zf.namelist()} == {"site-bundle"}  # (not './...')


@pytest.mark.parametrize("given", ["empty folder", "missing path", "only an encrypted zip"])
def test_no_usable_input_is_an_error_and_writes_nothing(tmp_path: Path, given: str) -> None:
    """As for analyze: exit 2 with one line, and no empty copy, key or mapping left behind (a
    typo in a path gave an empty copy and exit 0, and --check said 'nothing looks identifying')."""
    inp = tmp_path / "in"
    if given == "empty folder":
        inp.mkdir()
    elif given == "only an encrypted zip":
        inp = tmp_path / "enc.zip"  # (flag bit 0 of a member: encrypted)
        with zipfile.ZipFile(inp, "w") as zf:
            zf.writestr("openfire/debug.log", b"2026.03.04 14:00:00 Openfire stopped\n")
        raw = bytearray(inp.read_bytes())
        for sig in (b"PK\x03\x04", b"PK\x01\x02"):
            at = raw.find(sig)
            raw[at + (6 if sig == b"PK\x03\x04" else 8)] |= 1
        inp.write_bytes(bytes(raw))
    out = tmp_path / "out" / "r.zip"
    out.parent.mkdir()
    result = CliRunner().invoke(cli, ["redact", str(inp), "-o", str(out)])
    assert result.exit_code == 2 and "no usable input" in result.output, result.output
    assert list(out.parent.iterdir()) == []
    checked = CliRunner().invoke(cli, ["redact", "--check", str(inp)])  # (not 'nothing identifying')
    assert checked.exit_code == 2 and "no usable input" in checked.output, checked.output


def test_a_flattened_two_node_bundle_keeps_no_host_or_agent_in_its_file_names(tmp_path: Path) -> None:
    """Both nodes' files in one folder, named by the engineer who flattened them
    (fin1a_debug.log, fin1a_agent4004001_2026-...txt): the short host names (learned from the
    full ones) and the agent ID after a '_' are replaced in the names too, and the copy gives
    the same nodes (by their tokens) and the same diagnosis."""
    src, root = SAMPLES / "two-node", tmp_path / "flat"
    root.mkdir()
    for f in sorted(src.rglob("*")):
        if f.is_file():
            host = f.relative_to(src).parts[0].split(".")[0]
            shutil.copy(f, root / f"{host}_{f.name}")
    out = tmp_path / "r.zip"
    _, names = redact([str(root)], str(out), KEY)
    with zipfile.ZipFile(out) as zf:
        members = zf.namelist()
    assert not [m for m in members if "fin1" in m or "4004001" in m], members
    assert f"flat/{names.token('host', 'fin1a')}_debug.log" in members
    assert names.token("host", "fin1a") == names.token("host", "fin1a.example.com").split(".")[0]
    before, after = _nodes([str(root)]), _nodes([str(out)])
    assert sorted(after) == sorted((names.token("host", n), s, i) for n, s, i in before)
    diag_before, diag_after = _diagnosis(str(root)), _diagnosis(str(out))
    diag_before.pop("agents"), diag_after.pop("agents")
    assert diag_after == diag_before


def test_two_inputs_of_one_name_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    for folder in ("x", "y"):
        shutil.copytree(SAMPLES / "client-side", tmp_path / folder / "bundle")
    out = tmp_path / "out" / "r.zip"
    out.parent.mkdir()
    result = CliRunner().invoke(
        cli, ["redact", str(tmp_path / "x" / "bundle"), str(tmp_path / "y" / "bundle"), "-o", str(out)]
    )
    assert result.exit_code == 2 and "two inputs are named bundle" in result.output
    assert list(out.parent.iterdir()) == []  # no copy, no key, no mapping
    (tmp_path / "debug.log").write_text("x\n")
    (tmp_path / "debug.log.gz").write_bytes(b"")
    with pytest.raises(RedactError, match=r"named debug\.log"):  # (both would be the copy's debug.log)
        redact([str(tmp_path / "debug.log"), str(tmp_path / "debug.log.gz")], str(out), KEY)


def test_learned_values_that_look_like_times_or_counts_leave_them_alone(tmp_path: Path) -> None:
    """An extension that is also the year (2026), a millisecond count (500) or an 'ms ago' the
    diagnosis reads (95031), a first name that is also a month (Mar): the learned-words pass
    replaces them where they stand as words, but not inside a time or a number the parsers
    read ([[keep]]), so the copy still gives the same diagnosis."""
    import shutil

    root = tmp_path / "in"
    shutil.copytree(SAMPLES / "client-side", root)
    (ws,) = root.rglob("Desktop-webservices.*.log")
    text = ws.read_text(encoding="utf-8")
    assert "was last active 95031 ms ago" in "".join(p.read_text() for p in root.rglob("debug.log"))
    for old, new in (("11003", "2026"), ("11005", "500"), ("11001", "95031")):
        assert f"Extension={old}" in text
        text = text.replace(old, new)
    first, rest = text.split("\n", 1)
    ws.write_text(f"{first} &lt;firstName&gt;Mar&lt;/firstName&gt;\n{rest}", encoding="utf-8")
    out = tmp_path / "r.zip"
    result, names = redact([str(root)], str(out), KEY)
    before, after = _diagnosis(str(root)), _diagnosis(str(out))
    agents_before, agents_after = before.pop("agents"), after.pop("agents")
    assert after == before
    assert sorted(agents_after) == sorted((t, names.token("agent", a)) for t, a in agents_before)  # type: ignore[union-attr]
    with zipfile.ZipFile(out) as zf:
        copy = "\n".join(zf.read(n).decode() for n in zf.namelist() if "webservices" in n)
    assert "Extension=2026" not in copy and "Extension=500," not in copy and "&gt;Mar&lt;" not in copy
    assert copy.count("Mar 04 2026 ") == text.count("Mar 04 2026 ")  # every time as it was
    assert result.replaced["extension"] == text.count("Extension=")  # the extensions alone


def test_same_diagnosis_with_word_login_ids(tmp_path: Path) -> None:
    """UCCX logins are words ('cbrown'), and a client log may be named by one and a time
    ('cbrown_2026-03-04T20-00-38.txt'): the login in the name is replaced too ('_' joins it to
    the time), and the copy's client logs still belong to their agents (drift, latency)."""
    import re
    import shutil

    root = tmp_path / "in"
    shutil.copytree(SAMPLES / "client-side", root)
    logins = ["asmith", "bjones", "cbrown", "dlee", "emiller", "fdavis", "gwilson", "hmoore", "itaylor",
              "janderson", "kthomas", "ljackson", "mwhite"]  # fmt: skip

    def to_login(text: str) -> str:
        return re.sub(r"10010(\d\d)", lambda m: logins[int(m[1]) - 1], text)

    for path in [p for p in root.rglob("*") if p.is_file()]:
        path.write_text(to_login(path.read_text(encoding="utf-8")), encoding="utf-8")
        if path.name.startswith("agent10010"):
            path.rename(path.with_name(to_login(path.name).removeprefix("agent")))
    assert {p.name.split("_")[0] for p in root.rglob("clientlogs/*")} == {"cbrown", "janderson"}
    out = tmp_path / "r.zip"
    _, names = redact([str(root)], str(out), KEY)
    before, after = _diagnosis(str(root)), _diagnosis(str(out))
    agents_before, agents_after = before.pop("agents"), after.pop("agents")
    assert before["clients"] and after == before
    assert sorted(agents_after) == sorted((t, names.token("agent", a)) for t, a in agents_before)  # type: ignore[union-attr]
    with zipfile.ZipFile(out) as zf:
        assert not any(login in name for name in zf.namelist() for login in logins)


def test_no_token_is_another_agents_real_id(tmp_path: Path) -> None:
    """Agent 1001007 renamed to the token agent 1001003 would get first: that token is passed
    over (a token is never a learned value), so the copy keeps the two agents apart."""
    import shutil

    root = tmp_path / "in"
    shutil.copytree(SAMPLES / "client-side", root)
    first_choice = Pseudonyms(KEY).token("agent", "1001003")
    for path in [p for p in root.rglob("*") if p.is_file()]:
        path.write_text(path.read_text(encoding="utf-8").replace("1001007", first_choice), encoding="utf-8")
        if "1001007" in path.name:
            path.rename(path.with_name(path.name.replace("1001007", first_choice)))
    out = tmp_path / "r.zip"
    _, names = redact([str(root)], str(out), KEY)
    before, after = _diagnosis(str(root)), _diagnosis(str(out))
    agents_before, agents_after = before.pop("agents"), after.pop("agents")
    assert after == before
    assert {a for _, a in agents_before} >= {"1001003", first_choice}  # type: ignore[union-attr]
    assert sorted(agents_after) == sorted((t, names.token("agent", a)) for t, a in agents_before)  # type: ignore[union-attr]
    assert len({a for _, a in agents_after}) == len({a for _, a in agents_before})  # type: ignore[union-attr]
    assert names.token("agent", "1001003") != first_choice


def _learnt(rows: list[str]) -> Redactor:
    """A Redactor that has learnt from `rows` and is ready to redact."""
    red = Redactor(builtin_rules(), Pseudonyms(KEY))
    for row in rows:
        red.learn(row)
    red.freeze()
    return red


def test_call_data_is_replaced_and_a_call_variables_name_is_no_persons_name() -> None:
    rows = [
        "<CallVariable><name>callVariable1</name><value>Jane Roe</value></CallVariable><name>Ann Lee</name>",
        "CTICallDeliveredEvent [callingDeviceID=6125559876, callVariable1=ACCT-99812, callVariable2=]",
    ]
    red = _learnt(rows)
    assert "callVariable1" not in red.learned and red.learned["Ann Lee"] == "name"
    data = red.names.token("call_data", "Jane Roe")
    assert data.startswith("data-") and red.line(rows[0]) == (
        f"<CallVariable><name>callVariable1</name><value>{data}</value></CallVariable>"
        f"<name>{red.names.token('name', 'Ann Lee')}</name>"
    )
    caller, account = red.names.token("phone", "6125559876"), red.names.token("call_data", "ACCT-99812")
    assert red.line(rows[1]) == (
        f"CTICallDeliveredEvent [callingDeviceID={caller}, callVariable1={account}, callVariable2=]"
    )


def test_what_is_kept_is_what_the_diagnosis_reads_and_no_more() -> None:
    """An agent ID learned elsewhere is replaced after 'user id:' (no session id there); the
    session id after a response's address, equal to a learned value, is kept."""
    rows = ["agentid=1001003 extension=12345678", "user id: 1001003, id: 1001003",
            "consumeResponse: x address: 1001004@fin1a.example.com/desktop id: 12345678 presence:"]  # fmt: skip
    red = _learnt(rows)
    agent = red.names.token("agent", "1001003")
    assert red.line(rows[1]) == f"user id: {agent}, id: {agent}"
    assert red.line(rows[2]).endswith(" id: 12345678 presence:") and "1001004" not in red.line(rows[2])


def test_a_server_named_finesse_leaves_the_api_paths() -> None:
    rows = ["Mar  4 14:01:00 finesse local7 2 : 6: finesse.acme.local: x",
            "%[node=/finesse/api/User/1001003]: on finesse, finesse.acme.local"]  # fmt: skip
    red = _learnt(rows)
    assert red.learned["finesse"] == "host"
    host, fqdn = red.names.token("host", "finesse"), red.names.token("host", "finesse.acme.local")
    agent = red.names.token("agent", "1001003")
    assert red.line(rows[1]) == f"%[node=/finesse/api/User/{agent}]: on {host}, {fqdn}"


def test_a_learned_name_agent_leaves_the_word_before_an_id() -> None:
    rows = [
        "<firstName>Agent</firstName><loginId>1001003</loginId>",
        "Agent 1001003 unavailable; Agent smith",
    ]
    red = _learnt(rows)
    assert red.learned["Agent"] == "name"
    token = red.names.token("agent", "1001003")
    assert red.line(rows[1]) == f"Agent {token} unavailable; {red.names.token('name', 'Agent')} smith"
    assert red.line("Ask Agent.") == f"Ask {red.names.token('name', 'Agent')}."


PLANTED = {
    "agent": "1001003",
    "first": "Isaac",
    "last": "Newton",
    "login": "inewton",
    "extension": "10005",
    "phone": "6125551234",
    "email": "isaac.newton@acme-corp.com",
    "host": "fin1a.acme.local",
    "server_ip": "172.16.40.11",
    "pc_ip": "192.168.7.23",
    "vpn_ip": "100.71.3.9",  # remote-access / carrier-grade NAT space: real PCs show up there
    "url_ip": "172.16.40.12",  # in a URL
    "socket_ip": "10.77.1.5",  # Java's /address:port
    "next_ip": "10.77.1.6",  # right after another address
    "last_ip": "10.77.1.7",  # at the end of a sentence
    "other_node": "fin1b.acme.local",  # hosts of the site's domain that no JID names
    "url_host": "cucm1.acme.local",
    "pc_host": "FINESSE-PC42.ACME.LOCAL",
    "caller": "6125559876",  # a CTI message's calling device
    "pc_ipv6": "2001:db8:20:0:1ff:fe23:4567:890a",
    "server_ipv6": "2001:db8:10::5",
    "java_ipv6": "2001:db8:0:0:0:0:0:10",  # Java's /address:port, all eight groups
    "accented": "Ólafsdóttir",  # a name that starts and ends with letters RE2's \b does not know
    "account": "ACCT-99812",  # call data: a call variable, in a CTI message and a dialog
    "customer": "Jane Roe",
    "contact_phone": "6125550199",  # a phone book contact's number
    "json_phone": "6125550188",  # a number as a JSON key's value
    "json_first": "Galileo",  # the same kinds of values as JSON, in a client log
    "json_login": "ggalilei",
    "json_extension": "10077",
    "json_account": "ACCT-55555",
    "ua": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; ACME-PC-0042) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36",
    # secrets: a desktop's SASL login over BOSH (base64 of user and password), an HTTP
    # Authorization header, a password field, an SSO token
    "sasl": "AGlzYWFjAFMzY3JldFBhc3M=",
    "basic": "aW5ld3RvbjpTM2NyZXQh",
    "password": "S3cret!Pass",
    "jwt": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmV3dG9uIn0.c2lnbmF0dXJlLXNpZ25lZA",
}


def _planted_bundle(root: Path) -> Path:
    p = PLANTED
    base = root / p["host"] / "desktop" / "logs"
    jid = f"{p['agent']}@{p['host']}/desktop"
    write(base / "openfire" / "debug.log", "\n".join([
        f"2026.03.04 14:00:00 REQUEST /http-bind/ on org.eclipse.jetty.X@{p['server_ip']}:7443<->{p['pc_ip']}:50123 via {p['vpn_ip']}",
        f"2026.03.04 14:00:00 consumeResponse: x status: 3 address: {jid} id: aa11 presence:",
        f'<presence from="{jid}">',
        "</presence> rid: 1",
        f"2026.03.04 14:00:05 Session (id=aa11) was last active 0 ms ago: {jid}",
        f"2026.03.04 14:02:05 Closing idle session (id=aa11): {jid} from IP {p['pc_ip']}",
        f"2026.03.04 14:02:06 Unable to route packet. <message from=\"pubsub.{p['host']}\" to=\"{jid}\"/>",
        f"2026.03.04 14:02:07 Connection from /{p['socket_ip']}:5222 to https://{p['url_ip']}:8445/desktop, "
        f"peers {p['server_ip']} {p['next_ip']}; unreachable: {p['last_ip']}.",
        f"2026.03.04 14:02:08 REQUEST /http-bind/ on x@[{p['server_ipv6']}]:7443<->[{p['pc_ipv6']}]:54312 "
        f"from /{p['java_ipv6']}:54313",
        f'2026.03.04 14:02:09 HTTPBindLog: HTTP RECVD(aa11): <body rid="2" sid="aa11"><auth '
        f'xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">{p["sasl"]}</auth></body>',
    ]) + "\n")  # fmt: skip
    payload = (f"&lt;user&gt;&lt;extension&gt;{p['extension']}&lt;/extension&gt;&lt;firstName&gt;{p['first']}"
               f"&lt;/firstName&gt;&lt;lastName&gt;{p['last']}&lt;/lastName&gt;&lt;lastName&gt;{p['accented']}&lt;/lastName&gt;&lt;loginId&gt;{p['agent']}&lt;/loginId&gt;"
               f"&lt;loginName&gt;{p['login']}&lt;/loginName&gt;&lt;/user&gt;"
               f"&lt;Contact&gt;&lt;phoneNumber&gt;{p['contact_phone']}&lt;/phoneNumber&gt;&lt;/Contact&gt;")  # fmt: skip
    write(base / "webservices" / "Desktop-webservices.2026-03-04T14-00-00.000.log", "\n".join([
        f"0000000001: {p['server_ip']}: Mar 04 2026 14:00:00.000 -0600: %CCBU_pool-1-6-XMPP_PUBLISH_ASYNCHRONOUS: "
        f"%[node=/finesse/api/User/{p['agent']}]: {payload}",
        f"0000000002: {p['server_ip']}: Mar 04 2026 14:00:01.000 -0600: %CCBU_pool-1-6-DIALOG: <Dialog>",
        f"<fromAddress>{p['phone']}</fromAddress><toAddress>{p['extension']}</toAddress>"
        f"<callvariables><CallVariable><name>callVariable1</name><value>{p['customer']}</value></CallVariable>",
        f"</Dialog> mail {p['email']} url /x?jid={p['agent']}%40{p['host']}",
        f"0000000003: {p['server_ip']}: Mar 04 2026 14:02:05.630 -0600: %CCBU_Smack Listener Processor (1)-6-PRESENCE: "
        f"%[presence=unavailable][usr={p['agent']}]: Received presence unavailable from {jid}",
        f"0000000004: {p['server_ip']}: Mar 04 2026 14:02:05.631 -0600: %CCBU_x-6-AGENT_PIM_LOGOUT_SCHEDULED: "
        f"Agent {p['agent']} unavailable; presence driven logout scheduled",
        f"0000000005: {p['server_ip']}: Mar 04 2026 14:02:06.000 -0600: %CCBU_CTIMessageEventExecutor-0-6-"
        f"DECODED_MESSAGE_FROM_CTI_SERVER: %[cti_message=CTICallDeliveredEvent [connectionDeviceID={p['extension']}, "
        f"callingDeviceID={p['caller']}, callVariable1={p['account']}, callVariable2=]]: Decoded",
        f"0000000006: {p['server_ip']}: Mar 04 2026 14:02:07.000 -0600: %CCBU_http-8080-9-6-REQUEST_START: "
        f"%[request_method=user.PUT]: headers Authorization: Basic {p['basic']}, body password={p['password']}&x=1",
    ]) + "\n")  # fmt: skip
    write(base / "clientlogs" / f"agent{p['agent']}_2026-03-04T20-00-00.txt", "\n".join([
        p["ua"],
        f"2026-03-04T14:00:10.000 -06:00: : {p['host']}: Mar 04 2026 14:00:10.000 -0600: Container : Connection status: connected",
        f"2026-03-04T14:00:11.000 -06:00: : {p['host']}: Mar 04 2026 14:00:11.000 -0600: Container : Lost connection to "
        f"{p['other_node']}; trying https://{p['url_host']}:8445/ from {p['pc_host']}",
        f"2026-03-04T14:00:12.000 -06:00: : {p['host']}: Mar 04 2026 14:00:12.000 -0600: Container : GET "
        f"/finesse/api/Users?name={p['first']}%20{p['last']}&team={p['accented']}",
        f"2026-03-04T14:00:13.000 -06:00: : {p['host']}: Mar 04 2026 14:00:13.000 -0600: Container : SSO token "
        f"refreshed: {p['jwt']}",
        f"2026-03-04T14:00:14.000 -06:00: : {p['host']}: Mar 04 2026 14:00:14.000 -0600: Container : make call "
        f'{{"phoneNumber":"{p["json_phone"]}"}}',
        f"2026-03-04T14:00:15.000 -06:00: : {p['host']}: Mar 04 2026 14:00:15.000 -0600: Container : user "
        f'{{"loginId": "{p["json_login"]}", "firstName": "{p["json_first"]}", "extension": "{p["json_extension"]}", '
        f'"callVariable1": "{p["json_account"]}"}}',
        f"2026-03-04T14:01:10.000 -06:00: : {p['host']}: Mar 04 2026 14:01:10.400 -0600: Container : Client: "
        "2026-03-04T20:01:10.000Z, Server: 2026-03-04T20:01:10.400Z, Drift: 400ms, Network Latency (round trip): 25ms",
    ]) + "\n")  # fmt: skip
    write(root / p["host"] / "syslog" / "CiscoSyslog",
          f"Mar  4 14:01:00 {p['host'].split('.')[0]} local7 2 : 6: {p['host']}: Mar 04 2026 20:01:00.000 UTC : "
          f"%UC_SERVICEMANAGER-2-ServiceFailed: %[ServiceName=Cisco CTIManager][NodeID={p['host'].split('.')[0]}]: x\n")  # fmt: skip
    write(base / "openfire" / "java_pid1.hprof", "JAVA PROFILE 1.0.2 " + p["first"])
    return root


def test_nothing_identifying_survives(tmp_path: Path) -> None:
    root = _planted_bundle(tmp_path / "in")
    out = tmp_path / "r.zip"
    result, _ = redact([str(root)], str(out), KEY)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        blob = "\n".join(names) + "\n" + "\n".join(zf.read(n).decode() for n in names)
        dumps = [zf.getinfo(n).file_size for n in names if n.endswith(".hprof")]
    survivors = {k: v for k, v in PLANTED.items() if v in blob}
    survivors |= {"url-encoded jid": 1} if "1001003%40" in blob else {}
    assert survivors == {}
    assert "Chrome/120" in blob  # the browser and its version stay (the support check)
    assert dumps == [0]  # the dump's name stays (the analysis reads it), its bytes do not
    assert any("hprof" in d for d, _ in result.left_out)
    assert check([str(out)]) == []
    finds = check([str(root)])
    assert {s.rule for s in finds} >= {
        "person-name",
        "email",
        "ipv4",
        "user-agent",
        "sasl-auth",
        "password",
        "jwt",
    }
    secrets = [PLANTED[k] for k in ("sasl", "basic", "password", "jwt")]
    assert not [s for s in finds if any(v in s.value for v in secrets)]  # (the check prints no secret)


def test_files_that_are_not_text_are_left_out_and_checked_as_such(tmp_path: Path) -> None:
    """A packet capture, an image or macOS's `._` file beside the logs holds addresses and
    names in raw bytes that no rule can find: left out (noted), never copied garbled. A text
    file of no family is redacted; a log with binary junk at its start stays a log (copied
    line for line, as analyze reads it). `redact --check` names the binary files (exit 1)."""
    root = tmp_path / "in"
    shutil.copytree(SAMPLES / "client-side", root)
    (debug,) = root.rglob("debug.log")
    logs = debug.parent.parent
    capture = b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes([10, 1, 2, 3]) * 64 + b"1001003\x00" * 8
    (logs / "capture.pcap").write_bytes(capture)
    (logs / "screen.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (logs / "openfire" / "._debug.log").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    (logs / "notes.txt").write_text("agent 1001003 at 10.10.20.11 called twice\n", encoding="utf-8")
    (logs / "openfire" / "warn.log").write_bytes(b"\x00" * 600 + b"\n" + debug.read_bytes()[:2000])
    out = tmp_path / "r.zip"
    result, names = redact([str(root)], str(out), KEY)
    with zipfile.ZipFile(out) as zf:
        members = {n.rsplit("/", 1)[-1]: zf.read(n) for n in zf.namelist()}
    assert not {"capture.pcap", "screen.png", "._debug.log"} & set(members)
    assert sorted(
        d.rsplit("/", 1)[-1] for d, r in result.left_out if r.startswith(("not text", "macOS"))
    ) == [
        "._debug.log",
        "capture.pcap",
        "screen.png",
    ]
    token = names.token("agent", "1001003")
    assert (
        members["notes.txt"] == f"agent {token} at {names.token('ip', '10.10.20.11')} called twice\n".encode()
    )
    assert len(members["warn.log"].splitlines()) == len(
        (logs / "openfire" / "warn.log").read_bytes().splitlines()
    )
    not_text = [s for s in check([str(root)]) if s.rule == "not-text"]
    assert sorted(s.file.rsplit("/", 1)[-1] for s in not_text) == [
        "._debug.log",
        "capture.pcap",
        "screen.png",
    ]
    assert check([str(out)]) == []


@pytest.mark.parametrize(
    ("head", "path", "binary"),
    [
        (bytes(range(256)) * 4, "logs/capture.pcap", True),
        (b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X", "logs/openfire/._debug.log", True),
        (bytes(range(256)) * 4, "logs/openfire/debug.log", False),  # named as a log: a damaged log
        (bytes(range(256)) * 4, "logs/x/Desktop-webservices.2026-03-04T14-00-00.500.log", False),
        (
            b"\x00" * 64 + b"\n2026.03.04 14:00:07 chain=null\n",
            "logs/openfire/unnamed",
            False,
        ),  # read as a log
        ("caf\u00e9 notes\tok\r\n\x1b[32mcolour\x1b[0m\n".encode("cp1252"), "notes.csv", False),
        ("\ufeffMozilla/5.0 (Windows)\r\n".encode("utf-16"), "a.dat", False),  # UTF-16 text
        (b"", "empty.bin", False),
        (b"a\x01b\x02c" + b"x" * 40, "odd.bin", True),  # more than 2 % control bytes
    ],
)
def test_what_is_not_text(head: bytes, path: str, binary: bool) -> None:
    from finesse_logscan.redact.passes import not_text

    assert not_text(head, path) is binary


def test_a_cut_gz_is_copied_as_far_as_it_reads_and_noted(tmp_path: Path, runner: CliRunner) -> None:
    """A rotated log whose .gz was cut short: the copy holds the lines read before the damage
    (as analyze reads them), a note says where reading stopped, and the rest of the bundle is
    redacted (it ended the run as 'interrupted', exit 130: click takes an EOFError for Ctrl-C)."""
    import gzip

    root = tmp_path / "in"
    shutil.copytree(SAMPLES / "client-side", root)
    (debug,) = root.rglob("debug.log")
    text = debug.read_bytes()
    small = gzip.compress(text[:50_000])
    (debug.parent / "debug.log.2.gz").write_bytes(small[: len(small) // 2])  # (cut in its first block)
    whole = gzip.compress(text * 20)  # (cut after its second block: two blocks read)
    (debug.parent / "debug.log.1.gz").write_bytes(whole[: len(whole) * 2 // 3])
    out = tmp_path / "r.zip"
    result = runner.invoke(cli, ["redact", str(root), "-o", str(out), "--key-file", str(tmp_path / "k")])
    assert result.exit_code == 0, result.output
    assert "debug.log.2.gz: truncated compressed data" in result.output  # (told by the reader)
    assert "debug.log.1.gz: reading stopped after line " in result.output
    with zipfile.ZipFile(out) as zf:
        sizes = {n.rsplit("/", 1)[-1]: len(zf.read(n).splitlines()) for n in zf.namelist()}
    assert "debug.log.2" not in sizes and 0 < sizes["debug.log.1"] < 20 * len(text.splitlines())
    assert sizes["debug.log"] == len(text.splitlines())
    unread = [s for s in check([str(root)]) if s.rule == "not-read"]  # (checked as far as it reads)
    assert [s.file.rsplit("/", 1)[-1] for s in unread] == ["debug.log.1.gz"] and unread[0].line > 1


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">AGlzYWFjAFMzY3JldA==</auth>',
         "AGlzYWFjAFMzY3JldA=="),
        ("&lt;auth xmlns=&quot;urn:ietf:params:xml:ns:xmpp-sasl&quot; mechanism=&quot;PLAIN&quot;&gt;"
         "AGlzYWFjAFMzY3JldA==&lt;/auth&gt;", "AGlzYWFjAFMzY3JldA=="),
        ("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dXNlcm5hbWU9ImEiLHJlYWxtPSJiIg==</response>",
         "dXNlcm5hbWU9ImEiLHJlYWxtPSJiIg=="),
        ("GET /x Authorization: Bearer abc.def-123_XYZ", "abc.def-123_XYZ"),
        ('{"authorization": "Basic aW5ld3Rvbjpwdw=="}', "aW5ld3Rvbjpwdw=="),
        ("login failed, password=Tr0ub4dor&3 for agent", "Tr0ub4dor"),
        ('{"user": "x", "password": "hunter2"}', "hunter2"),
        ("<Password>p4ss</Password> &lt;password&gt;p5ss&lt;/password&gt;", "p4ss"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMDAxMDAzIn0.sig_nature-x", "eyJhbGciOiJIUzI1NiJ9"),
    ],
)  # fmt: skip
def test_secrets_become_one_token_kept_in_no_mapping(line: str, secret: str) -> None:
    red = Redactor(builtin_rules(), Pseudonyms(KEY))
    red.learn(line)
    red.freeze()
    out = red.line(line)
    assert secret not in out and "redacted-secret" in out, out
    assert "p5ss" not in out  # (the escaped tag as well)
    assert not any(secret in v["value"] or "secret" in t for t, v in red.names.mapping().items())
    assert secret not in red.learned
    assert check_line(out) == []


def check_line(text: str) -> list[str]:
    """What redact --check finds in one line (the rules, tokens excepted)."""
    from finesse_logscan.redact import is_token
    from finesse_logscan.redact.matching import _values

    rules = [r for r in builtin_rules() if r.kind != "keep"]
    return [v for r in rules for _, v in _values(r, text) if not is_token(v) and r.may_match(text)]


def test_a_secret_rule_may_not_learn() -> None:
    with pytest.raises(RedactError, match="never learned"):
        parse_rules('[[rule]]\nid = "pin"\nkind = "secret"\npattern = "pin=(?P<v>\\\\d+)"\nlearn = true\n')


def test_same_layout_and_line_counts_and_input_untouched(tmp_path: Path) -> None:
    root = _planted_bundle(tmp_path / "in")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}
    out = tmp_path / "r.zip"
    redact([str(root)], str(out), KEY)
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}
    assert after == before
    names = Pseudonyms(KEY)
    with zipfile.ZipFile(out) as zf:
        for p in root.rglob("*"):
            if p.is_file() and p.suffix != ".hprof":
                rel = p.relative_to(root.parent).as_posix()
                rel = rel.replace(PLANTED["host"], names.token("host", PLANTED["host"]))
                rel = rel.replace(PLANTED["agent"], names.token("agent", PLANTED["agent"]))
                assert len(zf.read(rel).decode().splitlines()) == len(p.read_text().splitlines()), rel


def test_same_key_same_tokens_other_key_other_tokens() -> None:
    a, b, c = Pseudonyms(KEY), Pseudonyms(KEY), Pseudonyms(bytes(32))
    assert a.token("agent", "1001003") == b.token("agent", "1001003") != c.token("agent", "1001003")
    assert len(a.token("agent", "1001003")) == 7 and a.token("agent", "1001003").isdigit()
    ip1, ip2, ip3 = a.token("ip", "10.1.2.3"), a.token("ip", "10.1.2.200"), a.token("ip", "10.1.3.3")
    assert ip1.rsplit(".", 1)[0] == ip2.rsplit(".", 1)[0] != ip3.rsplit(".", 1)[0]  # /24 kept together
    assert a.token("host", "fin1a.example.com").split(".")[0] == a.token("host", "fin1a")


def test_cli_writes_key_and_mapping_beside_not_inside_and_reveals(tmp_path: Path, runner: CliRunner) -> None:
    n = Node(tmp_path / "in")
    n.full_drop("1001003", "aa11", 0, 300)
    root = n.write()
    out = tmp_path / "share" / "bundle.zip"
    out.parent.mkdir()
    result = runner.invoke(cli, ["redact", str(root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "share" / "bundle.zip.key").exists() and (
        tmp_path / "share" / "bundle.zip.map.json"
    ).exists()
    with zipfile.ZipFile(out) as zf:
        assert not any(n.endswith((".key", ".json")) for n in zf.namelist())
    mapping = json.loads((tmp_path / "share" / "bundle.zip.map.json").read_text())
    token = next(t for t, v in mapping.items() if v["value"] == "1001003")
    shown = runner.invoke(
        cli, ["redact", "--reveal", token, "--map", str(tmp_path / "share" / "bundle.zip.map.json")]
    )
    assert shown.exit_code == 0 and "1001003 (agent)" in shown.output
    again = runner.invoke(cli, ["redact", str(root), "-o", str(tmp_path / "b2.zip"), "--key-file",
                                str(tmp_path / "share" / "bundle.zip.key"), "--jobs", "1"])  # fmt: skip
    assert again.exit_code == 0
    with zipfile.ZipFile(out) as one, zipfile.ZipFile(tmp_path / "b2.zip") as other:  # same key, any jobs
        assert {n: one.read(n) for n in one.namelist()} == {n: other.read(n) for n in other.namelist()}
    assert (
        scan([str(out)]).disconnects[0].agent
        == scan([str(tmp_path / "b2.zip")]).disconnects[0].agent
        == token
    )
    inside = runner.invoke(cli, ["redact", str(root), "-o", str(root / "x.zip")])
    assert inside.exit_code == 2 and "inside the input" in inside.output
    assert runner.invoke(cli, ["redact", "--check", str(out)]).exit_code == 0


def test_check_flags_an_unredacted_bundle(tmp_path: Path, runner: CliRunner) -> None:
    root = _planted_bundle(tmp_path / "in")
    result = runner.invoke(cli, ["redact", "--check", str(root)])
    assert result.exit_code == 1 and "email" in result.output and PLANTED["email"] in result.output
    many = runner.invoke(cli, ["redact", "--check", str(SAMPLES / "two-node")])  # (counted as they come)
    total = len(check([str(SAMPLES / "two-node")]))
    lines = many.output.splitlines()
    assert many.exit_code == 1 and total > 50 and len(lines) == 52
    assert lines[-2:] == [f"... {total - 50} more", f"{total} value(s) look identifying"]


def test_rules_are_data_and_extendable(tmp_path: Path) -> None:
    assert {r.kind for r in builtin_rules()} >= {
        "agent",
        "name",
        "ip",
        "host",
        "email",
        "phone",
        "user_agent",
    }
    extra = tmp_path / "rules.toml"
    extra.write_text(
        '[[rule]]\nid = "badge"\nkind = "name"\nlearn = true\npattern = \'badge=(?P<v>\\w+)\'\n'
        "[[keep]]\nid = \"ticket\"\npattern = 'TICKET-\\w+'\n"
    )
    n = Node(tmp_path / "in")
    n.of("debug.log", at(1), "Session (id=aa) was last active 0 ms ago: 7@f.com/desktop badge=B0042X")
    n.of("debug.log", at(2), "B0042X again, and in TICKET-B0042X")
    root = n.write()
    from finesse_logscan.redact import load_rules

    out = tmp_path / "r.zip"
    redact([str(root)], str(out), KEY, load_rules(str(extra)))
    with zipfile.ZipFile(out) as zf:
        text = "".join(zf.read(name).decode() for name in zf.namelist())
    assert text.count("B0042X") == 1 and "TICKET-B0042X" in text  # the rule and the word; the kept one
    with pytest.raises(RedactError, match="keep #1"):
        parse_rules("[[keep]]\npattern = '('\n")


@pytest.mark.parametrize("memo_chars", [10**9, 150])
def test_a_repeated_message_is_redacted_once_and_counted_each_time(
    monkeypatch: pytest.MonkeyPatch, memo_chars: int
) -> None:
    """Openfire repeats messages under new times: the memo gives the same text and counts as
    redacting each line, whether it holds them all or keeps being emptied."""
    from finesse_logscan.redact import redactor as redact_module

    monkeypatch.setattr(redact_module, "CACHE_CHARS", memo_chars)
    lines = [
        f"2026.03.04 08:00:{s:02d} REQUEST /http-bind/ on x@10.10.20.11:7443<->10.30.1.59:61853"
        for s in range(3)
    ] + [f"2026.03.04 08:00:{s:02d} Session (id=ab) was last active 0 ms ago: 1001003@fin1.example.com/desktop"
         for s in range(3)]  # fmt: skip
    fresh = redact_module.Redactor(builtin_rules(), Pseudonyms(b"k" * 32))
    memo = redact_module.Redactor(builtin_rules(), Pseudonyms(b"k" * 32))
    for red in (fresh, memo):
        for text in lines:
            red.learn(text)
        red.freeze()
    expected = []
    for text in lines:
        fresh._done.clear()  # no memo: each line redacted on its own
        expected.append(fresh.line(text))
    assert [memo.line(text) for text in lines] == expected
    assert memo.counts == fresh.counts
    assert memo.counts["ip"] == 6  # one per line, memo or not
    assert [t[:20] for t in expected] == [t[:20] for t in lines]  # the times are kept
    assert not any("10.30.1.59" in t or "1001003" in t for t in expected)


def test_a_rule_absent_from_the_block_still_runs_on_what_an_earlier_rule_wrote(tmp_path: Path) -> None:
    """A rule none of whose literals is in a block as read is still tried on what the rules
    before it wrote: a token may hold one of its literals, and the rule then runs (as it does
    on a line alone)."""
    rules = parse_rules(
        """
[[rule]]
id = "secret"
kind = "name"
literals = ["secret="]
pattern = '''secret=(?P<v>\\w+)'''

[[rule]]
id = "after"
kind = "agent"
literals = ["ame-"]
pattern = '''(?P<v>ame-[0-9a-f]{6})'''
"""
    )
    root = tmp_path / "b" / "fin1" / "desktop" / "logs" / "openfire"
    root.mkdir(parents=True)
    (root / "debug.log").write_text("2026.03.04 14:00:00 secret=joe\n2026.03.04 14:00:01 nothing here\n")
    out = tmp_path / "out.zip"
    redact([str(tmp_path / "b")], str(out), b"k" * 32, rules)
    with zipfile.ZipFile(out) as zf:
        text = zf.read(next(n for n in zf.namelist() if n.endswith("debug.log"))).decode()
    first = text.splitlines()[0]  # the name token "name-..." was then read by "after": "n" + "agent-..."
    assert "joe" not in first and first.startswith("2026.03.04 14:00:00 secret=nagent-")
    red = Redactor(rules, Pseudonyms(b"k" * 32))
    assert red.line("2026.03.04 14:00:00 secret=joe") == first  # the same, line by line


def test_an_object_id_before_an_address_is_not_taken_for_a_jid(tmp_path: Path) -> None:
    """Jetty names its connections `...HttpConnection@2d5a26@10.10.20.11:7443`: the hash is no
    agent (jid-user's not_after = "@"), the addresses are still replaced, a JID still is."""
    root = tmp_path / "b" / "fin1" / "desktop" / "logs" / "openfire"
    root.mkdir(parents=True)
    (root / "debug.log").write_text(
        "2026.03.04 14:00:00 REQUEST /http-bind/ on org.eclipse.jetty.server.nio.SelectChannelConnector"
        "$SelectChannelHttpConnection@2d5a26@10.10.20.11:7443<->10.30.1.173:62161\n"
        "2026.03.04 14:00:01 consumeResponse: x status: 3 address: 3000173@fin1a.example.com/desktop id: ab\n"
    )
    out = tmp_path / "out.zip"
    _, names = redact([str(tmp_path / "b")], str(out), b"k" * 32)
    with zipfile.ZipFile(out) as zf:
        first, second = (
            zf.read(next(n for n in zf.namelist() if n.endswith("debug.log"))).decode().splitlines()
        )
    assert "HttpConnection@2d5a26@" in first and "10.10.20.11" not in first and "10.30.1.173" not in first
    assert "3000173" not in second and "fin1a.example.com" not in second
    assert "2d5a26" not in {v["value"] for v in names.mapping().values()}
    assert check([str(out)]) == []


_LINES = [
    "2026.03.04 08:00:01 REQUEST /http-bind/ on x@2d5a26@10.10.20.11:7443<->10.30.1.59:61853",
    "2026.03.04 08:00:01 consumeResponse: x address: 3000173@fin1a.example.com/desktop id: ab",
    "2026.03.04 08:00:02 Session (id=ab) was last active 0 ms ago: 3000173@fin1a.example.com/desktop",
    "0000000022: 10.10.20.11: Mar 04 2026 08:00:14.003 -0600: %CCBU_x-6-XMPP: %[node=/finesse/api/User/3000435]"
    "[payload=&lt;extension&gt;10435&lt;/extension&gt;&lt;firstName&gt;Ann&lt;/firstName&gt;]: done",
    "agentID=1001003, agentExtension=1003, ANI=+14085551234 mail jsmith@corp.example.com",
    "UsEr=jdoe: none of the pre-check's literals in this line",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537",
    "<name>Ann", "Lee</name> a name across two lines", "&lt;lastName&gt;Lee",
    "@10.1.2.3 right after an at sign", "10.1.2.4 at a line's start", "2026.03.04 08:00:03 \u00e9t\u00e9 1001003",
    "2026.03.04 \u00e9 08:00:03 x", "2026.03.04 08:00:04 ", "x\r", "", "Agent 1001003 still unavailable",
    "Feb  3 10:00:00 fin1a local7 3: 12: fin1a.example.com: %UC_X: [NodeID=fin1a]",
    "agentExtension=2026: Device 2026 out of service (a learned word), in a time (kept): 2026-03-04T08:00:01",
    "2026.03.04 08:00:07 Session (id=ab) was last active 2026 ms ago: 3000173@fin1a.example.com/desktop",
    "&lt;firstName&gt;Agent&lt;/firstName&gt; a learned name that is also the word before an ID",
    "&lt;loginName&gt;3000173&lt;/loginName&gt; a name first (the JID above: an agent's)",
    "&lt;CallVariable&gt;&lt;name&gt;callVariable1&lt;/name&gt;&lt;value&gt;ACCT 99812&lt;/value&gt;",
    "CTICallDeliveredEvent [callingDeviceID=6125559876, callVariable1=ACCT-99812, callVariable2=]",
    "0000000011: 10.10.20.11:: Mar 04 2026 08:00:15.003 -0600: %CCBU_x-6-Y: from [2001:db8:10::5]:7443 at 14:00:10",
    "2026.03.04 08:00:08 REQUEST on /2001:db8:0:0:0:0:0:10:54312 ::ffff:10.1.1.1 ::1 mac 00:1A:2B:3C:4D:5E",
    "&lt;lastName&gt;\u00d3lafsd\u00f3ttir&lt;/lastName&gt; \u00d3lafsd\u00f3ttir, ?q=Ann%20Lee%2C3000173",
    "?q=Ann%20Lee%2C3000173 (URL escapes before learned words)",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_LINES), min_size=1, max_size=30))
def test_a_block_is_redacted_as_each_of_its_lines(rows: list[str]) -> None:
    """Redactor.block (each rule run once over a block's new messages joined by line ends) and
    learn_block give what line and learn give line by line: same text, same counts, same
    learned values and kinds, whatever the lines (matches across a line end, `^`/`$`, a rule
    whose literals are in the block but not in the line, a value at a line's start after
    not_after's '@' on the line before, a stamp with non-ASCII characters)."""
    data = "".join(r + "\n" for r in rows).encode()
    rows = [r.removesuffix("\r") for r in rows]  # as the lines are read
    by_line, by_block = (Redactor(builtin_rules(), Pseudonyms(KEY)) for _ in range(2))
    for row in rows:
        by_line.learn(row)
    half = len(rows) // 2  # two blocks: values settled by the first are passed over in the second
    first = b"".join(data.splitlines(keepends=True)[:half]) if half else b""
    by_block.learn_block(first, half)
    by_block.learn_block(data[len(first) :], len(rows) - half)
    assert by_block.learned == by_line.learned
    assert list(by_block.learned.items()) == list(by_line.learned.items())
    by_line.freeze()
    by_block.freeze()
    want = "".join(by_line.line(r) + "\n" for r in rows).encode()
    assert by_block.block(data, len(rows)) == want
    assert by_block.counts == by_line.counts
    assert by_block.block(data, len(rows)) == want  # again, from the memo


_ASCII_LINES = [
    *(line for line in _LINES if line.isascii() and not line.endswith("\r")),
    "2026.03.04T08:00:05 consumeResponse: y address: 3000174@fin1a.example.com/desktop id: cd",
    "2026.03.04 08:00:05x no space after the time",
    "2026.0x.04 08:0y:05 odd bytes where the stamp takes any", "2026.03.04 08:00:06", "12345",
    "   2026.03.04 08:00:06 not at the line start 3000173@fin1a.example.com",
]  # fmt: skip


class _LineLoop(Redactor):
    """A Redactor that never splits a block at once (the line-by-line loop every time)."""

    def _split_at_once(self, data: bytes, lines: list[bytes]) -> list[bytes] | None:
        return None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_ASCII_LINES), min_size=1, max_size=40), st.integers(0, 40))
def test_a_block_split_at_once_is_redacted_as_by_the_line_loop(rows: list[str], memo_from: int) -> None:
    """An ASCII block without CR has its stamps found for all lines at once (_stamp_flags)
    and its memo looked up once per distinct message: the same copy, counts (in the same
    order), memo and tokens as the line-by-line loop, with part of its messages already in the
    memo from an earlier block."""
    data = "".join(r + "\n" for r in rows).encode()
    earlier = "".join(r + "\n" for r in rows[memo_from:]).encode()
    at_once, by_loop = Redactor(builtin_rules(), Pseudonyms(KEY)), _LineLoop(builtin_rules(), Pseudonyms(KEY))
    outs = []
    for red in (at_once, by_loop):
        red.learn_block(data, len(rows))
        red.freeze()
        outs.append(
            [red.block(earlier, len(rows) - memo_from) if earlier else b"", red.block(data, len(rows))]
        )
    assert at_once._split_at_once(data, data.split(b"\n")[: len(rows)]) is not None
    assert outs[0] == outs[1]
    assert list(at_once.counts.items()) == list(by_loop.counts.items())
    assert at_once._done_bytes == by_loop._done_bytes and at_once._cached_chars == by_loop._cached_chars
    assert at_once.names.mapping() == by_loop.names.mapping()


def test_a_block_that_could_fill_the_memo_goes_line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    red = Redactor(builtin_rules(), Pseudonyms(KEY))
    data = b"2026.03.04 08:00:01 a\n2026.03.04 08:00:01 a\n"
    lines = data.split(b"\n")[:2]
    assert red._split_at_once(data, lines) == [b"a", b"a"]
    monkeypatch.setattr("finesse_logscan.redact.redactor.CACHE_CHARS", red._cached_chars + len(data) - 1)
    assert red._split_at_once(data, lines) is None
    assert red._split_at_once(b"x\r\n", [b"x\r"]) is None  # (a CR: _split_stamp_bytes decides)


@pytest.mark.parametrize("bundle", ["two-node", "notification-service-crash.zip"])
def test_several_jobs_give_the_same_copy(tmp_path: Path, bundle: str) -> None:
    """With jobs > 1 blocks are learnt from and redacted by several processes: the same values
    with the same kinds, the same tokens, so the same copy and the same mapping."""
    copies = []
    for jobs in (1, 3):
        out = tmp_path / f"j{jobs}.zip"
        _, names = redact([str(SAMPLES / bundle)], str(out), KEY, jobs=jobs)
        with zipfile.ZipFile(out) as zf:
            copies.append(({n: zf.read(n) for n in zf.namelist()}, names.mapping()))
    assert copies[0] == copies[1]
    assert copies[0][1]  # something was learnt and replaced


def test_user_agents_of_one_browser_version_share_a_token_and_short_numbers_get_tokens() -> None:
    """Only the browser and its version are kept, so several user agents give one token (this
    hung: the second was retried for a token of its own forever); a number short enough that
    its tokens run out gets a longer one; a token is never its own value."""
    names = Pseudonyms(KEY)
    windows = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0.6099.71 Safari/537.36"
    )
    mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/120.0.6099.109 Safari/537.36"
    assert (
        names.token("user_agent", windows)
        == names.token("user_agent", mac)
        == (
            names.token("user_agent", "Mozilla/5.0 (redacted) Chrome/120.0")  # a copy redacted again
        )
    )
    singles = [names.token("agent", str(i)) for i in range(10)]
    assert len(set(singles)) == 10 and all(t.isdigit() and t != str(i) for i, t in enumerate(singles))


def test_a_redacted_copy_can_be_redacted_again(tmp_path: Path) -> None:
    root = _planted_bundle(tmp_path / "in")
    once, twice = tmp_path / "once.zip", tmp_path / "twice.zip"
    redact([str(root)], str(once), KEY)
    redact([str(once)], str(twice), KEY)
    assert check([str(twice)]) == []


def test_a_worker_that_dies_leaves_its_work_to_be_done_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from finesse_logscan import redact as redact_module

    sent: list[object] = []

    class Dying:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def submit(self, *args: object) -> Future[object]:
            sent.append(args[0])
            future: Future[object] = Future()
            future.set_exception(BrokenProcessPool("a worker died"))
            return future

        def shutdown(self, **kwargs: object) -> None:
            pass

    one = tmp_path / "one.zip"
    redact([str(SAMPLES / "two-node")], str(one), KEY, jobs=1)
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", Dying)
    dying = tmp_path / "dying.zip"
    redact_module.redact([str(SAMPLES / "two-node")], str(dying), KEY, jobs=3)
    with zipfile.ZipFile(one) as a, zipfile.ZipFile(dying) as b:
        assert {n: a.read(n) for n in a.namelist()} == {n: b.read(n) for n in b.namelist()}
    assert {f.__name__ for f in sent} == {"_learn_in_worker", "_redact_in_worker"}  # (both passes)


class _Inline:
    """A process pool that does each job at once, here: every block is redacted on its own."""

    def __init__(self, *args: object, initializer: Any = None, initargs: tuple[object, ...] = ()) -> None:
        if initializer is not None:
            initializer(*initargs)

    def submit(self, fn: Any, *args: object) -> Future[object]:
        future: Future[object] = Future()
        future.set_result(fn(*args))
        return future

    def shutdown(self, **kwargs: object) -> None:
        pass


class _Idle(_Inline):
    """A process pool whose workers never begin a job: each block given to them is taken back
    when its turn comes, and done here."""

    def submit(self, fn: Any, *args: object) -> Future[object]:
        return Future()


def test_blocks_no_worker_begins_are_done_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from finesse_logscan.redact import passes as redact_module

    one = tmp_path / "one.zip"
    _, names_one = redact([str(SAMPLES / "server-wide")], str(one), KEY, jobs=1)
    monkeypatch.setattr(redact_module, "BLOCK_BYTES", 2048)  # many blocks, more than wait at once
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", _Idle)
    idle = tmp_path / "idle.zip"
    _, names_idle = redact([str(SAMPLES / "server-wide")], str(idle), KEY, jobs=3)
    with zipfile.ZipFile(one) as a, zipfile.ZipFile(idle) as b:
        assert {n: a.read(n) for n in a.namelist()} == {n: b.read(n) for n in b.namelist()}
    assert names_one.mapping() == names_idle.mapping()


class _Failing(_Inline):
    """A process pool whose jobs all fail (as a worker that cannot write its copy would)."""

    def submit(self, fn: Any, *args: object) -> Future[object]:
        future: Future[object] = Future()
        future.set_exception(OSError(28, "No space left on device"))
        return future


def test_a_block_a_worker_failed_on_is_done_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from finesse_logscan.redact import passes as redact_module

    one = tmp_path / "one.zip"
    redact([str(SAMPLES / "server-wide")], str(one), KEY, jobs=1)
    monkeypatch.setattr(redact_module, "BLOCK_BYTES", 2048)
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", _Failing)
    failing = tmp_path / "failing.zip"
    redact([str(SAMPLES / "server-wide")], str(failing), KEY, jobs=2)
    with zipfile.ZipFile(one) as a, zipfile.ZipFile(failing) as b:
        assert {n: a.read(n) for n in a.namelist()} == {n: b.read(n) for n in b.namelist()}


def _colliding_extensions() -> tuple[str, str]:
    """Two 3-digit extensions whose first tokens (with KEY) are the same."""
    seen: dict[str, str] = {}
    for n in range(100, 1000):
        token = Pseudonyms(KEY)._make("extension", str(n), 0)
        if token in seen:
            return seen[token], str(n)
        seen[token] = str(n)
    raise AssertionError("900 values, 900 tokens: some must collide")


def test_a_block_whose_values_take_other_tokens_in_file_order_is_redacted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks redacted on their own (by workers) give each value its first free token among
    their own values only; in file order a value met earlier may hold it. Such a block is
    redacted again in order: the copy and the mapping are those one process writes."""
    from finesse_logscan.redact import passes as redact_module

    first, second = _colliding_extensions()
    lines = [f"2026.03.04 14:00:{i % 60:02d} line {i} extension={first}" for i in range(40)]
    lines += [
        f"2026.03.04 14:01:{i % 60:02d} line {i} extension={second} extension={first}" for i in range(40)
    ]
    write(tmp_path / "in" / "openfire" / "debug.log", "\n".join(lines) + "\n")
    monkeypatch.setattr(redact_module, "BLOCK_BYTES", 512)  # many blocks
    agreed: list[bool] = []
    real = Pseudonyms.agree

    def agree(self: Pseudonyms, given: list[tuple[str, str, str]]) -> bool:
        agreed.append(real(self, given))
        return agreed[-1]

    copies = []
    for jobs in (1, 3):
        if jobs > 1:
            monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", _Inline)
            monkeypatch.setattr(Pseudonyms, "agree", agree)
        out = tmp_path / f"j{jobs}.zip"
        result, names = redact([str(tmp_path / "in")], str(out), KEY, jobs=jobs)
        with zipfile.ZipFile(out) as zf:
            copies.append(({n: zf.read(n) for n in zf.namelist()}, names.mapping(), result.replaced))
    assert copies[0] == copies[1]
    assert False in agreed and True in agreed  # one block was redacted again, the others were taken
    tokens = {t for t, v in copies[0][1].items() if v["kind"] == "extension"}
    assert len(tokens) == 2  # two values, two tokens


def test_agree_gives_the_tokens_or_changes_nothing() -> None:
    first, second = _colliding_extensions()
    here = Pseudonyms(KEY)
    here.token("extension", first)
    before = (dict(here.tokens), dict(here.taken))
    apart = Pseudonyms(KEY, given=[])
    apart.token("agent", "1001003")
    apart.token("extension", second)  # its first token: free there, held by `first` here
    assert not here.agree(apart.given or [])
    assert (here.tokens, here.taken) == before
    alone = Pseudonyms(KEY, given=[])
    alone.token("agent", "1001003")
    assert here.agree(alone.given or [])
    assert here.tokens[("agent", "1001003")] == alone.tokens[("agent", "1001003")]


def test_the_progress_bar_moves_in_both_passes(tmp_path: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    redact(
        [str(SAMPLES / "client-side")],
        str(tmp_path / "o.zip"),
        KEY,
        progress=lambda p, t, label: seen.append((p, t, label)),
    )
    for verb in ("learning ", "writing "):
        steps = [(p, t) for p, t, label in seen if label.startswith(verb)]
        assert len(steps) > 3, verb  # a step per block of each file
        assert [p for p, _ in steps] == sorted(p for p, _ in steps) and steps[-1][0] == steps[-1][1]


def test_an_error_writing_the_copy_is_raised_not_hung(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The zip is written by a thread of its own: its error comes back to the caller."""
    real = zipfile.ZipFile.open

    def failing(self: zipfile.ZipFile, name: object, mode: str = "r", **kw: object) -> object:
        if mode == "w":
            raise OSError(28, "No space left on device")
        return real(self, name, mode, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", failing)
    with pytest.raises(OSError, match="No space left"):
        redact([str(SAMPLES / "client-side")], str(tmp_path / "o.zip"), KEY, jobs=1)
    assert not (tmp_path / "o.zip").exists()  # no half-written copy left behind


def test_blocks_learnt_on_their_own_give_what_one_process_learns() -> None:
    """Pass 1 with workers: each block learnt from nothing, its additions given in file order to
    `learn_one`; a value's kind is that of its first find, or agent where any find is an
    agent's (an extension found again as an agent ID, a login name found again in a JID),
    repeated messages (the memo of one process) and values found by several rules included."""
    blocks = [
        [
            "2026.03.04 14:00:01 user=10188 says hi",
            "2026.03.04 14:00:02 user=10188 says hi",
            "plain agent 3000001",
        ],
        ["<extension>10188</extension> <firstName>Ann</firstName>", "2026.03.04 14:00:03 user=10188 says hi"],
        [
            "<loginId>jdoe</loginId> <extension>20199</extension>",
            "agentExtension=20199 <firstName>Ann</firstName> <loginName>jsmith</loginName>",
            "connectionDeviceID=5001 <extension>5002</extension>",
        ],
        ["agentID=5001, agentExtension=5002", "2026.03.04 14:00:04 jsmith@fin1a.example.com/desktop"],
    ]
    one = Redactor(builtin_rules(), Pseudonyms(KEY))
    merged = Redactor(builtin_rules(), Pseudonyms(KEY))
    apart = Redactor(builtin_rules(), Pseudonyms(KEY))
    for rows in blocks:
        data = ("\n".join(rows) + "\n").encode()
        one.learn_block(data, len(rows))
        for value, kind in apart.learn_on_its_own(data, len(rows)):
            merged.learn_one(value, kind)
    assert list(merged.learned.items()) == list(one.learned.items())
    assert one.learned["10188"] == "agent" and one.learned["20199"] == "extension"  # first finds
    assert one.learned["5001"] == "agent" and one.learned["5002"] == "extension"  # found again as an agent's
    assert one.learned["jsmith"] == "agent"
    by_line = Redactor(builtin_rules(), Pseudonyms(KEY))
    for rows in blocks:
        for row in rows:
            by_line.learn(row)
    assert list(by_line.learned.items()) == list(one.learned.items())


def test_thousands_of_learned_values_stay_quiet_and_fast(capfd: pytest.CaptureFixture[str]) -> None:
    """A site of 600 agents learns ~3 000 values; with RE2's default memory the words' automaton
    ran out of it, logged 'DFA out of memory' to stderr on every search (100 000 lines on the
    600-agent benchmark) and fell back to a slower one; 60 000 values did not compile at all."""
    import random

    rng = random.Random(1)
    values = {str(rng.randint(1_000_000, 9_999_999)) for _ in range(30_000)}
    values |= {f"name{rng.randint(0, 10**9)}" for _ in range(30_000)}
    red = Redactor(builtin_rules(), Pseudonyms(KEY))
    red.learned = dict.fromkeys(sorted(values), "agent")
    red.freeze()
    some = sorted(values)[:200]
    data = ("".join(f"x {v} y {v}x\n" for v in some)).encode()
    out = red.block(data, len(some)).decode()
    assert all(f"x {red.names.token('agent', v)} y {v}x" in out for v in some[:20])
    assert "out of memory" not in capfd.readouterr().err


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_LINES), min_size=1, max_size=30), st.integers(1, 500))
def test_check_finds_in_a_block_what_it_finds_line_by_line(rows: list[str], first: int) -> None:
    """`redact --check` runs each rule once over a clean block: the same finds, in the same order
    (line, rule, match), as each rule on each line."""
    from finesse_logscan.redact import KEEP
    from finesse_logscan.redact.check import _suspects
    from finesse_logscan.textlines import Chunk, Line

    rules = tuple(rule for rule in builtin_rules() if rule.kind != KEEP)
    rows = [r for r in rows if "\r" not in r]
    if not rows:
        return
    data = "".join(r + "\n" for r in rows).encode()
    lines = [Line(first + i, r) for i, r in enumerate(rows)]
    by_block = _suspects(Chunk(data, first, len(rows)), rules, "f")
    by_line = _suspects(Chunk(data, first, len(rows), lines), rules, "f")
    assert [(s.line, s.rule, s.value) for s in by_block] == [(s.line, s.rule, s.value) for s in by_line]
