"""Which Finesse node a file belongs to: by path where the bundle says (a host folder above
activelog/desktop/logs), else by what its lines say (JID domains and Jetty server addresses in
openfire, the host address of web services lines, syslog host names).

Openfire lines name the server's FQDN (in JIDs) and its address (in Jetty's `REQUEST /http-bind/
on ...@<server-ip>:7443<->...` lines); web services lines name only the address. An openfire
file holding both links the two, so the web services files of the same server join its node.
One server is never split silently: within one input, lines that cannot be told apart (no
identity, or an address nothing links to an FQDN while only one FQDN is there) join the one node
the input holds; when an input holds several nodes, such a file keeps the input's name and a
warning says so.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .event import Event

_IP = r"\d{1,3}(?:\.\d{1,3}){3}"
_WS_HOST = re.compile(rf"^\d{{1,12}}:\s*({_IP})\s*:")
_JETTY_SERVER = re.compile(rf"@({_IP}):7443<->")
_JID_DOMAIN = re.compile(r"[\w.-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?:/|\s|$)")
_CLIENT_SERVER = re.compile(
    r"^\d{4}-\d\d-\d\dT[\d:.]+\s*(?:Z|[+-]\d\d:?\d\d)?\s*:\s*:\s*([A-Za-z0-9.-]+)\s*:"
)
_SYSLOG_FQDN = re.compile(r":\s*([A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)+):\s*[A-Z][a-z]{2}\s+\d")

PATH = "path"
INPUT = "input name"


@dataclass
class Hints:
    """What one file's lines say about the server that wrote them."""

    fqdns: Counter[str] = field(default_factory=Counter)
    ips: Counter[str] = field(default_factory=Counter)

    def add_fqdn(self, name: str) -> None:
        name = name.lower().removeprefix("pubsub.")
        if "." in name and not name.replace(".", "").isdigit():
            self.fqdns[name] += 1

    @property
    def fqdn(self) -> str | None:
        return self.fqdns.most_common(1)[0][0] if self.fqdns else None

    @property
    def ip(self) -> str | None:
        return self.ips.most_common(1)[0][0] if self.ips else None


def hints(family: str, head: list[str], events: Iterable[Event]) -> Hints:
    """The identity hints of a file from its first lines and the events it gave."""
    h = Hints()
    for line in head:
        if family == "clientlog":  # the node the desktop talked to first: where its log was sent
            m = _CLIENT_SERVER.match(line)
            if m:
                h.add_fqdn(m[1])
            continue
        if family == "webservices":
            m = _WS_HOST.match(line)
            if m:
                h.ips[m[1]] += 1
        elif family == "openfire":
            for ip in _JETTY_SERVER.findall(line):
                h.ips[ip] += 1
            for dom in _JID_DOMAIN.findall(line):
                h.add_fqdn(dom)
        elif family == "syslog":
            m = _SYSLOG_FQDN.search(line)
            if m:
                h.add_fqdn(m[1])
    if family == "openfire":
        for ev in events:
            jid = ev.attrs.get("jid")
            if isinstance(jid, str):
                m = _JID_DOMAIN.search(jid + "/")
                if m:
                    h.add_fqdn(m[1])
    return h


@dataclass
class Placed:
    """A file as the pipeline saw it: the node from its path or input, and its hints."""

    display: str
    input_name: str
    node: str | None
    source: str  # PATH or INPUT
    hints: Hints
    family: str = ""


def assign(files: list[Placed]) -> tuple[dict[str, tuple[str | None, str]], list[str]]:
    """display -> (node, where the name came from), and warnings."""
    links: dict[str, str] = {}  # server address -> FQDN, from openfire files naming both
    for f in files:
        if f.hints.ip and f.hints.fqdn:
            links.setdefault(f.hints.ip, f.hints.fqdn)
    out: dict[str, tuple[str | None, str]] = {}
    warnings: list[str] = []
    by_input: dict[tuple[str, str | None], list[Placed]] = {}  # (a redacted copy: one per input folder)
    for f in files:
        if f.source == PATH:
            out[f.display] = (f.node, PATH)
            said = _identity(f, links) if f.family != "clientlog" else None  # a desktop may move
            if said and f.node and not _is_ip(said[0]) and not _same_host(said[0], f.node):
                warnings.append(
                    f"{f.display}: lies under node {f.node} but its lines name {said[0]} ({said[1]}); "
                    f"kept under {f.node}"
                )
        else:
            by_input.setdefault((f.input_name, f.node), []).append(f)
    for group in by_input.values():
        idents = {f.display: _identity(f, links) for f in group}
        names = {i[0] for i in idents.values() if i}
        fqdns = {n for n in names if not _is_ip(n)}
        if len(fqdns) == 1:  # one server named: unlinked addresses are its own
            names = fqdns
        if len(names) == 1:
            name = names.pop()
            source = next((i[1] for i in idents.values() if i and i[0] == name), "content")
            for f in group:
                out[f.display] = (name, source)
            continue
        for f in group:
            ident = idents[f.display]
            if ident and ident[0] in names:
                out[f.display] = ident
            else:
                out[f.display] = (f.node, INPUT)
                if names:
                    warnings.append(
                        f"{f.display}: its lines do not say which of the nodes {', '.join(sorted(names))} "
                        f"wrote it; kept as node {f.node}"
                    )
    return out, warnings


def _identity(f: Placed, links: dict[str, str]) -> tuple[str, str] | None:
    if f.hints.fqdn:
        return f.hints.fqdn, "content: JID domain or syslog host"
    if f.hints.ip:
        if f.hints.ip in links:
            return links[f.hints.ip], "content: server address, named by openfire lines"
        return f.hints.ip, "content: server address"
    return None


def _is_ip(name: str) -> bool:
    return name.replace(".", "").isdigit()


def _same_host(a: str, b: str) -> bool:
    """'fin1a.example.com' and 'fin1a' are one host; so is an address with itself."""
    a, b = a.lower(), b.lower()
    return a == b or (a.split(".", 1)[0] == b.split(".", 1)[0] and not (_is_ip(a) or _is_ip(b)))
