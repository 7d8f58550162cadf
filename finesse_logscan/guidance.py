"""The technote's recommended actions, as data, specialised by what the bundle showed."""

from __future__ import annotations

from collections.abc import Iterable

from . import signatures
from .report import ClientStats, Disconnect, ServerEvent

CLIENT_SIDE: tuple[str, ...] = (
    "Network: review firewall rules and logs; TCP 7443 (BOSH to the Notification Service) must not be blocked or throttled.",
    "Network: confirm with a sniffer (Fiddler with HTTPS decryption, or Wireshark with SSLKEYLOGFILE) that the browser keeps sending http-bind requests on TCP 7443 and gets answers within 30 s.",
    "Network: check every device between the agent PC and Finesse for delay or drops (tracert/traceroute to the Finesse FQDN, 'show interfaces' for input/output queue drops).",
    "Client logs: have an affected agent press Send Error Report (files land in /desktop/logs/clientlogs) or log in via https://<Finesse-FQDN>/desktop/locallog, and collect the browser console log.",
    "Browser: use a browser and version supported by the UCCE/UCCX compatibility matrix.",
    "Browser stuck: check for busy tabs (streaming, WebSocket apps, CRM web clients), very many tabs, disabled caching, or a browser never closed at the end of the day.",
    "Sleep: check whether the PC sleeps (or has a short sleep timer) while the agent is still signed in.",
    "Resources: check CPU and memory on the agent PC (Get-Counter / Performance Monitor / Task Manager; top / Activity Monitor), and sizing on Citrix or RDS hosts.",
    "Gadgets: test the desktop with all third-party gadgets removed.",
    "NTP: check 'utils ntp status' on the Finesse publisher (stratum 4 or lower) and the drift and latency in the client logs.",
)

SERVER_WIDE: tuple[str, ...] = (
    "CTIManager: check that the Cisco CTIManager service is running on the CUCM servers used as CTI providers, and whether it crashed (Event Viewer - Application Log via RTMT, 'file get activelog /syslog/CiscoSyslog* abstime ...', 'utils core active list').",
    "Notification Service: check 'utils service list'; find stops with 'file search activelog /desktop/logs/openfire \"Openfire stopped\"' and starts with '\"HTTP bind service started\"'.",
    "Notification Service: look for heap dumps ('file list activelog /desktop/logs/openfire/*.hprof') and check it listens on TCP 7443 ('show open ports regexp 7443.*LISTEN').",
    "Known defects: check CSCva72280 / CSCva72325 (Finesse Tomcat and Openfire crash on invalid XML characters).",
    "Restart Cisco Finesse Tomcat and the Notification Service only if a crash is suspected and agents are down anyway (a restart disconnects every agent). UCCE: 'utils service stop/start Cisco Finesse Tomcat' and 'Cisco Finesse Notification Service'; UCCX: 'Cisco Finesse Tomcat' and 'Cisco Unified CCX Notification Service'.",
    "Network: if no server evidence explains it, look for a network outage between the agents and the Finesse server at that time (all agents share the path to TCP 7443).",
)


def client_side_actions(disconnects: Iterable[Disconnect], clients: dict[str, ClientStats]) -> list[str]:
    agents = sorted({d.agent for d in disconnects})
    actions: list[str] = []
    drift = [a for a in agents if a in clients and "clock-drift" in clients[a].flags]
    latency = [a for a in agents if a in clients and "high-latency" in clients[a].flags]
    if drift:
        actions.append(
            "NTP/clock: "
            + ", ".join(f"{a} (median drift {clients[a].median_drift_ms} ms)" for a in drift)
            + " - fix the PC clock / NTP source and check 'utils ntp status' on Finesse."
        )
    if latency:
        actions.append(
            "Latency: "
            + ", ".join(f"{a} (max round trip {clients[a].max_rtt_ms} ms)" for a in latency)
            + " - trace the network path from these PCs to Finesse on TCP 7443."
        )
    no_logs = [a for a in agents if a not in clients]
    if no_logs:
        actions.append(
            "No client log in the bundle for "
            + ", ".join(no_logs[:10])
            + (" ..." if len(no_logs) > 10 else "")
            + ": collect one (Send Error Report or /desktop/locallog) to measure drift and latency."
        )
    return actions + list(CLIENT_SIDE)


