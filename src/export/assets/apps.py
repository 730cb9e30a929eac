#!/usr/bin/env python3
# nflab apps for an exported lab (generated). serve: listeners; connect/ping: probes.
import errno, json, os, select, socket, struct, sys, threading, time

SO_ORIGINAL_DST = 80

def hp(a):
    return "%s:%d" % (a[0], a[1])

def echo_line(node, peer, local, text):
    return ("nflab-echo node=%s peer=%s local=%s line=%s\n" % (node, hp(peer), hp(local), text)).encode()

def read_line(c, limit=65536):
    buf = b""
    while b"\n" not in buf and len(buf) < limit:
        d = c.recv(4096)
        if not d:
            break
        buf += d
    return buf.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")

def drain_close(c):
    try:
        c.settimeout(5)
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()

def relay(src, dst):
    try:
        while True:
            d = src.recv(65536)
            if not d:
                break
            dst.sendall(d)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def original_dst(c):
    raw = c.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port, addr = struct.unpack_from("!2xH4s", raw)
    return socket.inet_ntoa(addr), port

def handle_tcp(node, app, source, c, peer):
    try:
        if app == "echo":
            c.settimeout(10)
            text = read_line(c)
            c.sendall(echo_line(node, peer, c.getsockname(), text))
            c.shutdown(socket.SHUT_WR)
            drain_close(c)
        elif app == "sink":
            drain_close(c)
        else:
            dst = original_dst(c)
            if dst == c.getsockname():
                # Not redirected: connecting "there" would be connecting to ourselves.
                c.close()
                return
            u = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if source:
                u.bind((source, 0))
            u.settimeout(5)
            u.connect(dst)
            u.settimeout(None)
            c.settimeout(None)
            t = threading.Thread(target=relay, args=(u, c), daemon=True)
            t.start()
            relay(c, u)
            t.join(30)
            u.close()
            c.close()
    except OSError as e:
        print("%s %s: %s" % (app, hp(peer), e), file=sys.stderr)
        try:
            c.close()
        except OSError:
            pass

def serve(node, app, proto, addr, port, source):
    if proto == "tcp":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(128)
        while True:
            c, peer = s.accept()
            threading.Thread(target=handle_tcp, args=(node, app, source, c, peer), daemon=True).start()
    if app == "proxy":
        sys.exit("a udp proxy is not supported")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(65535)
        if app == "echo":
            text = data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
            # An answer its own OUTPUT chain drops fails with EPERM; a server goes on serving.
            try:
                s.sendto(echo_line(node, peer, s.getsockname(), text), peer)
            except OSError:
                pass

# A failure the sender's own stack reports before anything is sent. A failing route
# lookup is "no-route" whatever its errno: no route (ENETUNREACH), a blackhole or a
# loopback source leaving the host (EINVAL), an unreachable (EHOSTUNREACH) or a
# prohibit (EACCES) route. From the network, EHOSTUNREACH comes later (ASYNC).
SYNC = {errno.ENETUNREACH: "no-route", errno.EINVAL: "no-route", errno.EHOSTUNREACH: "no-route",
        errno.EACCES: "no-route", errno.EPERM: "timeout", errno.ECONNREFUSED: "refused"}
# A failure that came back from the network (ICMP error or RST).
ASYNC = {errno.ECONNREFUSED: "refused", errno.ECONNRESET: "refused", errno.ETIMEDOUT: "timeout"}

def out(result, err=None, answer=None):
    o = {"result": result}
    if err is not None:
        o["errno"] = errno.errorcode.get(err, str(err))
    if answer is not None:
        o["answer"] = answer
        f = dict(p.split("=", 1) for p in answer.split(" ")[1:4] if "=" in p)
        if answer.startswith("nflab-echo ") and "peer" in f:
            o["server"] = f.get("node")
            o["serverSees"] = f["peer"]
    print(json.dumps(o))
    return 0

def connected(s):
    try:
        s.getpeername()
        return True
    except OSError:
        return False

