/** Every match and target nflab knows, registered from this one explicit list (no import side effects). */
import type { MatchDef, TargetDef } from './ext.js';
import { addrtypeMatch } from './matches/addrtype.js';
import { commentMatch } from './matches/comment.js';
import { connlimitMatch } from './matches/connlimit.js';
import { conntrackMatch, stateMatch } from './matches/conntrack.js';
import { dscpMatch } from './matches/dscp.js';
import { hashlimitMatch } from './matches/hashlimit.js';
import { icmpMatch } from './matches/icmp.js';
import { iprangeMatch } from './matches/iprange.js';
import { lengthMatch } from './matches/length.js';
import { limitMatch } from './matches/limit.js';
import { macMatch } from './matches/mac.js';
import { connmarkMatch, markMatch } from './matches/mark.js';
import { multiportMatch } from './matches/multiport.js';
import { nfacctMatch } from './matches/nfacct.js';
import { ownerMatch } from './matches/owner.js';
import { physdevMatch } from './matches/physdev.js';
import { pkttypeMatch } from './matches/pkttype.js';
import { recentMatch } from './matches/recent.js';
import { rpfilterMatch } from './matches/rpfilter.js';
import { sctpMatch } from './matches/sctp.js';
import { dccpMatch } from './matches/dccp.js';
import { setMatch } from './matches/set.js';
import { statisticMatch } from './matches/statistic.js';
import { tcpMatch } from './matches/tcp.js';
import { tosMatch } from './matches/tos.js';
import { ttlMatch } from './matches/ttl.js';
import { udpMatch } from './matches/udp.js';
import { connmarkTarget } from './targets/connmark.js';
import { ctTarget } from './targets/ct.js';
import { logTarget, nflogTarget } from './targets/log.js';
import { dscpTarget, tcpmssTarget, tosTarget, ttlTarget } from './targets/mangle.js';
import { markTarget } from './targets/mark.js';
import { dnatTarget, masqueradeTarget, netmapTarget, redirectTarget, snatTarget } from './targets/nat.js';
import { rejectTarget } from './targets/reject.js';
import { checksumTarget, nfqueueTarget, notrackTarget, traceTarget } from './targets/simple.js';
import { tproxyTarget } from './targets/tproxy.js';

export const MATCHES: ReadonlyMap<string, MatchDef> = new Map(
  [
    tcpMatch,
    udpMatch,
    icmpMatch,
    sctpMatch,
    dccpMatch,
    conntrackMatch,
    stateMatch,
    addrtypeMatch,
    ownerMatch,
    multiportMatch,
    markMatch,
    commentMatch,
    limitMatch,
    recentMatch,
    statisticMatch,
    connmarkMatch,
    iprangeMatch,
    macMatch,
    pkttypeMatch,
    lengthMatch,
    ttlMatch,
    tosMatch,
    dscpMatch,
    physdevMatch,
    setMatch,
    hashlimitMatch,
    connlimitMatch,
    nfacctMatch,
    rpfilterMatch,
  ].map((m) => [m.name, m]),
);

export const TARGETS: ReadonlyMap<string, TargetDef> = new Map(
  [
    rejectTarget,
    logTarget,
    nflogTarget,
    markTarget,
    connmarkTarget,
    ctTarget,
    notrackTarget,
    traceTarget,
    checksumTarget,
    tcpmssTarget,
    ttlTarget,
    dscpTarget,
    tosTarget,
    nfqueueTarget,
    dnatTarget,
    snatTarget,
    masqueradeTarget,
    redirectTarget,
    netmapTarget,
    tproxyTarget,
  ].map((t) => [t.name, t]),
);

/** Matches iptables loads by itself after `-p NAME` when an unknown option follows. */
export const IMPLICIT_BY_PROTO: ReadonlyMap<number, string> = new Map([
  [6, 'tcp'],
  [17, 'udp'],
  [1, 'icmp'],
  [132, 'sctp'],
  [33, 'dccp'],
]);

export const STANDARD_VERDICTS = ['ACCEPT', 'DROP', 'RETURN', 'QUEUE'] as const;
