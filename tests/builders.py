"""Small log writers for behaviour tests: lines in the reference layouts, times given in UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

BASE = datetime(2026, 3, 4, 20, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return BASE + timedelta(seconds=seconds)


@dataclass
class Node:
    root: Path
    name: str = "fin1"
    offset_min: int = -360
    openfire: dict[str, list[tuple[datetime, str]]] = field(default_factory=dict)
    ws: list[tuple[datetime, str]] = field(default_factory=list)

    def _local(self, t: datetime, offset: int | None = None) -> datetime:
        off = self.offset_min if offset is None else offset
        return t.astimezone(timezone(timedelta(minutes=off))).replace(tzinfo=None)

    def of(self, name: str, t: datetime, msg: str, offset: int | None = None) -> None:
        self.openfire.setdefault(name, []).append((t, f"{self._local(t, offset):%Y.%m.%d %H:%M:%S} {msg}"))

    def wsl(self, t: datetime, thread: str, mn: str, body: str, offset: int | None = None) -> None:
        off = self.offset_min if offset is None else offset
        loc = self._local(t, off)
        sign = "-" if off < 0 else "+"
        stamp = f"{loc:%b %d %Y %H:%M:%S}.{loc.microsecond // 1000:03d} {sign}{abs(off) // 60:02d}{abs(off) % 60:02d}"
        self.ws.append((t, f"{{seq}}: 10.1.1.1: {stamp}: %CCBU_{thread}-6-{mn}: {body}"))

    # --- building blocks -----------------------------------------------------------
    def polls(self, agent: str, sid: str, start: float, stop: float, until: float) -> None:
        t = start
        while t < until:
            ms = 0 if t <= stop else int((t - stop) * 1000)
            self.of(
                "debug.log",
                at(t),
                f"Session (id={sid}) was last active {ms} ms ago: {agent}@fin1.example.com/desktop",
            )
            t += 30

    def idle_close(self, agent: str, sid: str, t: float) -> None:
        self.of(
            "info.log",
            at(t),
            f"Closing idle session (id={sid}): {agent}@fin1.example.com/desktop after inactivity for more than threshold value of 60",
        )
        self.of("info.log", at(t), f"A session is closed for {agent}@fin1.example.com/desktop")

    def presence(self, agent: str, t: float, state: str = "unavailable") -> None:
        self.wsl(
            at(t),
            "Smack Listener Processor (1)",
            "PRESENCE_NOTIFICATION",
            f"%[presence={state}][usr={agent}]: Received presence {state}",
        )

    def logout_steps(self, agent: str, t: float, pending: bool = True) -> None:
        """The web services lines between presence unavailable and the logout (the technote's
        sequence, full mnemonics and reconstructed text): unsubscribe, the logout scheduled in
        60 s, and ~30 s later the monitor saying it is still pending. Both of the last two say
        "presence driven logout" and name the agent; neither is the logout."""
        self.wsl(at(t + 0.001), "Smack Listener Processor (1)", "UNSUBSCRIBE_REQUEST",
                 f"Unsubscribing {agent}@fin1.example.com/desktop from /finesse/api/User/{agent}")  # fmt: skip
        self.wsl(at(t + 0.002), "Smack Listener Processor (1)", "AGENT_PIM_LOGOUT_SCHEDULED",
                 f"%[agent_id={agent}]: Agent {agent} unavailable; presence driven logout scheduled in 60 seconds")  # fmt: skip
        if pending:
            self.wsl(at(t + 30.7), "pool-8-thread-1", "AGENT_PRESENCE_MONITOR",
                     f"%[agent_id={agent}]: Agent {agent} still unavailable; presence driven logout pending")  # fmt: skip

    def forced_logout(self, agent: str, t: float, state: tuple[int, str] = (1, "LOGOUT")) -> None:
        self.wsl(
            at(t),
            "CoreImpl-worker12",
            "PRESENCE DRIVEN LOGOUT",
            f"%[agent_id={agent}]: Presence driven logout",
        )
        self.wsl(
            at(t + 0.001),
            "CoreImpl-worker12",
            "MESSAGE_TO_CTI_SERVER",
            f"agentstate : {state[0]}, workmode : 0, reason code: 255, forceflag :1, agentid: {agent}",
        )
        self.cti(agent, t + 0.01, state, 255)

    def sign_out_request(self, agent: str, t: float) -> None:
        """The desktop's API request for an agent-requested LOGOUT (a normal sign-out)."""
        self.wsl(at(t), "http-bio-8443-exec-7", "API_REQUEST",
                 f"%[request_method=user.PUT][request_ parameters= state:LOGOUT][usr={agent}]: x")  # fmt: skip

    def sign_in_request(self, agent: str, t: float) -> None:
        """The desktop's API request to sign the agent in (state LOGIN)."""
        self.wsl(at(t), "http-bio-8443-exec-3", "API_REQUEST",
                 f"%[request_method=user.PUT][request_ parameters= state:LOGIN][usr={agent}]: x")  # fmt: skip

    def cti(self, agent: str, t: float, state: tuple[int, str], reason: int) -> None:
        self.wsl(
            at(t),
            "CTIMessageEventExecutor-0",
            "DECODED_MESSAGE_FROM_CTI_SERVER",
            f"%[cti_message=CTIAgentStateEvent [agentState={state[0]} ({state[1]}), eventReasonCode={reason}, agentID={agent}]]: Decoded",
        )

    def full_drop(
        self,
        agent: str,
        sid: str,
        login: float,
        stop: float,
        forced: bool = True,
        state: tuple[int, str] = (1, "LOGOUT"),
        steps: bool = True,
    ) -> float:
        close = stop + 65
        self.polls(agent, sid, login, stop, close)
        self.idle_close(agent, sid, close)
        self.presence(agent, close + 0.5)
        if steps:
            self.logout_steps(agent, close + 0.5, pending=forced)
        if forced:
            self.forced_logout(agent, close + 60.5, state)
        return close

    def write(self) -> Path:
        base = self.root / self.name / "desktop" / "logs"
        for name, rows in self.openfire.items():
            rows.sort(key=lambda r: r[0])
            p = base / "openfire" / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("".join(r[1] + "\n" for r in rows), encoding="utf-8")
        if self.ws:
            self.ws.sort(key=lambda r: r[0])
            p = base / "webservices" / "Desktop-webservices.2026-03-04T14-00-00.000.log"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(
                "".join(r[1].replace("{seq}", f"{i:010d}") + "\n" for i, r in enumerate(self.ws, 100)),
                encoding="utf-8",
            )
        return self.root
