#!/bin/bash
# Builds client -- router (MASQUERADE + DNAT range) -- server in real namespaces, sends the
# traffic nat.kernel.test.ts replays in nflab, prints the router's conntrack table. Cleans up always.
set -u
P=${NFLAB_CT_PREFIX:-nfct$$}
C=${P}c; R=${P}r; S=${P}s
PIDS=()
cleanup(){ for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; for n in "$C" "$R" "$S"; do ip netns del "$n" 2>/dev/null; done; }
trap cleanup EXIT INT TERM
set -e
for n in "$C" "$R" "$S"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add "${P}a" type veth peer name "${P}b"
ip link set "${P}a" netns "$C" name eth0; ip link set "${P}b" netns "$R" name eth0
ip link add "${P}d" type veth peer name "${P}e"
ip link set "${P}d" netns "$R" name eth1; ip link set "${P}e" netns "$S" name eth0
ip -n "$C" addr add 10.0.1.2/24 dev eth0; ip -n "$C" addr add 10.0.1.3/24 dev eth0
for i in 4 5 6 7; do ip -n "$C" addr add "10.0.1.$i/24" dev eth0; done
ip -n "$R" addr add 10.0.1.1/24 dev eth0; ip -n "$R" addr add 10.0.2.1/24 dev eth1
ip -n "$S" addr add 10.0.2.2/24 dev eth0
for i in $(seq 10 20); do ip -n "$S" addr add "10.0.2.$i/24" dev eth0; done
for n in "$C" "$R" "$S"; do ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.netfilter.nf_conntrack_tcp_loose=1 net.netfilter.nf_conntrack_tcp_be_liberal=0; done
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip -n "$C" link set eth0 up; ip -n "$R" link set eth0 up; ip -n "$R" link set eth1 up; ip -n "$S" link set eth0 up
ip -n "$C" route add default via 10.0.1.1; ip -n "$S" route add default via 10.0.2.1
ip netns exec "$R" iptables-restore <<R
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 10.0.2.100/32 -p udp -j DNAT --to-destination 10.0.2.10-10.0.2.20
-A POSTROUTING -o eth1 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p icmp -m conntrack --ctstate RELATED
COMMIT
R
sleep 0.5
ip netns exec "$S" socat TCP-LISTEN:80,fork,reuseaddr EXEC:cat & PIDS+=("$!")
sleep 0.3
# two clients, same source port, one TCP server: held open so the entries stay ESTABLISHED
( echo a; sleep 2.5 ) | ip netns exec "$C" socat - TCP:10.0.2.2:80,bind=10.0.1.2:40000 >/dev/null & PIDS+=("$!")
sleep 0.2
( echo b; sleep 2.3 ) | ip netns exec "$C" socat - TCP:10.0.2.2:80,bind=10.0.1.3:40000 >/dev/null & PIDS+=("$!")
sleep 0.2
# the router's own connection from the port a forwarded flow already holds
( echo c; sleep 2.1 ) | ip netns exec "$R" socat - TCP:10.0.2.2:80,bind=10.0.2.1:40000 >/dev/null & PIDS+=("$!")
sleep 0.2
# UDP to a closed port: client 10.0.1.2:5000 first, then 10.0.1.3:5000 (re-mapped); the second reads the error
ip netns exec "$C" /usr/bin/python3 - <<'PY'
import socket
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(('10.0.1.2', 5000)); a.connect(('10.0.2.2', 53)); a.send(b'x')
import time; time.sleep(0.1)
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(('10.0.1.3', 5000)); b.connect(('10.0.2.2', 53)); b.send(b'y')
b.settimeout(0.5)
try:
    b.recv(10); print('CLIENT udp: data')
except ConnectionRefusedError:
    print('CLIENT udp: refused')
except socket.timeout:
    print('CLIENT udp: timeout')
PY
for i in 2 3 4 5 6 7; do echo x | ip netns exec "$C" socat -u - "UDP:10.0.2.100:9999,bind=10.0.1.$i:6000"; done
sleep 0.2
ip netns exec "$R" conntrack -L 2>/dev/null | sed 's/^/CT /'
ip netns exec "$R" iptables-save -c -t filter | grep -- '-A FORWARD' | sed 's/^/RULE /'
