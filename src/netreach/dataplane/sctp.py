"""Just enough SCTP to probe a packet filter: INIT, INIT-ACK and ABORT over raw IP sockets.

The kernel here has no SCTP, but nft's `sctp dport`/`th dport` and SCTP conntrack work on raw
packets. A probe is an INIT; the responder answers INIT-ACK on a listened port, ABORT otherwise.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

IPPROTO_SCTP = 132
INIT, INIT_ACK, ABORT = 1, 2, 6


def _crc32c_table() -> list[int]:
    poly = 0x82F63B78  # Castagnoli, reflected
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def packet(sport: int, dport: int, vtag: int, chunk: bytes) -> bytes:
    """Common header + one chunk; the checksum is stored little-endian (RFC 9260 appendix)."""
    crc = crc32c(struct.pack("!HHII", sport, dport, vtag, 0) + chunk)
    return struct.pack("!HHI", sport, dport, vtag) + struct.pack("<I", crc) + chunk


def init_chunk(tag: int) -> bytes:
    return struct.pack("!BBHIIHHI", INIT, 0, 20, tag, 65535, 1, 1, tag)


def init_ack_chunk(tag: int, cookie: bytes) -> bytes:
    """INIT-ACK whose State Cookie is `cookie` (the responder's token, padded to 4 bytes)."""
    param = struct.pack("!HH", 7, 4 + len(cookie)) + cookie
    param += b"\0" * (-len(param) % 4)
    head = struct.pack("!BBHIIHHI", INIT_ACK, 0, 20 + len(param), tag, 65535, 1, 1, tag)
    return head + param


def abort_chunk() -> bytes:
    return struct.pack("!BBH", ABORT, 0, 4)


@dataclass(frozen=True, slots=True)
class Parsed:
    sport: int
    dport: int
    vtag: int
    chunk_type: int
    init_tag: int  # the initiate tag of an INIT or INIT-ACK, else 0
    cookie: bytes = b""  # the State Cookie of an INIT-ACK


def parse(data: bytes, with_ip_header: bool = True) -> Parsed | None:
    """Parse an SCTP packet as read from a raw socket: IPv4 raw sockets include the IP
    header, IPv6 raw sockets do not."""
    off = (data[0] & 0x0F) * 4 if with_ip_header and data else 0
    if len(data) < off + 16:
        return None
    sport, dport, vtag = struct.unpack_from("!HHI", data, off)
    chunk_type = data[off + 12]
    init_tag = struct.unpack_from("!I", data, off + 16)[0] if len(data) >= off + 20 else 0
    cookie = b""
    if chunk_type == INIT_ACK:
        at = off + 12 + 20  # the first parameter after the fixed INIT-ACK fields
        while len(data) >= at + 4:
            ptype, plen = struct.unpack_from("!HH", data, at)
            if plen < 4:
                break
            if ptype == 7:
                cookie = data[at + 4 : at + plen]
                break
            at += plen + (-plen % 4)
    return Parsed(sport, dport, vtag, chunk_type, init_tag, cookie)
