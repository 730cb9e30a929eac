import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { formatIpv4 } from '../../packet/ipv4.js';
import { TCP_ACK, TCP_FIN, TCP_SYN, type Packet } from '../../packet/packet.js';
import type { CtEntry } from '../conntrack/entry.js';
import { Conntrack } from '../conntrack/table.js';
import { ManualClock, icmpEcho, icmpError, ip, skbOf, tcp, udp } from '../conntrack/testing/testkit.js';
import { IPS_DST_NAT, IPS_SRC_NAT, IPS_SRC_NAT_DONE, type NatRange, type Skb, type Verdict } from '../types.js';
import { bestIp, emptyRange, natSetup } from './core.js';
import { natHook } from './hook.js';
import { masquerade, netmap, redirect } from './targets.js';

type Rule = (ct: Conntrack, e: CtEntry, skb: Skb, rng: Rng) => Verdict;

/** A forwarding namespace: conntrack at PREROUTING, nat at PREROUTING and POSTROUTING, confirm last. */
function router(seed = 1, rules: { pre?: Rule; post?: Rule; out?: Rule } = {}) {
  const clock = new ManualClock();
  const ct = new Conntrack({ timers: clock, sysctl: () => undefined });
  const rng = new Rng(seed);
  const run = (r: Rule | undefined, skb: Skb) => () => (r && skb.ct ? r(ct, skb.ct as CtEntry, skb, rng) : 'ACCEPT');
  const forward = (p: Packet, outIf = 'eth1'): { skb: Skb; verdict: Verdict | 'CLASH' } => {
    const skb = skbOf(p, 'eth0', outIf);
    ct.inbound(skb);
    let v = natHook(ct, skb, 'PREROUTING', rng, run(rules.pre, skb));
    if (v === 'ACCEPT') v = natHook(ct, skb, 'POSTROUTING', rng, run(rules.post, skb));
    if (v !== 'ACCEPT') return { skb, verdict: v };
    return { skb, verdict: ct.confirm(skb) ? 'ACCEPT' : 'CLASH' };
  };
  /** A packet the router itself sends (OUTPUT then POSTROUTING). */
  const local = (p: Packet): Skb => {
    const skb = skbOf(p, null, 'eth1');
    ct.inbound(skb);
    natHook(ct, skb, 'OUTPUT', rng, run(rules.out, skb));
    natHook(ct, skb, 'POSTROUTING', rng, run(rules.post, skb));
    ct.confirm(skb);
    return skb;
  };
  return { clock, ct, rng, forward, local };
}

const masq: Rule = (ct, e, skb, rng) => (skb.outIf === 'eth1' ? masquerade(ct, e, emptyRange(), ip('10.0.2.1'), 'eth1', rng) : 'ACCEPT');
const range = (over: Partial<NatRange>): NatRange => ({ ...emptyRange(), ...over });
const hostOf = (e: CtEntry) => ({ reply: `${formatIpv4(e.reply.src)}:${e.reply.sport}->${formatIpv4(e.reply.dst)}:${e.reply.dport}` });

