#!/bin/bash
# TCP state lab: hand-made segments between two namespaces through a forwarding
# router whose conntrack table is printed after each step. Neither end has a
# TCP stack in the way (their raw PREROUTING drops everything), so only the
# segments listed here exist. Cleans up always.
set -u
P=${NFLAB_CT_PREFIX:-nftc$$}
C=${P}c; R=${P}r; S=${P}s
HERE=$(dirname "$0")
cleanup(){ for n in "$C" "$R" "$S"; do ip netns del "$n" 2>/dev/null; done; }
trap cleanup EXIT INT TERM
set -e
for n in "$C" "$R" "$S"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add "${P}a" type veth peer name "${P}b"
ip link set "${P}a" netns "$C" name eth0; ip link set "${P}b" netns "$R" name eth0
ip link add "${P}d" type veth peer name "${P}e"
ip link set "${P}d" netns "$R" name eth1; ip link set "${P}e" netns "$S" name eth0
ip -n "$C" addr add 10.0.1.2/24 dev eth0; ip -n "$R" addr add 10.0.1.1/24 dev eth0
ip -n "$R" addr add 10.0.2.1/24 dev eth1; ip -n "$S" addr add 10.0.2.2/24 dev eth0
for n in "$C" "$R" "$S"; do ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=0 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.netfilter.nf_conntrack_tcp_loose=1 net.netfilter.nf_conntrack_tcp_be_liberal=0; done
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip -n "$C" link set eth0 up; ip -n "$R" link set eth0 up; ip -n "$R" link set eth1 up; ip -n "$S" link set eth0 up
ip -n "$C" route add default via 10.0.1.1; ip -n "$S" route add default via 10.0.2.1
for n in "$C" "$S"; do ip netns exec "$n" iptables-restore <<X
*raw
:PREROUTING DROP [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
X
done
ip netns exec "$R" iptables-restore <<X
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate INVALID
COMMIT
X
sleep 0.3
cs(){ ip netns exec "$C" /usr/bin/python3 "$HERE/send-tcp.py" 10.0.1.2 "$@"; }
ss(){ ip netns exec "$S" /usr/bin/python3 "$HERE/send-tcp.py" 10.0.2.2 "$@"; }
show(){ echo "STEP $1"; ip netns exec "$R" conntrack -L -p tcp 2>/dev/null | sed 's/^/CT /'; ip netns exec "$R" iptables-save -c -t filter | grep -- '-A FORWARD' | sed 's/^/INV /'; }
# args: sport dst dport FLAGS seq ack len
cs 41000 10.0.2.2 80 S 1000 0 0; show syn
ss 80 10.0.1.2 41000 SA 5000 1001 0; show synack
cs 41000 10.0.2.2 80 A 1001 5001 0; show ack
cs 41000 10.0.2.2 80 PA 1001 5001 10; show data
ss 80 10.0.1.2 41000 A 5001 1011 0; show dataack
cs 41000 10.0.2.2 80 PA 10001001 5001 100; show outofwindow
cs 41000 10.0.2.2 80 FA 1011 5001 0; show fin
ss 80 10.0.1.2 41000 A 5001 1012 0; show finack
ss 80 10.0.1.2 41000 FA 5001 1012 0; show fin2
cs 41000 10.0.2.2 80 A 1012 5002 0; show lastack
cs 42000 10.0.2.2 80 A 7000 9000 0; show midstream
cs 42001 10.0.2.2 80 SA 1 1 0; show synacknew
cs 43000 10.0.2.2 80 S 1 0 0; ss 80 10.0.1.2 43000 SA 9 2 0; cs 43000 10.0.2.2 80 A 2 10 0; cs 43000 10.0.2.2 80 R 2 0 0; show rst
