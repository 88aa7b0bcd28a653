#!/usr/bin/python3
"""First connection to new aliases (issue 8, phase 5), as a user's program sees it: the clock starts
before the DNS query for an alias nobody has used yet and stops at the first byte of the target's
answer. In between: the DNS worker answers and tells the broker, which authorises a session at the
controller; the connect is redirected to the broker, which opens TLS + WebSocket to the worker, does
the proxy handshake and splices; the request reaches nginx and its answer comes back.

  firstconn.py --mode dns --dns 100.64.0.1 --port 8080 --count 100
  firstconn.py --mode explain --addresses FILE --port 8080 --count 100   (no DNS: "NAME IP" lines)

Prints one JSON line: p50_ms, p99_ms, dns_p50_ms, connected_ok, samples."""
import argparse
import json
import random
import socket
import struct
import time


def query_a(server, name, timeout=5.0):
    """One A query over UDP; returns the first IPv4 address of the answer (or None)."""
    qid = random.randrange(65536)
    wire = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (server, 53))
        data, _ = s.recvfrom(4096)
    rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", data[:12])
    if rid != qid or flags & 0xF != 0 or an == 0:
        return None
    pos = 12
    for _ in range(qd):  # skip the question
        while data[pos] != 0:
            pos += 1 + data[pos]
        pos += 5
    for _ in range(an):
        if data[pos] & 0xC0 == 0xC0:
            pos += 2
        else:
            while data[pos] != 0:
                pos += 1 + data[pos]
            pos += 1
        rtype, _, _, rdlen = struct.unpack(">HHIH", data[pos:pos + 10])
        pos += 10
        if rtype == 1 and rdlen == 4:
            return socket.inet_ntoa(data[pos:pos + 4])
        pos += rdlen
    return None


def first_byte(address, port, name, timeout=10.0):
    with socket.create_connection((address, port), timeout=timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(b"GET / HTTP/1.1\r\nHost: " + name.encode() + b"\r\nConnection: close\r\n\r\n")
        return len(s.recv(1)) == 1


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["dns", "explain"], default="dns")
    p.add_argument("--dns", default="100.64.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--prefix", default="fc")
    p.add_argument("--domain", default="bench.test")
    p.add_argument("--addresses")
    a = p.parse_args()
    known = {}
    if a.mode == "explain":
        with open(a.addresses) as f:
            for line in f:
                name, _, ip = line.strip().partition(" ")
                known[name] = ip
    totals, dns_times, ok = [], [], 0
    for i in range(a.count):
        name = "%s%d.%s" % (a.prefix, i, a.domain)
        start = time.perf_counter()
        try:
            if a.mode == "dns":
                address = query_a(a.dns, name)
                dns_times.append((time.perf_counter() - start) * 1000)
            else:
                address = known.get(name)
            if not address:
                continue
            if first_byte(address, a.port, name):
                ok += 1
                totals.append((time.perf_counter() - start) * 1000)
        except OSError:
            continue
    if not totals:
        print(json.dumps({"error": "no connection succeeded", "connected_ok": 0}))
        return 1
    print(json.dumps({
        "p50_ms": round(percentile(totals, 0.5), 3),
        "p99_ms": round(percentile(totals, 0.99), 3),
        "dns_p50_ms": round(percentile(dns_times, 0.5), 3) if dns_times else None,
        "connected_ok": ok,
        "samples": len(totals),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