describe('SNAT / MASQUERADE', () => {
  it('keeps the source port when it is free, and picks another for a second client with the same port', () => {
    // Kernel (exp1, MASQUERADE out eth1): first client keeps 40000; second got 63501 in one run
    // (get_random_u16(): a fresh random offset in 1024..65535 each time).
    const r = router(1, { post: masq });
    const a = r.forward(tcp('10.0.1.2', 40000, '10.0.2.2', 80, TCP_SYN, 1));
    expect(a.verdict).toBe('ACCEPT');
    expect(formatIpv4(a.skb.pkt.src)).toBe('10.0.2.1');
    expect(a.skb.pkt.tcp!.sport).toBe(40000);
    expect((a.skb.ct as CtEntry).status & IPS_SRC_NAT).toBe(IPS_SRC_NAT);

    const b = r.forward(tcp('10.0.1.3', 40000, '10.0.2.2', 80, TCP_SYN, 1));
    const port = b.skb.pkt.tcp!.sport;
    expect(port).not.toBe(40000);
    expect(port).toBeGreaterThanOrEqual(1024);
    expect(hostOf(b.skb.ct as CtEntry).reply).toBe(`10.0.2.2:80->10.0.2.1:${port}`);

    // The choice comes from the seeded Rng: same seed, same port; another seed, (almost surely) another.
    const again = router(1, { post: masq });
    again.forward(tcp('10.0.1.2', 40000, '10.0.2.2', 80, TCP_SYN, 1));
    expect(again.forward(tcp('10.0.1.3', 40000, '10.0.2.2', 80, TCP_SYN, 1)).skb.pkt.tcp!.sport).toBe(port);
    const other = router(99, { post: masq });
    other.forward(tcp('10.0.1.2', 40000, '10.0.2.2', 80, TCP_SYN, 1));
    expect(other.forward(tcp('10.0.1.3', 40000, '10.0.2.2', 80, TCP_SYN, 1)).skb.pkt.tcp!.sport).not.toBe(port);
  });

  it('translates replies back and keeps low ports low', () => {
    const r = router(3, { post: masq });
    r.forward(tcp('10.0.1.2', 700, '10.0.2.2', 80, TCP_SYN, 1));
    const b = r.forward(tcp('10.0.1.3', 700, '10.0.2.2', 80, TCP_SYN, 1)).skb.pkt.tcp!.sport;
    expect(b).toBeGreaterThanOrEqual(600);
    expect(b).toBeLessThanOrEqual(1023);
    const reply = r.forward(tcp('10.0.2.2', 80, '10.0.2.1', b, TCP_SYN | TCP_ACK, 9, 2), 'eth0');
    expect(reply.skb.ctReply).toBe(true);
    expect(formatIpv4(reply.skb.pkt.dst)).toBe('10.0.1.3');
    expect(reply.skb.pkt.tcp!.dport).toBe(700);
  });

  it('maps into --to-source ports when the original port is outside them, and honours --random', () => {
    const snat: Rule = (ct, e, _s, rng) =>
      natSetup(
        ct,
        e,
        'SRC',
        range({ mapIps: true, minIp: ip('10.0.2.1'), maxIp: ip('10.0.2.1'), protoSpecified: true, minPort: 2000, maxPort: 2010 }),
        rng,
      );
    const r = router(5, { post: snat });
    const seen = new Set<number>();
    for (let i = 0; i < 11; i++) seen.add(r.forward(udp('10.0.1.2', 40000 + i, '10.0.2.2', 53)).skb.pkt.udp!.sport);
    expect([...seen].every((p) => p >= 2000 && p <= 2010)).toBe(true);
    expect(seen.size).toBe(11);

    const rnd: Rule = (ct, e, _s, rng) =>
      natSetup(ct, e, 'SRC', range({ mapIps: true, minIp: ip('10.0.2.1'), maxIp: ip('10.0.2.1'), random: true }), rng);
    const rr = router(5, { post: rnd });
    expect(rr.forward(udp('10.0.1.2', 40000, '10.0.2.2', 53)).skb.pkt.udp!.sport).not.toBe(40000);
  });

  it('keeps one source mapping for one client port towards different servers', () => {
    const r = router(7, { post: masq });
    r.forward(udp('10.0.1.2', 5000, '10.0.2.2', 53));
    const p2 = r.forward(udp('10.0.1.3', 5000, '10.0.2.2', 53)).skb.pkt.udp!.sport;
    expect(r.forward(udp('10.0.1.3', 5000, '10.0.2.3', 53)).skb.pkt.udp!.sport).toBe(p2);
  });

  it('gives the router its own connection a new source port when a NATed flow already holds the tuple (null binding)', () => {
    // nf_nat_used_tuple's own example: INITIATOR:40000 SNATed to NAT:40000, then NAT itself connects from :40000.
    const r = router(11, { post: masq });
    r.forward(tcp('10.0.1.2', 40000, '10.0.2.2', 80, TCP_SYN, 1));
    const own = r.local(tcp('10.0.2.1', 40000, '10.0.2.2', 80, TCP_SYN, 1));
    const e = own.ct as CtEntry;
    expect(own.pkt.tcp!.sport).not.toBe(40000);
    expect(e.status & IPS_SRC_NAT).toBe(IPS_SRC_NAT);
    expect(r.ct.count).toBe(2);
    // Without a clash the identity binding changes nothing.
    const free = r.local(tcp('10.0.2.1', 40001, '10.0.2.2', 80, TCP_SYN, 1));
    expect(free.pkt.tcp!.sport).toBe(40001);
    expect((free.ct as CtEntry).status & (IPS_SRC_NAT | IPS_SRC_NAT_DONE)).toBe(IPS_SRC_NAT_DONE);
  });

  it('re-maps a clashing ICMP echo id', () => {
    const r = router(13, { post: masq });
    expect(r.forward(icmpEcho('10.0.1.2', '10.0.2.2', 77, 1)).skb.pkt.icmp!.id).toBe(77);
    const id = r.forward(icmpEcho('10.0.1.3', '10.0.2.2', 77, 1)).skb.pkt.icmp!.id;
    expect(id).not.toBe(77);
    const rep = r.forward(icmpEcho('10.0.2.2', '10.0.2.1', id, 1, true), 'eth0');
    expect(formatIpv4(rep.skb.pkt.dst)).toBe('10.0.1.3');
    expect(rep.skb.pkt.icmp!.id).toBe(77);
  });

  it('reclaims a port held by a SNATed TIME_WAIT entry for a newer SYN when the range is exhausted', () => {
    const snat: Rule = (ct, e, _s, rng) =>
      natSetup(
        ct,
        e,
        'SRC',
        range({ mapIps: true, minIp: ip('10.0.2.1'), maxIp: ip('10.0.2.1'), protoSpecified: true, minPort: 2000, maxPort: 2001 }),
        rng,
      );
    const r = router(21, { post: snat });
    const ports: number[] = [];
    for (const c of ['10.0.1.2', '10.0.1.3']) {
      const p = r.forward(tcp(c, 5000, '10.0.2.2', 80, TCP_SYN, 1000)).skb.pkt.tcp!.sport;
      ports.push(p);
      r.forward(tcp('10.0.2.2', 80, '10.0.2.1', p, TCP_SYN | TCP_ACK, 7000, 1001), 'eth0');
      r.forward(tcp(c, 5000, '10.0.2.2', 80, TCP_ACK | TCP_FIN, 1001, 7001));
      r.forward(tcp('10.0.2.2', 80, '10.0.2.1', p, TCP_ACK | TCP_FIN, 7001, 1002), 'eth0');
      r.forward(tcp(c, 5000, '10.0.2.2', 80, TCP_ACK, 1002, 7002));
    }
    expect(ports.sort()).toEqual([2000, 2001]);
    expect(r.ct.entries().map((e) => e.protoStateName())).toEqual(['TIME_WAIT', 'TIME_WAIT']);
    const fresh = r.forward(tcp('10.0.1.4', 5000, '10.0.2.2', 80, TCP_SYN, 90000));
    expect(fresh.verdict).toBe('ACCEPT');
    expect(ports).toContain(fresh.skb.pkt.tcp!.sport);
    expect(
      r.ct
        .entries()
        .map((e) => e.protoStateName())
        .sort(),
    ).toEqual(['SYN_SENT', 'TIME_WAIT']);
    // An older sequence number may not take it over: the tuple stays taken and confirm refuses the clash.
    const stale = r.forward(tcp('10.0.1.5', 5000, '10.0.2.2', 80, TCP_SYN, 10));
    expect(stale.verdict).toBe('CLASH');
  });

  it('drops masqueraded entries when their interface loses its address', () => {
    const r = router(1, { post: masq });
    r.forward(udp('10.0.1.2', 5000, '10.0.2.2', 53));
    r.forward(udp('10.0.1.2', 5001, '10.0.2.2', 53), 'eth2');
    expect(r.ct.removeMasqueradedVia('eth1')).toHaveLength(1);
    expect(r.ct.count).toBe(1);
  });
});

