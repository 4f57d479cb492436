"""Listeners in every pod and probes between them, all in one asyncio loop.

Every socket is created inside its pod's namespace (setns), so one process serves the whole lab.
A listener answers with its pod id, which proves the path works both ways and reached the right
pod. How a probe ends tells the verdict apart from lab faults:

    ok       the reply carried the destination's id
    blocked  EHOSTUNREACH (ICMP admin-prohibited from the node) or EPERM (local egress)
    refused  nothing listening (RST, ICMP port unreachable, SCTP ABORT): a lab fault
    timeout  no answer in time: a drop or a lost packet, also a lab fault while rejects are on
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import itertools
import random
import resource
import socket
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from netreach.dataplane import sctp
from netreach.dataplane.lab import Lab, LabPod
from netreach.model import Protocol

Outcome = Literal["ok", "blocked", "refused", "timeout", "wrong-peer", "error"]
_BLOCKED = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EPERM, errno.EACCES}
_REFUSED = {errno.ECONNREFUSED, errno.ECONNRESET}
_IP_RECVERR = 11
_SOURCE_PORTS = range(20000, 61000)


@dataclass(frozen=True, slots=True, order=True)
class Probe:
    src: str  # pod id
    dst: str
    protocol: Protocol
    port: int

    def __str__(self) -> str:
        return f"{self.src} -> {self.dst} {self.protocol}/{self.port}"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    probe: Probe
    outcome: Outcome
    detail: str = ""


class _Greeter(asyncio.Protocol):
    """TCP: send the pod id and close; the client needs no request to prove the path."""

    def __init__(self, name: bytes) -> None:
        self.name = name

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(self.name)
        transport.close()


class _Echo(asyncio.DatagramProtocol):
    """UDP: answer every datagram with the pod id."""

    def __init__(self, name: bytes) -> None:
        self.name = name
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (asyncio's selector transport does not subclass DatagramTransport at runtime)
        self.transport = typing.cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self.transport is not None:
            self.transport.sendto(self.name, addr)


class Listeners:
    """TCP and UDP sockets on every probed port of every pod; one raw SCTP responder per pod."""

    def __init__(self, lab: Lab, ports: Mapping[Protocol, Sequence[int]]) -> None:
        self.lab = lab
        self.ports = ports
        self._closers: list[asyncio.BaseTransport | asyncio.AbstractServer | socket.socket] = []

    async def start(self) -> None:
        _raise_fd_limit()
        loop = asyncio.get_running_loop()
        for pod in self.lab.pods:
            name = pod.id.encode()
            for port in self.ports.get("TCP", ()):
                sock = self._socket(pod, socket.SOCK_STREAM)
                sock.bind(("0.0.0.0", port))
                sock.listen(256)
                server = await loop.create_server(functools.partial(_Greeter, name), sock=sock)
                self._closers.append(server)
            for port in self.ports.get("UDP", ()):
                sock = self._socket(pod, socket.SOCK_DGRAM)
                sock.bind(("0.0.0.0", port))
                transport, _ = await loop.create_datagram_endpoint(
                    functools.partial(_Echo, name), sock=sock
                )
                self._closers.append(transport)
            if self.ports.get("SCTP"):
                raw = self._socket(pod, socket.SOCK_RAW, sctp.IPPROTO_SCTP)
                listened = frozenset(self.ports["SCTP"])
                loop.add_reader(raw.fileno(), _sctp_respond, raw, listened)
                self._closers.append(raw)

    def _socket(self, pod: LabPod, kind: int, proto: int = 0) -> socket.socket:
        with self.lab.switcher.inside(pod.netns):
            sock = socket.socket(socket.AF_INET, kind, proto)
        sock.setblocking(False)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        return sock

    def close(self) -> None:
        loop = asyncio.get_running_loop()
        for c in self._closers:
            if isinstance(c, socket.socket):
                loop.remove_reader(c.fileno())
            c.close()
        self._closers.clear()


def _sctp_respond(raw: socket.socket, listened: frozenset[int]) -> None:
    while True:
        try:
            data, (src_ip, _) = raw.recvfrom(2048)
        except (BlockingIOError, InterruptedError):
            return
        p = sctp.parse_ip(data)
        if p is None or p.chunk_type != sctp.INIT:
            continue
        chunk = (
            sctp.init_ack_chunk(random.getrandbits(31) | 1)
            if p.dport in listened
            else sctp.abort_chunk()
        )
        with contextlib.suppress(OSError):  # the prober will time out and report it
            raw.sendto(sctp.packet(p.dport, p.sport, p.init_tag, chunk), (src_ip, 0))


class Prober:
    """Runs probes with a fixed pool of workers (one task per probe stalls a big matrix)."""

    def __init__(
        self, lab: Lab, parallel: int = 32, timeout: float = 3.0, avoid: Iterable[int] = ()
    ) -> None:
        self.lab = lab
        self.parallel = parallel
        self.timeout = timeout
        # UDP and SCTP source ports are handed out in sequence, never at random: a flow that
        # reused the 5-tuple of an earlier allowed probe would ride its conntrack entry through.
        avoided = set(avoid)
        self._sports = itertools.cycle([p for p in _SOURCE_PORTS if p not in avoided])

    async def run(self, probes: Sequence[Probe]) -> list[ProbeResult]:
        # Probes of one (src, dst) pair run one after another: a raw SCTP socket gets every ICMP
        # error for its address pair, so two at once could read each other's rejects.
        pairs: dict[tuple[str, str], list[Probe]] = {}
        for p in probes:
            pairs.setdefault((p.src, p.dst), []).append(p)
        jobs: Iterator[list[Probe]] = iter(pairs.values())
        results: list[ProbeResult] = []

        async def worker() -> None:
            for job in jobs:
                for probe in job:
                    results.append(await self.one(probe))

        await asyncio.gather(*(worker() for _ in range(max(1, self.parallel))))
        return results

    async def one(self, probe: Probe) -> ProbeResult:
        src, dst = self.lab.by_id[probe.src], self.lab.by_id[probe.dst]
        kind = {"TCP": socket.SOCK_STREAM, "UDP": socket.SOCK_DGRAM, "SCTP": socket.SOCK_RAW}
        proto = sctp.IPPROTO_SCTP if probe.protocol == "SCTP" else 0
        with self.lab.switcher.inside(src.netns):
            sock = socket.socket(socket.AF_INET, kind[probe.protocol], proto)
        sock.setblocking(False)
        try:
            async with asyncio.timeout(self.timeout):
                if probe.protocol == "TCP":
                    return _judge(probe, await _tcp(sock, dst.ip, probe.port), dst)
                if probe.protocol == "UDP":
                    sock.bind(("0.0.0.0", next(self._sports)))
                    return _judge(probe, await _udp(sock, dst.ip, probe.port), dst)
                return await _sctp(sock, probe, dst.ip, next(self._sports))
        except TimeoutError:
            return ProbeResult(probe, "timeout", f"no answer in {self.timeout:g} s")
        except OSError as exc:
            code = exc.errno or 0
            name = errno.errorcode.get(code, str(code))
            if code in _BLOCKED:
                return ProbeResult(probe, "blocked", name)
            if code in _REFUSED:
                return ProbeResult(probe, "refused", name)
            return ProbeResult(probe, "error", f"{name}: {exc.strerror}")
        finally:
            sock.close()


def _judge(probe: Probe, reply: bytes, dst: LabPod) -> ProbeResult:
    if reply == dst.id.encode():
        return ProbeResult(probe, "ok")
    return ProbeResult(probe, "wrong-peer", f"reply {reply[:64]!r}")


async def _tcp(sock: socket.socket, ip: str, port: int) -> bytes:
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (ip, port))
    reply = b""
    while chunk := await loop.sock_recv(sock, 512):
        reply += chunk
    return reply


async def _udp(sock: socket.socket, ip: str, port: int) -> bytes:
    loop = asyncio.get_running_loop()
    # A connected UDP socket gets ICMP errors as errnos on recv: blocks are known at once.
    sock.connect((ip, port))
    await loop.sock_sendall(sock, b"hi")
    return await loop.sock_recv(sock, 512)


async def _sctp(sock: socket.socket, probe: Probe, ip: str, sport: int) -> ProbeResult:
    loop = asyncio.get_running_loop()
    sock.setsockopt(socket.SOL_IP, _IP_RECVERR, 1)
    sock.connect((ip, 0))
    tag = random.getrandbits(31) | 1
    await loop.sock_sendall(sock, sctp.packet(sport, probe.port, 0, sctp.init_chunk(tag)))
    while True:
        # The raw socket sees every SCTP packet reaching this pod: keep only our answer.
        p = sctp.parse_ip(await loop.sock_recv(sock, 2048))
        if p is None or p.sport != probe.port or p.dport != sport or p.vtag != tag:
            continue
        if p.chunk_type == sctp.INIT_ACK:
            return ProbeResult(probe, "ok")
        if p.chunk_type == sctp.ABORT:
            return ProbeResult(probe, "refused", "SCTP ABORT")


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
