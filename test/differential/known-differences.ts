/**
 * Cases where nflab is known to differ from the kernel, each with its reason
 * and the exact difference lines the suite prints. A case listed here must
 * still differ in exactly this way: when nflab is fixed, remove its entry.
 * Measured on Linux 6.18, iptables 1.8.9 (nf_tables).
 */

export interface KnownDifference {
  reason: string;
  differences: string[];
}

export const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  "REJECT with every --reject-with, on INPUT": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported); and icmp-proto-unreachable: the kernel's UDP client gets ENOPROTOOPT (unreachable), nflab maps it to ECONNREFUSED (refused) — src/node (reported)",
    differences: [
      "1 send client → 10.0.0.2:1001/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m udp --dport 1001 -j REJECT --reject-with icmp-port-unreachable +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m udp --dport 1001 -j REJECT --reject-with icmp-port-unreachable +1:34",
      "2 send client → 10.0.0.2:1002/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m udp --dport 1002 -j REJECT --reject-with icmp-net-unreachable +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m udp --dport 1002 -j REJECT --reject-with icmp-net-unreachable +1:34",
      "3 send client → 10.0.0.2:1003/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m udp --dport 1003 -j REJECT --reject-with icmp-host-unreachable +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m udp --dport 1003 -j REJECT --reject-with icmp-host-unreachable +1:34",
      "4 send client → 10.0.0.2:1004/udp — result: kernel unreachable | nflab refused",
      "4 send client → 10.0.0.2:1004/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m udp --dport 1004 -j REJECT --reject-with icmp-proto-unreachable +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m udp --dport 1004 -j REJECT --reject-with icmp-proto-unreachable +1:34",
      "5 send client → 10.0.0.2:1005/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m udp --dport 1005 -j REJECT --reject-with icmp-net-prohibited +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m udp --dport 1005 -j REJECT --reject-with icmp-net-prohibited +1:34",
      "6 send client → 10.0.0.2:1006/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m udp --dport 1006 -j REJECT --reject-with icmp-host-prohibited +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m udp --dport 1006 -j REJECT --reject-with icmp-host-prohibited +1:34",
      "7 send client → 10.0.0.2:1007/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m udp --dport 1007 -j REJECT --reject-with icmp-admin-prohibited +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m udp --dport 1007 -j REJECT --reject-with icmp-admin-prohibited +1:34",
      "9 connect client → 10.0.0.2:1009/tcp at server — counters: kernel filter :OUTPUT ACCEPT +1:88 ; filter -A INPUT -p tcp -m tcp --dport 1009 -j REJECT --reject-with icmp-port-unreachable +1:60 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p tcp -m tcp --dport 1009 -j REJECT --reject-with icmp-port-unreachable +1:60",
      "10 connect client → 10.0.0.2:1010/tcp at server — counters: kernel filter :OUTPUT ACCEPT +1:88 ; filter -A INPUT -p tcp -m tcp --dport 1010 -j REJECT --reject-with icmp-host-prohibited +1:60 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p tcp -m tcp --dport 1010 -j REJECT --reject-with icmp-host-prohibited +1:60",
    ],
  },
  "addresses, interfaces and protocols, with !": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "4 send client → 10.0.0.2:53/udp (src 10.0.0.3) at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT ! -s 10.0.0.1/32 -p udp -j REJECT --reject-with icmp-port-unreachable +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT ! -s 10.0.0.1/32 -p udp -j REJECT --reject-with icmp-port-unreachable +1:34",
    ],
  },
  "udp ports and ranges, with a fixed source port": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "3 send client → 10.0.0.2:1500/udp (sport 5002) at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m udp --dport 1000:2000 -j REJECT --reject-with icmp-port-unreachable +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m udp --dport 1000:2000 -j REJECT --reject-with icmp-port-unreachable +1:34",
    ],
  },
  "icmp types": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "2 send client → 10.0.0.2:9/udp at client — counters: kernel filter :OUTPUT ACCEPT +1:34 ; filter -A INPUT -p icmp -m icmp --icmp-type 3/3 -j DROP +1:62 | nflab filter :OUTPUT ACCEPT +1:34 ; filter -A INPUT -p icmp -m icmp --icmp-type 3/3 -j DROP +1:56",
      "2 send client → 10.0.0.2:9/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m udp --dport 9 -j REJECT --reject-with icmp-port-unreachable +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m udp --dport 9 -j REJECT --reject-with icmp-port-unreachable +1:34",
    ],
  },
  "multiport": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "4 send client → 10.0.0.2:53/udp (sport 6005) at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m multiport --sports 6000:6010 -j REJECT --reject-with icmp-port-unreachable +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m multiport --sports 6000:6010 -j REJECT --reject-with icmp-port-unreachable +1:34",
    ],
  },
  "conntrack: an ESTABLISHED-only INPUT firewall": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "5 send server → 10.0.0.1:54/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:34 ; filter -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT +1:62 | nflab filter :OUTPUT ACCEPT +1:34 ; filter -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT +1:56",
    ],
  },
  "state: a stateful forwarding firewall": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "5 send client → 10.0.2.2:54/udp at router — counters: kernel filter -A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT +1:62 ; filter -A FORWARD -i eth0 -o eth1 -m state --state NEW -j ACCEPT +1:34 | nflab filter -A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT +1:56 ; filter -A FORWARD -i eth0 -o eth1 -m state --state NEW -j ACCEPT +1:34",
    ],
  },
  "owner: --uid-owner and --gid-owner": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "4 send client → 10.0.0.2:53/udp (uid 3000) at client — counters: kernel filter :INPUT ACCEPT +1:62 ; filter :OUTPUT ACCEPT +1:62 ; filter -A OUTPUT -p udp -m owner --gid-owner 3000 -j REJECT --reject-with icmp-port-unreachable +1:34 | nflab filter :INPUT ACCEPT +1:56 ; filter :OUTPUT ACCEPT +1:56 ; filter -A OUTPUT -p udp -m owner --gid-owner 3000 -j REJECT --reject-with icmp-port-unreachable +1:34",
    ],
  },
  "mark, MARK and CONNMARK": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "4 send client → 10.0.2.2:54/udp at router — counters: kernel mangle :PREROUTING ACCEPT +1:34 ; mangle :FORWARD ACCEPT +1:34 ; mangle :OUTPUT ACCEPT +1:62 ; mangle :POSTROUTING ACCEPT +1:62 ; mangle -A PREROUTING -p udp -j CONNMARK --set-xmark 0x5/0xffffffff +1:34 ; mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff +1:34 ; filter :OUTPUT ACCEPT +1:62 ; filter -A FORWARD -p udp -m connmark --mark 0x5 -m udp --dport 54 -j REJECT --reject-with icmp-port-unreachable +1:34 | nflab mangle :PREROUTING ACCEPT +1:34 ; mangle :FORWARD ACCEPT +1:34 ; mangle :OUTPUT ACCEPT +1:56 ; mangle :POSTROUTING ACCEPT +1:56 ; mangle -A PREROUTING -p udp -j CONNMARK --set-xmark 0x5/0xffffffff +1:34 ; mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff +1:34 ; filter :OUTPUT ACCEPT +1:56 ; filter -A FORWARD -p udp -m connmark --mark 0x5 -m udp --dport 54 -j REJECT --reject-with icmp-port-unreachable +1:34",
    ],
  },
  "iprange": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "3 connect client → 10.0.0.20:80/tcp (src 10.0.0.1) at server — counters: kernel filter :OUTPUT ACCEPT +1:88 ; filter -A INPUT -p tcp -m iprange --dst-range 10.0.0.10-10.0.0.30 -j REJECT --reject-with icmp-port-unreachable +1:60 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p tcp -m iprange --dst-range 10.0.0.10-10.0.0.30 -j REJECT --reject-with icmp-port-unreachable +1:60",
    ],
  },
  "length": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "3 send client → 10.0.0.2:53/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:257 ; filter -A INPUT -p udp -m length ! --length 0:100 -j REJECT --reject-with icmp-port-unreachable +1:229 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m length ! --length 0:100 -j REJECT --reject-with icmp-port-unreachable +1:229",
    ],
  },
  "ttl match after one hop": {
    reason: "engine bug: a ping answered by ICMP port-unreachable is reported as `refused` (not a ping result); the kernel's ping client sees `unreachable` — src/apps/probes.ts pingProbe (reported)",
    differences: [
      "4 ping client → 10.0.2.2 — result: kernel unreachable | nflab refused",
    ],
  },
  "tos and dscp, set by TOS and DSCP targets": {
    reason: "engine bug: DSCP values are saved as 0xa; iptables prints --set-dscp/--dscp as 0x%02x (0x0a) — src/netfilter/targets/mangle.ts, src/netfilter/matches/dscp.ts (reported)",
    differences: [
      "3 connect client → 10.0.0.2:8081/tcp at client — counters: kernel mangle :PREROUTING ACCEPT +1:40 ; mangle :INPUT ACCEPT +1:40 ; mangle :OUTPUT ACCEPT +1:60 ; mangle :POSTROUTING ACCEPT +1:60 ; mangle -A OUTPUT -p tcp -m tcp --dport 8081 -j DSCP --set-dscp 0x0a +1:60 | nflab mangle :PREROUTING ACCEPT +1:40 ; mangle :INPUT ACCEPT +1:40 ; mangle :OUTPUT ACCEPT +1:60 ; mangle :POSTROUTING ACCEPT +1:60 ; mangle -A OUTPUT -p tcp -m tcp --dport 8081 -j DSCP --set-dscp 0xa +1:60",
      "3 connect client → 10.0.0.2:8081/tcp at server — counters: kernel filter :OUTPUT ACCEPT +1:40 ; filter -A INPUT -p tcp -m dscp --dscp 0x0a -j REJECT --reject-with tcp-reset +1:60 | nflab filter :OUTPUT ACCEPT +1:40 ; filter -A INPUT -p tcp -m dscp --dscp 0xa -j REJECT --reject-with tcp-reset +1:60",
      "end at client — rules: kernel line 8: -A OUTPUT -p tcp -m tcp --dport 8081 -j DSCP --set-dscp 0x0a | nflab line 8: -A OUTPUT -p tcp -m tcp --dport 8081 -j DSCP --set-dscp 0xa",
      "end at server — rules: kernel line 6: -A INPUT -p tcp -m dscp --dscp 0x0a -j REJECT --reject-with tcp-reset | nflab line 6: -A INPUT -p tcp -m dscp --dscp 0xa -j REJECT --reject-with tcp-reset",
    ],
  },
  "pkttype": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "1 send client → 10.0.0.2:53/udp at server — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A INPUT -p udp -m pkttype --pkt-type unicast -j REJECT --reject-with icmp-port-unreachable +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A INPUT -p udp -m pkttype --pkt-type unicast -j REJECT --reject-with icmp-port-unreachable +1:34",
    ],
  },
  "TTL and TCPMSS targets": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported)",
    differences: [
      "1 send client → 10.0.2.2:53/udp at router — counters: kernel mangle :PREROUTING ACCEPT +1:34 ; mangle :OUTPUT ACCEPT +1:62 ; mangle :POSTROUTING ACCEPT +1:62 ; mangle -A PREROUTING -p udp -m udp --dport 53 -j TTL --ttl-set 1 +1:34 | nflab mangle :PREROUTING ACCEPT +1:34 ; mangle :OUTPUT ACCEPT +1:56 ; mangle :POSTROUTING ACCEPT +1:56 ; mangle -A PREROUTING -p udp -m udp --dport 53 -j TTL --ttl-set 1 +1:34",
      "2 connect client → 10.0.2.2:8080/tcp at router — counters: kernel mangle :PREROUTING ACCEPT +1:60 ; mangle :OUTPUT ACCEPT +1:88 ; mangle :POSTROUTING ACCEPT +1:88 ; mangle -A PREROUTING -p tcp -m tcp --dport 8080 -j TTL --ttl-set 1 +1:60 | nflab mangle :PREROUTING ACCEPT +1:60 ; mangle :OUTPUT ACCEPT +1:56 ; mangle :POSTROUTING ACCEPT +1:56 ; mangle -A PREROUTING -p tcp -m tcp --dport 8080 -j TTL --ttl-set 1 +1:60",
    ],
  },
  "blackhole, unreachable and prohibit routes": {
    reason: "engine bug: a sender's own `unreachable`/`prohibit` route fails with EHOSTUNREACH/EACCES, which the kernel-side client reports as `unreachable`; nflab reports every sender-side route error as `no-route` — src/apps/probes.ts classify (reported)",
    differences: [
      "7 connect client → 10.0.9.1:80/tcp — result: kernel unreachable | nflab no-route",
      "8 send router → 10.0.7.1:53/udp — result: kernel unreachable | nflab no-route",
    ],
  },
  "rp_filter strict and loose": {
    reason: "probe semantics: nflab's `send` reports `delivered` when the datagram reached a socket even though no answer came back (the echo's reply is lost in a routing loop); the kernel-side client reports `timeout` without an answer — src/apps/probes.ts sendProbe vs src/export/apps-py.ts (reported; the lead decides which is right)",
    differences: [
      "4 send client → 10.0.2.2:53/udp (src 10.0.3.5) — result: kernel timeout | nflab delivered",
      "4 send client → 10.0.2.2:53/udp (src 10.0.3.5) — server: kernel (none) | nflab server",
    ],
  },
  "scenario istio-sidecar.yaml": {
    reason: "engine bug: iptables-nft creates only the built-in chains a restore input declares (:CHAIN POLICY [p:b]) or appends to, and a chain created by -A alone has no policy counter; nflab walks and counts every built-in chain (extra nat INPUT/POSTROUTING policy steps and counters) — src/netfilter (reported)",
    differences: [
      "1 connect client → 10.244.0.5:8080/tcp at node/pod — trace: kernel PREROUTING nat/PREROUTING#1 JUMP:ISTIO_INBOUND ; PREROUTING nat/ISTIO_INBOUND#2 JUMP:ISTIO_IN_REDIRECT ; PREROUTING nat/ISTIO_IN_REDIRECT#1 ACCEPT | nflab PREROUTING nat/PREROUTING#1 JUMP:ISTIO_INBOUND ; PREROUTING nat/ISTIO_INBOUND#2 JUMP:ISTIO_IN_REDIRECT ; PREROUTING nat/ISTIO_IN_REDIRECT#1 ACCEPT ; INPUT nat/INPUT#policy ACCEPT",
      "1 connect client → 10.244.0.5:8080/tcp at node/pod — counters: kernel nat -A PREROUTING -p tcp -j ISTIO_INBOUND +1:60 ; nat -A OUTPUT -j ISTIO_OUTPUT +1:60 ; nat -A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT +1:60 ; nat -A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006 +1:60 ; nat -A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN +1:60 | nflab nat :INPUT ACCEPT +1:60 ; nat :OUTPUT ACCEPT +1:60 ; nat :POSTROUTING ACCEPT +1:60 ; nat -A PREROUTING -p tcp -j ISTIO_INBOUND +1:60 ; nat -A OUTPUT -j ISTIO_OUTPUT +1:60 ; nat -A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT +1:60 ; nat -A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006 +1:60 ; nat -A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN +1:60",
      "2 connect node/pod → 10.244.0.6:80/tcp at node/pod — trace: kernel OUTPUT nat/OUTPUT#1 JUMP:ISTIO_OUTPUT ; OUTPUT nat/ISTIO_OUTPUT#9 JUMP:ISTIO_REDIRECT ; OUTPUT nat/ISTIO_REDIRECT#1 ACCEPT | nflab OUTPUT nat/OUTPUT#1 JUMP:ISTIO_OUTPUT ; OUTPUT nat/ISTIO_OUTPUT#9 JUMP:ISTIO_REDIRECT ; OUTPUT nat/ISTIO_REDIRECT#1 ACCEPT ; POSTROUTING nat/POSTROUTING#policy ACCEPT",
      "2 connect node/pod → 10.244.0.6:80/tcp at node/pod — counters: kernel nat -A OUTPUT -j ISTIO_OUTPUT +2:120 ; nat -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN +1:60 ; nat -A ISTIO_OUTPUT -d 10.0.0.0/8 -j ISTIO_REDIRECT +1:60 ; nat -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001 +1:60 | nflab nat :OUTPUT ACCEPT +1:60 ; nat :POSTROUTING ACCEPT +2:120 ; nat -A OUTPUT -j ISTIO_OUTPUT +2:120 ; nat -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN +1:60 ; nat -A ISTIO_OUTPUT -d 10.0.0.0/8 -j ISTIO_REDIRECT +1:60 ; nat -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001 +1:60",
      "3 connect node/pod → 10.244.0.6:80/tcp (uid 1337) at node/pod — trace: kernel OUTPUT nat/OUTPUT#1 JUMP:ISTIO_OUTPUT ; OUTPUT nat/ISTIO_OUTPUT#4 RETURN ; OUTPUT nat/OUTPUT#policy ACCEPT | nflab OUTPUT nat/OUTPUT#1 JUMP:ISTIO_OUTPUT ; OUTPUT nat/ISTIO_OUTPUT#4 RETURN ; OUTPUT nat/OUTPUT#policy ACCEPT ; POSTROUTING nat/POSTROUTING#policy ACCEPT",
      "3 connect node/pod → 10.244.0.6:80/tcp (uid 1337) at node/pod — counters: kernel nat -A OUTPUT -j ISTIO_OUTPUT +1:60 ; nat -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN +1:60 | nflab nat :OUTPUT ACCEPT +1:60 ; nat :POSTROUTING ACCEPT +1:60 ; nat -A OUTPUT -j ISTIO_OUTPUT +1:60 ; nat -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN +1:60",
      "4 connect client → 10.244.0.5:15008/tcp at node/pod — trace: kernel PREROUTING nat/PREROUTING#1 JUMP:ISTIO_INBOUND ; PREROUTING nat/ISTIO_INBOUND#1 RETURN ; PREROUTING nat/PREROUTING#policy ACCEPT | nflab PREROUTING nat/PREROUTING#1 JUMP:ISTIO_INBOUND ; PREROUTING nat/ISTIO_INBOUND#1 RETURN ; PREROUTING nat/PREROUTING#policy ACCEPT ; INPUT nat/INPUT#policy ACCEPT",
      "4 connect client → 10.244.0.5:15008/tcp at node/pod — counters: kernel nat -A PREROUTING -p tcp -j ISTIO_INBOUND +1:60 ; nat -A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN +1:60 | nflab nat :PREROUTING ACCEPT +1:60 ; nat :INPUT ACCEPT +1:60 ; nat -A PREROUTING -p tcp -j ISTIO_INBOUND +1:60 ; nat -A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN +1:60",
      "5 connect node/pod → 192.0.2.10:80/tcp at node/pod — trace: kernel OUTPUT nat/OUTPUT#1 JUMP:ISTIO_OUTPUT ; OUTPUT nat/OUTPUT#policy ACCEPT | nflab OUTPUT nat/OUTPUT#1 JUMP:ISTIO_OUTPUT ; OUTPUT nat/OUTPUT#policy ACCEPT ; POSTROUTING nat/POSTROUTING#policy ACCEPT",
      "5 connect node/pod → 192.0.2.10:80/tcp at node/pod — counters: kernel nat -A OUTPUT -j ISTIO_OUTPUT +1:60 | nflab nat :OUTPUT ACCEPT +1:60 ; nat :POSTROUTING ACCEPT +1:60 ; nat -A OUTPUT -j ISTIO_OUTPUT +1:60",
    ],
  },
  "scenario multi-hop-nat.yaml": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported); and step 7: Linux reuses the client's ephemeral port for the same destination after a passive close, so the SYN meets r1's TIME_WAIT conntrack entry (no nat walk, no new entry); nflab picks a fresh random port (src/node/sockets.ts ephemeral; diagnosis not yet confirmed)",
    differences: [
      "5 send client → 198.51.100.2:5353/udp at r3 — counters: kernel filter :INPUT ACCEPT +1:34 ; filter :OUTPUT ACCEPT +1:62 ; nat :PREROUTING ACCEPT +1:34 ; nat :INPUT ACCEPT +1:34 | nflab filter :INPUT ACCEPT +1:34 ; filter :OUTPUT ACCEPT +1:56 ; nat :PREROUTING ACCEPT +1:34 ; nat :INPUT ACCEPT +1:34",
      "7 connect client → 198.51.100.2:80/tcp at r1 — trace: kernel (none) | nflab PREROUTING nat/PREROUTING#policy ACCEPT ; POSTROUTING nat/POSTROUTING#policy ACCEPT",
      "7 connect client → 198.51.100.2:80/tcp at r1 — counters: kernel (none) | nflab nat :PREROUTING ACCEPT +1:60 ; nat :POSTROUTING ACCEPT +1:60",
      "7 connect client → 198.51.100.2:80/tcp at r3 — counters: kernel filter -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT +2:148 ; filter -A FORWARD -d 192.168.50.10/32 -i eth0 -o eth1 -p tcp -m tcp --dport 8080 -m conntrack --ctstate DNAT -j ACCEPT +1:60 ; nat :POSTROUTING ACCEPT +1:60 ; nat -A PREROUTING -d 198.51.100.2/32 -i eth0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.50.10:8080 +1:60 | nflab filter -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT +2:116 ; filter -A FORWARD -d 192.168.50.10/32 -i eth0 -o eth1 -p tcp -m tcp --dport 8080 -m conntrack --ctstate DNAT -j ACCEPT +1:60 ; nat :POSTROUTING ACCEPT +1:60 ; nat -A PREROUTING -d 198.51.100.2/32 -i eth0 -p tcp -m tcp --dport 80 -j DNAT --to-destination 192.168.50.10:8080 +1:60",
      "end at r1 — conntrack: kernel icmp 10.1.0.10>198.51.100.2 type=8 code=0 reply 198.51.100.2>203.0.113.1 type=0 code=0 ; tcp SYN_SENT 10.1.0.10:*>192.168.50.10:8080 reply 192.168.50.10:8080>203.0.113.1:* [UNREPLIED] ; tcp TIME_WAIT 10.1.0.10:*>198.51.100.2:80 reply 198.51.100.2:80>203.0.113.1:* [ASSURED] ; udp 10.1.0.10:*>198.51.100.2:5353 reply 198.51.100.2:5353>203.0.113.1:* [UNREPLIED] | nflab icmp 10.1.0.10>198.51.100.2 type=8 code=0 reply 198.51.100.2>203.0.113.1 type=0 code=0 ; tcp SYN_SENT 10.1.0.10:*>192.168.50.10:8080 reply 192.168.50.10:8080>203.0.113.1:* [UNREPLIED] ; tcp SYN_SENT 10.1.0.10:*>198.51.100.2:80 reply 198.51.100.2:80>10.1.0.10:* [UNREPLIED] ; tcp TIME_WAIT 10.1.0.10:*>198.51.100.2:80 reply 198.51.100.2:80>203.0.113.1:* [ASSURED] ; udp 10.1.0.10:*>198.51.100.2:5353 reply 198.51.100.2:5353>203.0.113.1:* [UNREPLIED]",
    ],
  },
  "scenario reject-variants.yaml": {
    reason: "engine bug: ICMP errors nflab sends quote only the offending packet's IP header and 8 bytes (56 bytes in all); Linux quotes as much as fits in 576 bytes (62 for a 34-byte datagram, 88 for a 60-byte SYN) — src/node/icmp.ts / src/netfilter/targets/reject.ts (reported); and a SYN rejected with tcp-reset in FORWARD leaves a SYN_SENT conntrack entry in nflab, where the kernel drops the unconfirmed entry with the packet — src/netfilter/conntrack or the REJECT path (reported)",
    differences: [
      "3 connect client → 192.168.10.10:82/tcp at fw — counters: kernel filter :OUTPUT ACCEPT +1:88 ; filter -A FORWARD -p tcp -m tcp --dport 82 -j REJECT --reject-with icmp-port-unreachable +1:60 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A FORWARD -p tcp -m tcp --dport 82 -j REJECT --reject-with icmp-port-unreachable +1:60",
      "4 connect client → 192.168.10.10:83/tcp at fw — counters: kernel filter :OUTPUT ACCEPT +1:88 ; filter -A FORWARD -p tcp -m tcp --dport 83 -j REJECT --reject-with icmp-host-prohibited +1:60 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A FORWARD -p tcp -m tcp --dport 83 -j REJECT --reject-with icmp-host-prohibited +1:60",
      "5 connect client → 192.168.10.10:84/tcp at fw — counters: kernel filter :OUTPUT ACCEPT +1:88 ; filter -A FORWARD -p tcp -m tcp --dport 84 -j REJECT --reject-with icmp-admin-prohibited +1:60 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A FORWARD -p tcp -m tcp --dport 84 -j REJECT --reject-with icmp-admin-prohibited +1:60",
      "6 connect client → 192.168.10.10:85/tcp at fw — counters: kernel filter :OUTPUT ACCEPT +1:88 ; filter -A FORWARD -p tcp -m tcp --dport 85 -j REJECT --reject-with icmp-net-unreachable +1:60 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A FORWARD -p tcp -m tcp --dport 85 -j REJECT --reject-with icmp-net-unreachable +1:60",
      "8 connect client → 192.168.10.10:87/tcp at fw — counters: kernel filter :OUTPUT ACCEPT +1:88 ; filter -A FORWARD -p tcp -m tcp --dport 87 -j REJECT --reject-with icmp-host-unreachable +1:60 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A FORWARD -p tcp -m tcp --dport 87 -j REJECT --reject-with icmp-host-unreachable +1:60",
      "9 send client → 192.168.10.10:53/udp at fw — counters: kernel filter :OUTPUT ACCEPT +1:62 ; filter -A FORWARD -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable +1:34 | nflab filter :OUTPUT ACCEPT +1:56 ; filter -A FORWARD -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable +1:34",
      "end at fw — conntrack: kernel icmp 10.0.0.10>10.0.0.1 type=8 code=0 reply 10.0.0.1>10.0.0.10 type=0 code=0 ; tcp TIME_WAIT 10.0.0.10:*>192.168.10.10:80 reply 192.168.10.10:80>10.0.0.10:* [ASSURED] | nflab icmp 10.0.0.10>10.0.0.1 type=8 code=0 reply 10.0.0.1>10.0.0.10 type=0 code=0 ; tcp SYN_SENT 10.0.0.10:*>192.168.10.10:81 reply 192.168.10.10:81>10.0.0.10:* [UNREPLIED] ; tcp TIME_WAIT 10.0.0.10:*>192.168.10.10:80 reply 192.168.10.10:80>10.0.0.10:* [ASSURED]",
    ],
  },
};
