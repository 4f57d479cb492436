"""Listeners in every pod and probes between them, all in one asyncio loop.

Every socket is created inside its pod's namespace (setns), so one process serves the whole
lab. A listener answers with a token naming its pod (or, in the node, the host-network
address), which proves the path works both ways and reached the right pod. How a probe ends
tells the verdict apart from lab faults:

    ok          the reply carried the expected token
    blocked     EHOSTUNREACH / EACCES (ICMP admin-prohibited from the node) or EPERM (local)
    refused     nothing listening (RST, ICMP port unreachable, SCTP ABORT): a lab fault
    timeout     no answer in time: a drop or a lost packet, also a lab fault while rejects are on
    wrong-peer  the reply came from another pod (or Service backend)
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import itertools
import os
import pickle
import random
import resource
import signal
import socket
import struct
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Literal, NamedTuple

from netreach.dataplane import sctp
from netreach.dataplane.addresses import Address
from netreach.dataplane.lab import Lab
from netreach.dataplane.netns import libc_call
from netreach.dataplane.nft import render_address
from netreach.dataplane.objects import Proto
from netreach.dataplane.plan import Probe
from netreach.errors import NetreachError

Outcome = Literal["ok", "blocked", "refused", "timeout", "wrong-peer", "error"]
_BLOCKED = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EPERM, errno.EACCES}
_REFUSED = {errno.ECONNREFUSED, errno.ECONNRESET}
_IP_RECVERR, _IPV6_RECVERR = 11, 25
_SOURCE_PORTS = range(20000, 61000)
_PR_SET_PDEATHSIG = 1
Advance = Callable[[int], None]


class ProbeResult(NamedTuple):
    probe: Probe
    outcome: Outcome
    detail: str = ""


class _Greeter(asyncio.Protocol):
    """TCP: send the token and close; the client needs no request to prove the path."""

    def __init__(self, token: bytes) -> None:
        self.token = token

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(self.token)
        transport.close()


class _Echo(asyncio.DatagramProtocol):
    """UDP: answer every datagram with the token."""

    def __init__(self, token: bytes) -> None:
        self.token = token
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (asyncio's selector transport does not subclass DatagramTransport at runtime)
        self.transport = typing.cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self.transport is not None:
            self.transport.sendto(self.token, addr)


def _af(family: int) -> socket.AddressFamily:
    return socket.AF_INET if family == 4 else socket.AF_INET6


class Listeners:
    """TCP and UDP sockets on every listened port of every pod and host-network address; one
    raw SCTP responder per address."""

    def __init__(self, lab: Lab, ports: Mapping[Proto, Sequence[int]]) -> None:
        self.lab = lab
        self.ports = ports
        self._closers: list[asyncio.BaseTransport | asyncio.AbstractServer | socket.socket] = []

    async def start(self) -> None:
        _raise_fd_limit()
        # Any pod in a lab with IPv6 listens on "::" for both families at once.
        family = 6 if 6 in self.lab.families else 4
        wildcard = "::" if family == 6 else "0.0.0.0"
        for e in self.lab.pod_endpoints:
            await self._serve(e.netns, family, wildcard, e.token)
            for a in e.pod.addresses:
                self._sctp(e.netns, a, e.token)
        for a, token in self.lab.host_tokens.items():
            await self._serve(self.lab.node, a.version, render_address(a), token)
            self._sctp(self.lab.node, a, token)

    async def _serve(self, netns: str, family: int, address: str, token: bytes) -> None:
        loop = asyncio.get_running_loop()
        for port in self.ports.get("TCP", ()):
            sock = self._socket(netns, family, socket.SOCK_STREAM)
            sock.bind((address, port))
            sock.listen(256)
            server = await loop.create_server(functools.partial(_Greeter, token), sock=sock)
            self._closers.append(server)
        for port in self.ports.get("UDP", ()):
            sock = self._socket(netns, family, socket.SOCK_DGRAM)
            sock.bind((address, port))
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_Echo, token), sock=sock
            )
            self._closers.append(transport)

    def _sctp(self, netns: str, address: Address, token: bytes) -> None:
        if not self.ports.get("SCTP"):
            return
        raw = self._socket(netns, address.version, socket.SOCK_RAW, sctp.IPPROTO_SCTP)
        raw.bind((render_address(address), 0))  # a raw socket bound to an address hears only it
        listened = frozenset(self.ports["SCTP"])
        loop = asyncio.get_running_loop()
        loop.add_reader(raw.fileno(), _sctp_respond, raw, listened, token)
        self._closers.append(raw)

    def _socket(self, netns: str, family: int, kind: int, proto: int = 0) -> socket.socket:
        with self.lab.switcher.inside(netns):
            sock = socket.socket(_af(family), kind, proto)
        sock.setblocking(False)
        if family == 6 and kind != socket.SOCK_RAW:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
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


def _sctp_respond(raw: socket.socket, listened: frozenset[int], token: bytes) -> None:
    v6 = raw.family == socket.AF_INET6
    while True:
        try:
            data, peer = raw.recvfrom(2048)
        except (BlockingIOError, InterruptedError):
            return
        p = sctp.parse(data, with_ip_header=not v6)
        if p is None or p.chunk_type != sctp.INIT:
            continue
        chunk = (
            sctp.init_ack_chunk(random.getrandbits(31) | 1, token)
            if p.dport in listened
            else sctp.abort_chunk()
        )
        with contextlib.suppress(OSError):  # the prober will time out and report it
            raw.sendto(sctp.packet(p.dport, p.sport, p.init_tag, chunk), (peer[0], 0))


class Prober:
    """Runs probes with a fixed pool of workers (one task per probe stalls a big matrix)."""

    def __init__(
        self,
        lab: Lab,
        parallel: int = 32,
        timeout: float = 3.0,
        avoid: Sequence[int] = (),
        share: tuple[int, int] = (0, 1),
    ) -> None:
        self.lab = lab
        self.parallel = parallel
        self.timeout = timeout
        # UDP and SCTP source ports are handed out in sequence, never at random: a flow that
        # reused the 5-tuple of an earlier allowed probe would ride its conntrack entry through.
        # Prober processes running side by side take every n-th port (`share` = k, n).
        k, n = share
        avoided = set(avoid)
        self._sports = itertools.cycle(
            [p for p in _SOURCE_PORTS if p not in avoided and p % n == k]
        )

    async def run(
        self, probes: Sequence[Probe], advance: Advance | None = None
    ) -> list[ProbeResult]:
        return await self.run_jobs(list(interleaved(probes)), advance)

    async def run_jobs(
        self, job_list: Sequence[list[Probe]], advance: Advance | None = None
    ) -> list[ProbeResult]:
        jobs = iter(job_list)
        results: list[ProbeResult] = []

        async def worker() -> None:
            for job in jobs:
                for probe in job:
                    results.append(await self.one(probe))
                    # A rejected UDP probe can finish without ever waiting (the ICMP error is
                    # back before send() returns): yield, or the listeners starve.
                    await asyncio.sleep(0)
                if advance is not None:
                    advance(len(job))

        await asyncio.gather(*(worker() for _ in range(max(1, self.parallel))))
        return results

    def _target(self, probe: Probe) -> tuple[Address | None, bytes, int]:
        """Where the probe goes, the token expected back, and the DSCP that steers it."""
        family = probe.family
        if probe.backend:
            vip = self.lab.vips.get((probe.dst, family))
            dscp = self.lab.steer.get((probe.dst, probe.port, family, probe.backend), 0)
            return vip, self.lab.token(probe.backend, family), dscp
        return self.lab.by_id[probe.dst].pod.address(family), self.lab.token(probe.dst, family), 0

    async def one(self, probe: Probe) -> ProbeResult:
        src = self.lab.by_id[probe.src]
        source = src.pod.address(probe.family)
        target, expect, dscp = self._target(probe)
        if source is None or target is None:
            return ProbeResult(probe, "error", "no address of this family")
        kind = {"TCP": socket.SOCK_STREAM, "UDP": socket.SOCK_DGRAM, "SCTP": socket.SOCK_RAW}
        proto = sctp.IPPROTO_SCTP if probe.protocol == "SCTP" else 0
        with self.lab.switcher.inside(src.netns):
            sock = socket.socket(_af(probe.family), kind[probe.protocol], proto)
        sock.setblocking(False)
        src_ip, dst_ip = _text(source), _text(target)
        try:
            if dscp:
                if probe.family == 4:
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, dscp << 2)
                else:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, dscp << 2)
            async with asyncio.timeout(self.timeout):
                if probe.protocol == "TCP":
                    _recverr(sock)
                    sock.bind((src_ip, 0))
                    return _judge(probe, await _tcp(sock, dst_ip, probe.port), expect)
                if probe.protocol == "UDP":
                    sock.bind((src_ip, next(self._sports)))
                    return _judge(probe, await _udp(sock, dst_ip, probe.port), expect)
                sock.bind((src_ip, 0))
                return await _sctp(sock, probe, dst_ip, next(self._sports), expect)
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


@functools.lru_cache(maxsize=65536)
def _text(address: Address) -> str:
    return render_address(address)


def interleaved(probes: Sequence[Probe]) -> Iterator[list[Probe]]:
    """Jobs of probes that must run one after another (same source, destination and family:
    a raw SCTP socket gets every ICMP error for its address pair), taken from the sources in
    turn, each source starting at another destination: concurrent jobs go between different
    pods (many flows to one pod at once were delayed by seconds on a loaded machine)."""
    groups: dict[tuple[str, str, int], list[Probe]] = {}
    for p in probes:
        groups.setdefault((p.src, p.dst, p.family), []).append(p)
    by_src: dict[str, list[list[Probe]]] = {}
    for (src, _, _), job in groups.items():
        by_src.setdefault(src, []).append(job)
    queues = [
        jobs[i % len(jobs) :] + jobs[: i % len(jobs)] for i, jobs in enumerate(by_src.values())
    ]
    for turn in range(max((len(q) for q in queues), default=0)):
        for jobs in queues:
            if turn < len(jobs):
                yield jobs[turn]


def _judge(probe: Probe, reply: bytes, expect: bytes) -> ProbeResult:
    if reply == expect:
        return ProbeResult(probe, "ok")
    return ProbeResult(probe, "wrong-peer", f"reply {reply[:64]!r}, expected {expect!r}")


def _recverr(sock: socket.socket) -> None:
    """Queue ICMP errors on the socket: the poller then wakes at once.

    A raw SCTP socket needs it to hear a reject at all. A TCP connect needs it because the
    node's reject comes back while connect() still holds the socket: the kernel then keeps
    it only as a soft error, and without an error queued nothing wakes the poller until the
    SYN is sent again, 1 s later (measured for every blocked IPv6 TCP probe; this kernel
    queues IPv4's error without being asked, IPv6's only when asked)."""
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVERR, 1)
    else:
        sock.setsockopt(socket.SOL_IP, _IP_RECVERR, 1)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # it may have timed out meanwhile
        future.set_result(None)


async def _tcp(sock: socket.socket, ip: str, port: int) -> bytes:
    loop = asyncio.get_running_loop()
    # loop.sock_connect, without its address parsing: most probes end here, rejected
    code = sock.connect_ex((ip, port))
    if code == errno.EINPROGRESS:
        writable: asyncio.Future[None] = loop.create_future()
        loop.add_writer(sock.fileno(), _resolve, writable)
        try:
            await writable
        finally:
            loop.remove_writer(sock.fileno())
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        raise OSError(code, os.strerror(code))
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


async def _sctp(
    sock: socket.socket, probe: Probe, ip: str, sport: int, expect: bytes
) -> ProbeResult:
    loop = asyncio.get_running_loop()
    v6 = sock.family == socket.AF_INET6
    _recverr(sock)
    sock.connect((ip, 0))
    tag = random.getrandbits(31) | 1
    await loop.sock_sendall(sock, sctp.packet(sport, probe.port, 0, sctp.init_chunk(tag)))
    while True:
        # The raw socket sees every SCTP packet reaching this pod: keep only our answer.
        p = sctp.parse(await loop.sock_recv(sock, 2048), with_ip_header=not v6)
        if p is None or p.sport != probe.port or p.dport != sport or p.vtag != tag:
            continue
        if p.chunk_type == sctp.INIT_ACK:
            if p.cookie == expect:
                return ProbeResult(probe, "ok")
            return ProbeResult(
                probe, "wrong-peer", f"cookie {p.cookie[:64]!r}, expected {expect!r}"
            )
        if p.chunk_type == sctp.ABORT:
            return ProbeResult(probe, "refused", "SCTP ABORT")


# --- prober processes: one per core, the listeners stay in the sandbox's main process -------

_PROGRESS, _RESULTS = b"P", b"R"


def fork_probers(
    lab: Lab,
    probes: Sequence[Probe],
    processes: int,
    parallel: int,
    timeout: float,
    avoid: Sequence[int],
) -> list[tuple[int, int]]:
    """Start `processes` prober processes, each with every n-th job; (pid, pipe) of each.
    Call with no event loop running; collect with `collect_probers` in the listeners' loop."""
    jobs = list(interleaved(probes))
    index = {p: i for i, p in enumerate(probes)}
    children = []
    for k in range(processes):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the prober process
            os.close(read_fd)
            code = 1
            try:
                code = _prober_process(
                    lab,
                    jobs[k::processes],
                    index,
                    (k, processes),
                    parallel,
                    timeout,
                    avoid,
                    write_fd,
                )
            finally:
                os._exit(code)
        os.close(write_fd)
        children.append((pid, read_fd))
    return children


