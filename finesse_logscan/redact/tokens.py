"""Pseudonyms: each value's token, keyed by HMAC-SHA256 with the user's key (the same value
gets the same token with the same key), the key file, the mapping file and --reveal."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from pathlib import Path

from .rules import SECRET, RedactError

TOKEN_DOMAIN = "example.invalid"
SECRET_TOKEN = "redacted-secret"
"""What every secret becomes (no brackets, no quotes: it stands where the parsers split tags)."""


_TOKEN = re.compile(
    r"^(?:host|name|user|agent|ua|data)-[0-9a-f]{6}\b|\.invalid$|^(?:24\d|25[0-5])\.\d{1,3}\.\d{1,3}\.\d{1,3}$"
    r"|^fec0:|^::1?$|^redacted-secret$"
)
"""What tokens look like (and the IPv6 loopback and unspecified addresses, left as they are).
IPv4 tokens are in 240.0.0.0/4, reserved: no host has one (the
range 100.64.0.0/10 used before is carrier-grade NAT, VPN and remote-access address space, in
which real agent PCs do show up: those were taken for tokens and left as they were). IPv6
tokens are in fec0::/10, site-local addresses deprecated since 2004 (not 2001:db8::/32: the
documentation prefix is what test and example bundles use for real addresses)."""


@dataclass
class Pseudonyms:
    """value -> token, keyed: the same value gets the same token with the same key."""

    key: bytes
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    taken: dict[str, tuple[str, str]] = field(default_factory=dict)
    given: list[tuple[str, str, str]] | None = None
    """When a list: (kind, value, token) of each value given a token here, in order (see `agree`)."""
    avoid: frozenset[str] = frozenset()
    """Real values no token may be (the learned ones: see Redactor.freeze)."""

    def token(self, kind: str, value: str) -> str:
        if kind == SECRET:  # one token for them all, and nothing remembered: no mapping holds it
            return SECRET_TOKEN
        if kind == "host":
            value = value.lower()
        found = self.tokens.get((kind, value))
        if found is not None:
            return found
        if kind == "user_agent":  # the browser and its version, shared by all its user agents
            cand = _browser_only(value)
            self.taken.setdefault(cand, (kind, value))
        else:
            salt = 0
            while True:
                cand = self._make(kind, value, salt)
                if cand not in self.taken and cand != value and cand not in self.avoid:
                    break
                salt += 1
            self.taken[cand] = (kind, value)
        self.tokens[(kind, value)] = cand
        if self.given is not None:
            self.given.append((kind, value, cand))
        return cand

    def agree(self, given: list[tuple[str, str, str]]) -> bool:
        """Does each value of `given` (another Pseudonyms' list, one that started empty) get here,
        in that order, the token it got there? A token depends on the values given one before it
        (a taken token is not given again), so blocks redacted apart, each from nothing, are
        checked so, in file order, against the one Pseudonyms that goes through them all: True
        when each got the token that one gives it (those new here are then given); else False,
        and nothing here has changed."""
        tokens, taken = len(self.tokens), len(self.taken)
        for kind, value, token in given:
            if self.token(kind, value) != token:
                for key in list(islice(self.tokens, tokens, None)):  # (added last: dicts keep order)
                    del self.tokens[key]
                for cand in list(islice(self.taken, taken, None)):
                    del self.taken[cand]
                return False
        return True

    def _make(self, kind: str, value: str, salt: int) -> str:
        return _candidate(self.key, kind, value, salt)

    def mapping(self) -> dict[str, dict[str, str]]:
        return {tok: {"kind": k, "value": v} for tok, (k, v) in sorted(self.taken.items())}


@lru_cache(maxsize=1 << 17)
def _candidate(key: bytes, kind: str, value: str, salt: int) -> str:
    """The `salt`-th token a value may get (a function of the key, kind, value and salt only:
    kept, as blocks redacted on their own each work out the tokens of their values again)."""

    def digest(kind: str, value: str, salt: int) -> bytes:
        return hmac.new(key, f"{kind}\0{value}\0{salt}".encode(), hashlib.sha256).digest()

    d = digest(kind, value, salt)
    if kind in ("agent", "extension", "phone") and value.lstrip("+").replace("-", "").isdigit():
        digits = "".join(str(b % 10) for b in d)
        body = value.lstrip("+")
        # same length; a digit more after each 64 tries (short numbers have few tokens)
        out = str(d[0] % 9 + 1) + digits[1 : len(body) + salt // 64]
        return ("+" if value.startswith("+") else "") + out
    if kind == "agent":
        return f"agent-{d.hex()[:6]}"
    if kind == "name":
        return f"name-{d.hex()[:6]}"
    if kind == "call_data":
        return f"data-{d.hex()[:6]}"
    if kind == "email":
        return f"user-{d.hex()[:6]}@{TOKEN_DOMAIN}"
    if kind == "host":  # one token per host name, whether short or fully qualified
        first = value.split(".", 1)[0]
        label = "host-" + digest("host", first, salt).hex()[:6]
        return f"{label}.{TOKEN_DOMAIN}" if "." in value else label
    if kind == "ip" and ":" in value:  # IPv6: one /64 -> one pseudo /64 in fec0::/10 (see _TOKEN)
        try:
            number = int(ipaddress.IPv6Address(value))
        except ValueError:
            number = int.from_bytes(d[:16])
        net = digest("ip6", f"{number >> 64:x}", salt)
        host = digest("ip6", f"{number:x}", salt)
        return ":".join(
            ["fec0", net[:2].hex(), net[2:4].hex(), net[4:6].hex()]
            + [host[i : i + 2].hex() for i in (0, 2, 4, 6)]
        )
    if kind == "ip":
        octets = value.split(".")
        net = digest("ip", ".".join(octets[:3]), salt)  # one /24 -> one pseudo /24
        return f"{240 + net[0] % 16}.{net[1]}.{net[2]}.{octets[3]}"
    raise RedactError(f"no pseudonym for kind {kind}")


def _browser_only(ua: str) -> str:
    """Keep the browser and its major version (the support check), drop the rest."""
    for token in ("Edg/", "Firefox/", "Chrome/", "Trident/", "Safari/"):
        at = ua.find(token)
        if at >= 0:
            version = ua[at + len(token) :].split(".", 1)[0].split(" ", 1)[0]
            return f"Mozilla/5.0 (redacted) {token}{version}.0"
    return "Mozilla/5.0 (redacted)"


def is_token(value: str) -> bool:
    return bool(_TOKEN.search(value))


def new_key() -> bytes:
    return secrets.token_bytes(32)


def read_key(path: str) -> bytes:
    try:
        raw = Path(path).read_text(encoding="ascii").strip()
        return bytes.fromhex(raw)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise RedactError(f"{path}: not a key file (64 hex digits) ({exc})") from exc


def write_mapping(path: str, names: Pseudonyms) -> None:
    Path(path).write_text(json.dumps(names.mapping(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def reveal(token: str, mapping_path: str) -> tuple[str, str] | None:
    try:
        data = json.loads(Path(mapping_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RedactError(f"{mapping_path}: cannot read the mapping ({exc})") from exc
    found = data.get(token)
    return (found["kind"], found["value"]) if found else None
