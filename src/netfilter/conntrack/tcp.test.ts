import { describe, expect, it } from 'vitest';
import { SEC } from '../../core/time.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet } from '../../packet/packet.js';
import { IPS_ASSURED, IPS_SEEN_REPLY } from '../types.js';
import { type CtEntry } from './entry.js';
import { Conntrack, type CtEvent } from './table.js';
import { ManualClock, skbOf, tcp } from './testing/testkit.js';

const C = '10.0.1.2';
const S = '10.0.1.1';

function setup(sysctls: Record<string, string> = {}) {
  const clock = new ManualClock();
  const events: CtEvent[] = [];
  const ct = new Conntrack({ timers: clock, sysctl: (n) => sysctls[n], onEvent: (e) => events.push(e) });
  // What a server namespace does: track at PREROUTING/OUTPUT, confirm at INPUT/POSTROUTING.
  const pass = (p: Packet) => {
    const skb = skbOf(p);
    ct.inbound(skb);
    const confirmed = ct.confirm(skb);
    return { skb, confirmed, entry: skb.ct as CtEntry | null };
  };
  return { clock, ct, events, pass };
}

function handshake(s: ReturnType<typeof setup>) {
  s.pass(tcp(C, 41002, S, 80, TCP_SYN, 1000));
  s.pass(tcp(S, 80, C, 41002, TCP_SYN | TCP_ACK, 5000, 1001));
  return s.pass(tcp(C, 41002, S, 80, TCP_ACK, 1001, 5001));
}