def server_wide_actions(cited: Iterable[ServerEvent], disconnects: Iterable[Disconnect]) -> list[str]:
    cited = list(cited)
    actions: list[str] = []
    kinds = {e.kind for e in cited}
    advice = {s.id: s.advice for s in signatures.active()}
    for e in cited:
        if e.kind == "known-defect":
            actions.append(
                f"Known issue matched at the time of the drop: {e.detail} ({e.evidence.short}). "
                + advice.get(e.signature, "")
            )
    if kinds & {"notification-service-stopped", "notification-service-started", "heap-dump"}:
        actions.append(
            "The Notification Service stopped or restarted at the time of the drop: find out why (heap dump, "
            "service control, crash) before anything else; 'utils service list' shows whether it is up now."
        )
    if kinds & {"core-dump", "service-failure", "service-stopped"}:
        names = sorted(
            {e.detail for e in cited if e.kind in ("core-dump", "service-failure", "service-stopped")}
        )
        actions.append(
            "A service failed or dumped core at the time of the drop (" + "; ".join(names)[:300] + "): "
            "check that service (CTIManager on the CUCM CTI providers, Tomcat, Notification Service) and "
            "open a TAC case with the core file ('utils core active list')."
        )
    if kinds & {"heap-dump", "core-dump", "known-defect", "notification-service-stopped", "service-failure"}:
        actions.append(
            "A crash is evident and the agents are already disconnected: if the service has not come back on its "
            "own, restarting Cisco Finesse Tomcat and the Notification Service now is reasonable (commands below)."
        )
    if not cited:
        actions.append(
            "No critical server evidence near these drops: add the CiscoSyslog (Event Viewer - Application Log) "
            "and core dump list of the same time, and check the network between the agents' sites and Finesse."
        )
    actions.append(lcd_note(disconnects))
    return actions + list(SERVER_WIDE)


FAILOVER_NOTES = {
    "failover-race": (
        "Failover race ({agents}): these agents were already signed in on the other node when the first "
        "node's presence-driven logout fired (a crashed or closed browser can take that node up to 120 s to "
        "notice), so the logout (UCCE: Not Ready) hit them there. This is known Finesse behaviour, not a "
        "network fault: have them sign in again, and look at why the first node lost them."
    ),
    "failed-over": (
        "Failed over ({agents}): these desktops moved to the other node and were not logged out; the first "
        "node's service or the path to it is what to look at."
    ),
}


def failover_notes(disconnects: Iterable[Disconnect]) -> list[str]:
    """What the outcomes on a two-node cluster mean, when any drop moved to the other node."""
    ds = list(disconnects)
    notes = []
    for outcome, text in FAILOVER_NOTES.items():
        agents = sorted({d.agent for d in ds if d.outcome == outcome})
        if agents:
            notes.append(text.format(agents=", ".join(agents[:10]) + (" ..." if len(agents) > 10 else "")))
    return notes


def lcd_note(disconnects: Iterable[Disconnect]) -> str:
    states = {d.resulting_state for d in disconnects if d.resulting_state}
    if states == {"LOGOUT"}:
        return (
            "Agents ended in LOGOUT (reason 255): UCCX behaviour (logout 60 s after the drop), or UCCE with "
            "the PG's Logout On Agent Disconnect (LOAD) set."
        )
    if states == {"NOT_READY"}:
        return (
            "Agents ended in NOT_READY (reason 255): UCCE behaviour (forced logout request after up to 180 s, "
            "LOAD off); on UCCX agents are logged out instead."
        )
    if states:
        return (
            "Agents ended in "
            + " and ".join(sorted(states))
            + ": check each agent's PG/LOAD (UCCE) or deployment (UCCX)."
        )
    return "No CTI state after the drop is in the bundle: UCCX logs agents out 60 s after the drop; UCCE sets Not Ready (or Logout, per LOAD) within 180 s."
