# Sends one hand-made TCP segment through a raw socket: src sport dst dport FLAGS seq ack len [win]
# FLAGS is letters from S A F R P. Used by the conntrack kernel lab only.
import socket, struct, sys

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

src, sport, dst, dport, flags, seq, ack, ln = sys.argv[1:9]
win = int(sys.argv[9]) if len(sys.argv) > 9 else 64240
f = sum({'F': 1, 'S': 2, 'R': 4, 'P': 8, 'A': 16}[c] for c in flags)
payload = b'x' * int(ln)
hdr = struct.pack('!HHIIBBHHH', int(sport), int(dport), int(seq) & 0xffffffff, int(ack) & 0xffffffff, 5 << 4, f, win, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(hdr) + len(payload))
c = csum(pseudo + hdr + payload)
hdr = hdr[:16] + struct.pack('!H', c) + hdr[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.bind((src, 0))
s.sendto(hdr + payload, (dst, 0))