describe('DNAT', () => {
  it('chooses an address in a range by the kernel hash of source and destination', () => {
    // Kernel (exp1): -j DNAT --to-destination 10.0.2.10-10.0.2.20, UDP to 10.0.2.100 from 10.0.1.2 .. 10.0.1.9:
    const kernel: Record<string, string> = {
      '10.0.1.2': '10.0.2.20',
      '10.0.1.3': '10.0.2.20',
      '10.0.1.4': '10.0.2.17',
      '10.0.1.5': '10.0.2.15',
      '10.0.1.6': '10.0.2.10',
      '10.0.1.7': '10.0.2.10',
      '10.0.1.8': '10.0.2.20',
      '10.0.1.9': '10.0.2.18',
    };
    const dnat: Rule = (ct, e, _s, rng) =>
      natSetup(ct, e, 'DST', range({ mapIps: true, minIp: ip('10.0.2.10'), maxIp: ip('10.0.2.20') }), rng);
    const r = router(1, { pre: dnat });
    for (const [src, dst] of Object.entries(kernel)) {
      const f = r.forward(udp(src, 6000, '10.0.2.100', 9999));
      expect(formatIpv4(f.skb.pkt.dst)).toBe(dst);
      expect(f.skb.pkt.udp!.dport).toBe(9999);
      expect(((f.skb.ct as CtEntry).status & IPS_DST_NAT) !== 0).toBe(true);
    }
    // --persistent drops the destination from the hash, so the choice follows the source alone.
    const p = range({ mapIps: true, minIp: ip('10.0.2.10'), maxIp: ip('10.0.2.20'), persistent: true });
    const t = (dst: string) => ({ src: ip('10.0.1.2'), dst: ip(dst), proto: 17, sport: 1, dport: 2 });
    expect(bestIp(t('10.0.2.100'), p, 0)).toBe(bestIp(t('10.9.9.9'), p, 0));
  });

  it('rewrites the destination port and reverses it for the reply', () => {
    const dnat: Rule = (ct, e, _s, rng) =>
      natSetup(
        ct,
        e,
        'DST',
        range({ mapIps: true, minIp: ip('172.17.0.2'), maxIp: ip('172.17.0.2'), protoSpecified: true, minPort: 80, maxPort: 80 }),
        rng,
      );
    const r = router(1, { pre: dnat });
    const f = r.forward(tcp('198.51.100.10', 40000, '198.51.100.1', 8080, TCP_SYN, 1), 'docker0');
    expect(`${formatIpv4(f.skb.pkt.dst)}:${f.skb.pkt.tcp!.dport}`).toBe('172.17.0.2:80');
    const back = r.forward(tcp('172.17.0.2', 80, '198.51.100.10', 40000, TCP_SYN | TCP_ACK, 7, 2), 'eth0');
    expect(`${formatIpv4(back.skb.pkt.src)}:${back.skb.pkt.tcp!.sport}`).toBe('198.51.100.1:8080');
    const next = r.forward(tcp('198.51.100.10', 40000, '198.51.100.1', 8080, TCP_ACK, 2, 8), 'docker0');
    expect(next.skb.ctState).toBe('ESTABLISHED');
    expect(`${formatIpv4(next.skb.pkt.dst)}:${next.skb.pkt.tcp!.dport}`).toBe('172.17.0.2:80');
  });

  it('REDIRECT and NETMAP', () => {
    const redir: Rule = (ct, e, _s, rng) =>
      redirect(ct, e, range({ protoSpecified: true, minPort: 15001, maxPort: 15001 }), ip('10.0.1.1'), rng);
    const r = router(1, { pre: redir });
    const f = r.forward(tcp('10.0.1.2', 40000, '10.96.0.10', 80, TCP_SYN, 1));
    expect(`${formatIpv4(f.skb.pkt.dst)}:${f.skb.pkt.tcp!.dport}`).toBe('10.0.1.1:15001');
    expect(r.ct.originalDst({ addr: ip('10.0.1.1'), port: 15001 }, { addr: ip('10.0.1.2'), port: 40000 })).toEqual({
      addr: ip('10.96.0.10'),
      port: 80,
    });

    const nm: Rule = (ct, e, skb, rng) =>
      netmap(ct, e, 'DST', range({ mapIps: true, minIp: ip('192.168.5.0'), maxIp: ip('192.168.5.255') }), skb.pkt.dst, rng);
    const n = router(1, { pre: nm });
    expect(formatIpv4(n.forward(udp('10.0.1.2', 1, '10.7.7.42', 2)).skb.pkt.dst)).toBe('192.168.5.42');
  });
});

