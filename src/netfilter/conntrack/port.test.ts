import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { formatIpv4 } from '../../packet/ipv4.js';
import { TCP_SYN } from '../../packet/packet.js';
import { emptyRange } from '../nat/core.js';
import { NamespaceConntrack, type TrackedSkb } from './port.js';
import { ManualClock, ip, skbOf, tcp, udp } from './testkit.js';

const tracked = (s: ReturnType<typeof skbOf>, zone = 0, notrack = false): TrackedSkb => ({ ...s, zone, notrack });

describe('NamespaceConntrack (the packet path port)', () => {
  it('runs a MASQUERADEd flow through inbound, setup, apply and confirm, and lists it', () => {
    const ns = new NamespaceConntrack({ timers: new ManualClock(), sysctl: () => undefined }, new Rng(1));
    const skb = tracked(skbOf(tcp('172.17.0.2', 40000, '198.51.100.10', 443, TCP_SYN, 1), 'docker0', 'eth0'));
    ns.inbound(skb);
    expect(ns.natInitialized(skb.ct!, 'SRC')).toBe(false);
    expect(ns.natSetup(skb, 'SRC', { ...emptyRange(), mapIps: true, minIp: ip('198.51.100.1'), maxIp: ip('198.51.100.1') }, 'MASQUERADE')).toBe('ACCEPT');
    expect(ns.natApply(skb, 'POSTROUTING')).toBe(true);
    expect(ns.confirm(skb)).toBe(true);
    expect(formatIpv4(skb.pkt.src)).toBe('198.51.100.1');
    expect(ns.plain()[0]).toMatchObject({ proto: 'tcp', state: 'SYN_SENT', reply: { dst: '198.51.100.1', dport: 40000 } });
    // Rerouted out of another interface, the masqueraded flow is dropped and forgotten.
    const moved = tracked(skbOf(tcp('172.17.0.2', 40000, '198.51.100.10', 443, TCP_SYN, 1), 'docker0', 'eth1'));
    ns.inbound(moved);
    expect(moved.ctState).toBe('NEW');
    expect(ns.natApply(moved, 'POSTROUTING')).toBe(false);
    expect(ns.table.count).toBe(0);
    const again = tracked(skbOf(tcp('172.17.0.2', 40001, '198.51.100.10', 443, TCP_SYN, 1), 'docker0', 'eth0'));
    ns.inbound(again);
    ns.natSetup(again, 'SRC', { ...emptyRange(), mapIps: true, minIp: ip('198.51.100.1'), maxIp: ip('198.51.100.1') }, 'MASQUERADE');
    ns.confirm(again);
    expect(ns.table.removeMasqueradedVia('eth0')).toHaveLength(1);
  });

  it('honours NOTRACK and zones, NETMAP, and answers conntrack commands', () => {
    const ns = new NamespaceConntrack({ timers: new ManualClock(), sysctl: () => undefined }, new Rng(1));
    const nt = tracked(skbOf(udp('10.0.0.1', 1, '10.0.0.2', 2)), 0, true);
    ns.inbound(nt);
    expect(nt.ctState).toBe('UNTRACKED');
    const z = tracked(skbOf(udp('10.0.0.1', 1, '10.0.0.2', 2)), 7);
    ns.inbound(z);
    expect(ns.natSetup(z, 'DST', { ...emptyRange(), mapIps: true, minIp: ip('192.168.0.0'), maxIp: ip('192.168.0.255') }, 'NETMAP')).toBe('ACCEPT');
    ns.natApply(z, 'PREROUTING');
    ns.confirm(z);
    expect(formatIpv4(z.pkt.dst)).toBe('192.168.0.2');
    expect(ns.command(['-L', '-w', '7']).stdout).toContain('zone=7 use=1');
    expect(ns.command(['-C']).stdout).toBe('1\n');
  });
});