def _prober_process(  # pragma: no cover - runs in the prober process
    lab: Lab,
    jobs: Sequence[list[Probe]],
    index: dict[Probe, int],
    share: tuple[int, int],
    parallel: int,
    timeout: float,
    avoid: Sequence[int],
    write_fd: int,
) -> int:
    libc_call("prctl", _PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    out = os.fdopen(write_fd, "wb", buffering=0)

    def frame(kind: bytes, payload: bytes) -> None:
        out.write(kind + struct.pack("!I", len(payload)) + payload)

    pending = 0

    def advance(n: int) -> None:
        nonlocal pending
        pending += n
        if pending >= 50:
            frame(_PROGRESS, struct.pack("!I", pending))
            pending = 0

    loop = asyncio.new_event_loop()
    prober = Prober(lab, max(1, parallel // share[1]), timeout, avoid, share)
    results = loop.run_until_complete(prober.run_jobs(jobs, advance))
    if pending:
        frame(_PROGRESS, struct.pack("!I", pending))
    frame(_RESULTS, pickle.dumps([(index[r.probe], r.outcome, r.detail) for r in results]))
    out.close()
    return 0


async def collect_probers(
    children: Sequence[tuple[int, int]], probes: Sequence[Probe], advance: Advance | None
) -> list[ProbeResult]:
    """Read every prober process's progress and results (this loop serves the listeners
    meanwhile); the results in the order of `probes`."""
    loop = asyncio.get_running_loop()
    got: list[ProbeResult | None] = [None] * len(probes)

    async def one(pid: int, fd: int) -> None:
        done: asyncio.Future[None] = loop.create_future()
        buffer = bytearray()

        def readable() -> None:
            chunk = os.read(fd, 1 << 16)
            buffer.extend(chunk)
            while len(buffer) >= 5:
                size = struct.unpack("!I", buffer[1:5])[0]
                if len(buffer) < 5 + size:
                    break
                kind, payload = bytes(buffer[:1]), bytes(buffer[5 : 5 + size])
                del buffer[: 5 + size]
                if kind == _PROGRESS and advance is not None:
                    advance(struct.unpack("!I", payload)[0])
                elif kind == _RESULTS:
                    for i, outcome, detail in pickle.loads(payload):
                        got[i] = ProbeResult(probes[i], outcome, detail)
            if not chunk and not done.done():
                done.set_result(None)

        os.set_blocking(fd, False)
        loop.add_reader(fd, readable)
        try:
            await done
        finally:
            loop.remove_reader(fd)
            os.close(fd)
            os.waitpid(pid, 0)

    await asyncio.gather(*(one(pid, fd) for pid, fd in children))
    missing = sum(1 for r in got if r is None)
    if missing:
        raise NetreachError(f"a prober process failed: {missing} probes without a result")
    return [r for r in got if r is not None]


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def fd_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1]
