"""Parsing a large input on two cores: a forked child parses the later sources with the same
`parse_source` (so the same documents, problems and lines) while this process parses and
builds the earlier ones, then builds the child's, in order, as they arrive.

Only where fork is cheap and safe (Linux, this process running one thread), only for inputs
of several sources and at least MIN_BYTES (below that the fork and the pickles cost about
what they save), and only when the caller asks (the command line: a library should not fork
behind its user's back). Anything unexpected (the child dies, a pickle fails) falls back to
parsing here: the child is an optimisation, never a source of results of its own.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import queue
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from netreach.loader.decode import Parsed, parse_source
from netreach.loader.limits import Limits
from netreach.loader.sources import Source

Parse = Callable[[Source], Parsed]

# Measured on 2 cores: at 1 MB the child saves this process ~0.08 s of CPU and adds 0.02-0.06 s
# (fork, copy-on-write faults, pickles): a loss as soon as another process holds a core.
MIN_BYTES = 2 << 20
# The share of the bytes this process parses itself: it also builds every object and reads
# the child's pickles (together about half the cost of parsing), so the child takes more. At
# 0.4 on the 5,000-pod bench this process no longer waits for the child (0.1-0.2 s at 0.3).
OWN_SHARE = 0.4

_FRAME = struct.Struct("<QQ")  # source position, payload length
# The sources, in the parent and (inherited) in the child, for pickles to refer to: a Source
# in a problem's location is sent as its position, not as a copy.
_SHARED: list[Source] = []


def _shared_source(position: int) -> Source:
    return _SHARED[position]


@contextmanager
def parsing(sources: Sequence[Source], limits: Limits | None = None) -> Iterator[Parse | None]:
    """`parse_source` for each of `sources` in turn, the later ones parsed ahead by a child
    process when the input is large enough; None when there is no child (the loader then
    parses each source as it reads it)."""
    limits = limits or Limits()
    split = _split(sources)
    if split is None or _SHARED:
        yield None
        return
    _SHARED.extend(sources)
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except OSError:
        _SHARED.clear()
        yield None
        return
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(sources, split, limits, write_fd)
    os.close(write_fd)
    ahead = _Ahead(sources, split, limits, read_fd)
    try:
        yield ahead.parse
    finally:
        ahead.close(pid)
        _SHARED.clear()


def _split(sources: Sequence[Source]) -> int | None:
    """The position from which the child parses, or None for no child."""
    if len(sources) < 2 or not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return None
    if threading.active_count() != 1:
        return None  # fork copies one thread only: locks the others hold would stay held
    if len(os.sched_getaffinity(0)) < 2:
        return None  # one core to run on: the child would only add its own cost
    try:
        sizes = [source.size() for source in sources]
    except OSError:
        return None  # the loader reports it, in order
    total = sum(sizes)
    if total < MIN_BYTES:
        return None
    own = 0
    for position, size in enumerate(sizes):
        if own + size > total * OWN_SHARE:
            return max(position, 1)
        own += size
    return None


def _child(sources: Sequence[Source], split: int, limits: Limits, fd: int) -> None:
    """Parse sources[split:] and send each result (documents, problems, marks, text) down
    `fd`; exit without running the parent's cleanup (atexit, buffered stdout)."""
    try:
        gc.disable()  # as the loader runs: the results are acyclic and short-lived here
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        positions = {id(s): i for i, s in enumerate(sources)}

        def by_position(source: Source) -> tuple[Any, tuple[int]]:
            return (_shared_source, (positions[id(source)],))

        table = {type(s): by_position for s in sources}
        with os.fdopen(fd, "wb") as out:
            for position in range(split, len(sources)):
                source = sources[position]
                parsed = parse_source(source, limits)
                buf = io.BytesIO()
                pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
                pickler.dispatch_table = table
                pickler.dump((parsed, source.marks, source.text_cache))
                payload = buf.getbuffer()
                out.write(_FRAME.pack(position, len(payload)))
                out.write(payload)
                out.flush()
    except BaseException:
        pass
    os._exit(0)


class _Ahead:
    """The parent's side: a thread drains the pipe (so the child never waits on a full
    pipe), `parse` takes each result in order, or parses here once the child has failed."""

    def __init__(self, sources: Sequence[Source], split: int, limits: Limits, fd: int) -> None:
        self.limits = limits
        self.split = split
        self.positions = {id(s): i for i, s in enumerate(sources)}
        self.frames: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
        self.failed = False
        self.fd = fd
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        try:
            with os.fdopen(self.fd, "rb", closefd=False) as pipe:
                while True:
                    head = pipe.read(_FRAME.size)
                    if len(head) < _FRAME.size:
                        break
                    position, length = _FRAME.unpack(head)
                    payload = pipe.read(length)
                    if len(payload) < length:
                        break
                    self.frames.put((position, payload))
        finally:
            self.frames.put(None)

    def parse(self, source: Source) -> Parsed:
        position = self.positions.get(id(source))
        if self.failed or position is None or position < self.split:
            return parse_source(source, self.limits)
        while True:
            frame = self.frames.get()
            if frame is None:
                break
            got, payload = frame
            if got == position:
                try:
                    parsed, marks, text = pickle.loads(payload)
                except Exception:
                    break
                source.marks = marks
                source.text_cache = text
                result: Parsed = parsed
                return result
            if got > position:
                break
        self.failed = True
        return parse_source(source, self.limits)

    def close(self, pid: int) -> None:
        """Stop the child if it is still parsing (the load ended early), reap it."""
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        self.reader.join()
        os.close(self.fd)