describe('TCP tracking', () => {
  it('walks the handshake, data and an active close to TIME_WAIT with the kernel timeouts', () => {
    const s = setup();
    const syn = s.pass(tcp(C, 41002, S, 80, TCP_SYN, 1000));
    expect(syn.skb.ctState).toBe('NEW');
    expect(syn.entry!.protoStateName()).toBe('SYN_SENT');
    expect(syn.entry!.expiresInSeconds()).toBe(120);
    expect(syn.entry!.status & IPS_SEEN_REPLY).toBe(0);

    const synack = s.pass(tcp(S, 80, C, 41002, TCP_SYN | TCP_ACK, 5000, 1001));
    expect(synack.skb.ctState).toBe('ESTABLISHED');
    expect(synack.skb.ctReply).toBe(true);
    expect(synack.entry!.protoStateName()).toBe('SYN_RECV');
    expect(synack.entry!.expiresInSeconds()).toBe(60);

    // Kernel (socat connection held open): "tcp 6 431999 ESTABLISHED ... [ASSURED]".
    const ack = s.pass(tcp(C, 41002, S, 80, TCP_ACK, 1001, 5001));
    expect(ack.skb.ctState).toBe('ESTABLISHED');
    expect(ack.entry!.protoStateName()).toBe('ESTABLISHED');
    expect(ack.entry!.status & IPS_ASSURED).toBe(IPS_ASSURED);
    s.clock.advance(1);
    expect(ack.entry!.expiresInSeconds()).toBe(431999);

    // Unacknowledged data shortens the timeout to 300 s until the peer acks it.
    s.pass(tcp(C, 41002, S, 80, TCP_ACK, 1001, 5001, 10));
    expect(ack.entry!.expiresInSeconds()).toBe(300);
    s.pass(tcp(S, 80, C, 41002, TCP_ACK, 5001, 1011));
    expect(ack.entry!.expiresInSeconds()).toBe(432000);

    s.pass(tcp(C, 41002, S, 80, TCP_FIN | TCP_ACK, 1011, 5001));
    expect(ack.entry!.protoStateName()).toBe('FIN_WAIT');
    expect(ack.entry!.expiresInSeconds()).toBe(120);
    s.pass(tcp(S, 80, C, 41002, TCP_ACK, 5001, 1012));
    expect(ack.entry!.protoStateName()).toBe('CLOSE_WAIT');
    expect(ack.entry!.expiresInSeconds()).toBe(60);
    s.pass(tcp(S, 80, C, 41002, TCP_FIN | TCP_ACK, 5001, 1012));
    expect(ack.entry!.protoStateName()).toBe('LAST_ACK');
    expect(ack.entry!.expiresInSeconds()).toBe(30);
    // Kernel after the close: "tcp 6 119 TIME_WAIT ... [ASSURED]".
    s.pass(tcp(C, 41002, S, 80, TCP_ACK, 1012, 5002));
    expect(ack.entry!.protoStateName()).toBe('TIME_WAIT');
    s.clock.advance(SEC);
    expect(ack.entry!.expiresInSeconds()).toBe(119);

    s.clock.advance(119 * SEC - 1);
    expect(s.ct.entries()).toHaveLength(1);
    s.clock.advance(1);
    expect(s.ct.entries()).toHaveLength(0);
    expect(s.events.map((e) => e.type)).toContain('destroy');
    expect(s.events[0].type).toBe('new');
  });

  it('RST closes an established entry for 10 s', () => {
    const s = setup();
    const { entry } = handshake(s);
    const rst = s.pass(tcp(C, 41002, S, 80, TCP_RST, 1001));
    expect(rst.skb.ctState).toBe('ESTABLISHED');
    expect(entry!.protoStateName()).toBe('CLOSE');
    expect(entry!.expiresInSeconds()).toBe(10);
    s.clock.advance(10 * SEC);
    expect(s.ct.entries()).toHaveLength(0);
  });

  it('a refused connection (RST as the only answer) leaves no entry', () => {
    // Kernel: connect to a closed port, then conntrack -L: "0 flow entries have been shown."
    const s = setup();
    s.pass(tcp(C, 41000, S, 81, TCP_SYN, 1000));
    expect(s.ct.entries()).toHaveLength(1);
    const rst = s.pass(tcp(S, 81, C, 41000, TCP_RST | TCP_ACK, 0, 1001));
    expect(rst.skb.ctState).toBe('ESTABLISHED');
    expect(s.ct.entries()).toHaveLength(0);
  });

  it('an unconfirmed SYN dropped before confirm leaves no entry', () => {
    // Kernel: SYN dropped in filter INPUT, then conntrack -L: "0 flow entries have been shown."
    const s = setup();
    const skb = skbOf(tcp(C, 41001, S, 9, TCP_SYN, 1));
    s.ct.inbound(skb);
    expect(skb.ctState).toBe('NEW');
    expect(s.ct.entries()).toHaveLength(0);
  });

  it('marks out-of-window segments INVALID and leaves the entry alone', () => {
    const s = setup();
    const { entry } = handshake(s);
    const far = s.pass(tcp(C, 41002, S, 80, TCP_ACK, 1001 + 10_000_000, 5001, 100));
    expect(far.skb.ctState).toBe('INVALID');
    expect(far.skb.ct).toBeNull();
    const ackAhead = s.pass(tcp(S, 80, C, 41002, TCP_ACK, 5001, 1001 + 500_000));
    expect(ackAhead.skb.ctState).toBe('INVALID');
    expect(entry!.protoStateName()).toBe('ESTABLISHED');
    // With nf_conntrack_tcp_be_liberal=1 the same segment passes.
    const lib = setup({ 'net.netfilter.nf_conntrack_tcp_be_liberal': '1' });
    handshake(lib);
    expect(lib.pass(tcp(C, 41002, S, 80, TCP_ACK, 1001 + 10_000_000, 5001, 100)).skb.ctState).toBe('ESTABLISHED');
  });

  it('picks up a connection from a mid-stream ACK (nf_conntrack_tcp_loose=1), but not from SYN/ACK or FIN', () => {
    const s = setup();
    const mid = s.pass(tcp(C, 42000, S, 80, TCP_ACK, 7000, 9000));
    expect(mid.skb.ctState).toBe('NEW');
    expect(mid.entry!.protoStateName()).toBe('ESTABLISHED');
    // Without a reply the ESTABLISHED timeout is capped at the unacknowledged one (300 s).
    expect(mid.entry!.expiresInSeconds()).toBe(300);
    s.pass(tcp(S, 80, C, 42000, TCP_ACK, 9000, 7000));
    const again = s.pass(tcp(C, 42000, S, 80, TCP_ACK, 7000, 9000));
    expect(again.entry!.status & IPS_ASSURED).toBe(IPS_ASSURED);

    expect(s.pass(tcp(C, 42001, S, 80, TCP_SYN | TCP_ACK, 1, 1)).skb.ctState).toBe('INVALID');
    expect(s.pass(tcp(C, 42002, S, 80, TCP_FIN | TCP_ACK, 1, 1)).skb.ctState).toBe('INVALID');
    const strict = setup({ 'net.netfilter.nf_conntrack_tcp_loose': '0' });
    expect(strict.pass(tcp(C, 42000, S, 80, TCP_ACK, 7000, 9000)).skb.ctState).toBe('INVALID');
  });

  it('rejects impossible flag combinations and reopens a TIME_WAIT entry with a new SYN', () => {
    const s = setup();
    expect(s.pass(tcp(C, 43000, S, 80, TCP_SYN | TCP_FIN, 1)).skb.ctState).toBe('INVALID');
    const { entry } = handshake(s);
    s.pass(tcp(C, 41002, S, 80, TCP_FIN | TCP_ACK, 1001, 5001));
    s.pass(tcp(S, 80, C, 41002, TCP_FIN | TCP_ACK, 5001, 1002));
    s.pass(tcp(C, 41002, S, 80, TCP_ACK, 1002, 5002));
    expect(entry!.protoStateName()).toBe('TIME_WAIT');
    const reopen = s.pass(tcp(C, 41002, S, 80, TCP_SYN, 90000));
    expect(reopen.skb.ctState).toBe('NEW');
    expect(reopen.entry).not.toBe(entry);
    expect(reopen.entry!.protoStateName()).toBe('SYN_SENT');
    expect(s.ct.entries()).toEqual([reopen.entry]);
  });

  it('does not extend the SYN_SENT timeout on a retransmitted SYN', () => {
    const s = setup();
    const first = s.pass(tcp(C, 44000, S, 80, TCP_SYN, 1));
    s.clock.advance(3 * SEC);
    s.pass(tcp(C, 44000, S, 80, TCP_SYN, 1));
    expect(first.entry!.expiresInSeconds()).toBe(117);
  });
});