describe('ICMP errors through NAT', () => {
  it('translates a port-unreachable for a masqueraded UDP flow, outer and quoted packet', () => {
    const r = router(17, { post: masq });
    r.forward(udp('10.0.1.2', 5000, '10.0.2.2', 53));
    const sent = r.forward(udp('10.0.1.3', 5000, '10.0.2.2', 53)).skb.pkt;
    const mapped = sent.udp!.sport;
    expect(mapped).not.toBe(5000);
    // What the server sends back: about the packet it received (from 10.0.2.1:mapped).
    const err = r.forward(icmpError('10.0.2.2', '10.0.2.1', 3, 3, udp('10.0.2.1', mapped, '10.0.2.2', 53)), 'eth0');
    expect(err.skb.ctState).toBe('RELATED');
    expect(err.skb.ctReply).toBe(true);
    expect(err.verdict).toBe('ACCEPT');
    const p = err.skb.pkt;
    expect(formatIpv4(p.src)).toBe('10.0.2.2');
    expect(formatIpv4(p.dst)).toBe('10.0.1.3');
    const q = p.icmp!.quoted!;
    expect(`${formatIpv4(q.src)}:${q.udp!.sport}->${formatIpv4(q.dst)}:${q.udp!.dport}`).toBe('10.0.1.3:5000->10.0.2.2:53');
    expect(p.icmp!.type).toBe(3);
  });

  it('translates a time-exceeded sent by a router behind a DNAT', () => {
    const dnat: Rule = (ct, e, _s, rng) =>
      natSetup(ct, e, 'DST', range({ mapIps: true, minIp: ip('172.17.0.2'), maxIp: ip('172.17.0.2') }), rng);
    const r = router(1, { pre: dnat });
    r.forward(udp('198.51.100.10', 33434, '198.51.100.1', 33434));
    const err = r.forward(icmpError('172.17.0.254', '198.51.100.10', 11, 0, udp('198.51.100.10', 33434, '172.17.0.2', 33434)), 'eth0');
    expect(err.skb.ctState).toBe('RELATED');
    // It travels towards the client: the flow's reply direction.
    expect(err.skb.ctReply).toBe(true);
    const q = err.skb.pkt.icmp!.quoted!;
    expect(`${formatIpv4(q.src)}->${formatIpv4(q.dst)}`).toBe('198.51.100.10->198.51.100.1');
    // The outer header is made to look like a reply to the client's packet: it comes from the address the client used.
    expect(`${formatIpv4(err.skb.pkt.src)}->${formatIpv4(err.skb.pkt.dst)}`).toBe('198.51.100.1->198.51.100.10');
  });
});