def connect(proto, ip, port, src, sport, timeout, tos, line):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    if tos:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
    if src or sport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((src or "0.0.0.0", sport))
        except OSError as e:
            print(json.dumps({"result": "error", "errno": errno.errorcode.get(e.errno, str(e.errno)), "why": "bind"}))
            return 2
    deadline = time.monotonic() + timeout
    if proto == "udp":
        s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_RECVERR", 11), 1)
        try:
            s.connect((ip, port))
            s.send((line + "\n").encode())
        except OSError as e:
            return out(SYNC.get(e.errno, "unreachable"), e.errno)
        s.settimeout(timeout)
        try:
            data = s.recv(65535)
        except socket.timeout:
            return out("timeout")
        except OSError as e:
            return out(ASYNC.get(e.errno, "unreachable"), e.errno)
        return out("connected", answer=data.decode("utf-8", "replace").rstrip("\n"))
    s.setblocking(False)
    rc = s.connect_ex((ip, port))
    if rc not in (0, errno.EINPROGRESS):
        return out(SYNC.get(rc, "unreachable"), rc)
    if rc != 0:
        _, w, _ = select.select([], [s], [], timeout)
        if not w:
            return out("timeout")
        rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        # SO_ERROR also hands out a soft error: an ICMP error about a segment sent
        # after the handshake (the ACK) that arrived before this process woke up.
        # The connection stands (connect() in blocking mode returns 0); whether
        # the error is seen here is a race with the scheduler, so it is not a
        # connect failure. A failed connect leaves the socket unconnected.
        if rc != 0 and not connected(s):
            return out(ASYNC.get(rc, "unreachable"), rc)
    if tos:
        # Only the SYN carries the trace marker.
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0)
    s.setblocking(True)
    s.settimeout(max(0.2, deadline - time.monotonic()))
    answer = None
    try:
        s.sendall((line + "\n").encode())
        buf = b""
        while b"\n" not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        answer = buf.decode("utf-8", "replace").split("\n", 1)[0] if buf else None
    except OSError:
        pass
    s.close()
    return out("connected", answer=answer)

def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xFFFF)
    t += t >> 16
    return ~t & 0xFFFF

def ping(ip, timeout, tos, src=""):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    if src:
        s.bind((src, 0))
    if tos:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
    ident = os.getpid() & 0xFFFF
    body = b"nflab-ping".ljust(56, b"\0")  # 56 bytes, as ping(8) and nflab send
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
    pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, 1) + body
    try:
        s.sendto(pkt, (ip, 0))
    except OSError as e:
        return out(SYNC.get(e.errno, "unreachable"), e.errno)
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out("timeout")
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return out("timeout")
        data = s.recv(65535)
        ihl = (data[0] & 15) * 4
        typ = data[ihl]
        if typ == 0 and struct.unpack_from("!H", data, ihl + 4)[0] == ident:
            return out("reply")
        if typ in (3, 11) and len(data) >= ihl + 8 + 28:
            inner = ihl + 8
            iihl = (data[inner] & 15) * 4
            if data[inner + 9] == 1 and struct.unpack_from("!H", data, inner + iihl + 4)[0] == ident:
                return out("unreachable")

def main(a):
    if a[0] == "serve":
        node, app, proto, addr, port, source = a[1:7]
        serve(node, app, proto, addr, int(port), source)
    elif a[0] == "connect":
        proto, ip, port, src, sport, timeout_ms, tos, line = a[1:9]
        return connect(proto, ip, int(port), src, int(sport), int(timeout_ms) / 1000, int(tos), line)
    elif a[0] == "ping":
        ip, timeout_ms, tos = a[1:4]
        return ping(ip, int(timeout_ms) / 1000, int(tos), a[4] if len(a) > 4 else "")
    else:
        sys.exit("usage: apps.py serve NODE APP PROTO ADDR PORT SOURCE | connect PROTO IP PORT SRC SPORT TIMEOUT_MS TOS LINE | ping IP TIMEOUT_MS TOS [SRC]")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
