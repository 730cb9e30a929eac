import { describe, expect, it } from 'vitest';
import { SEC } from '../../core/time.js';
import { PROTO_TCP, TCP_ACK, TCP_SYN, type Packet } from '../../packet/packet.js';
import { IPS_ASSURED, IPS_SEEN_REPLY } from '../types.js';
import { runConntrack } from './command.js';
import type { CtEntry } from './entry.js';
import { formatEntry, plainEntry } from './format.js';
import { Conntrack } from './table.js';
import { ManualClock, icmpEcho, icmpError, ip, skbOf, tcp, udp } from './testing/testkit.js';

function setup(sysctls: Record<string, string> = {}) {
  const clock = new ManualClock();
  const ct = new Conntrack({ timers: clock, sysctl: (n) => sysctls[n] });
  const pass = (p: Packet, zone = 0) => {
    const skb = skbOf(p);
    ct.inbound(skb, zone);
    const confirmed = ct.confirm(skb);
    return { skb, confirmed, entry: skb.ct as CtEntry | null };
  };
  return { clock, ct, pass };
}

describe('UDP tracking', () => {
  it('is UNREPLIED for 30 s, replied but not ASSURED within 2 s, then ASSURED with 120 s', () => {
    const s = setup();
    const first = s.pass(udp('10.0.1.2', 5001, '10.0.1.1', 53));
    const e = first.entry!;
    expect(first.skb.ctState).toBe('NEW');
    expect(e.status & IPS_SEEN_REPLY).toBe(0);
    expect(e.expiresInSeconds()).toBe(30);
    // Kernel, echo answered at once: "udp 17 29 src=... dport=53 src=... dport=5000 mark=0 use=1" (no flag).
    const reply = s.pass(udp('10.0.1.1', 53, '10.0.1.2', 5001));
    expect(reply.skb.ctState).toBe('ESTABLISHED');
    expect(reply.skb.ctReply).toBe(true);
    expect(e.status & IPS_SEEN_REPLY).toBe(IPS_SEEN_REPLY);
    s.pass(udp('10.0.1.2', 5001, '10.0.1.1', 53));
    expect(e.status & IPS_ASSURED).toBe(0);
    expect(e.expiresInSeconds()).toBe(30);
    // Kernel, second exchange 2.5 s later: "udp 17 119 ... [ASSURED] mark=0 use=1".
    s.clock.advance(2.5 * SEC);
    s.pass(udp('10.0.1.2', 5001, '10.0.1.1', 53));
    expect(e.status & IPS_ASSURED).toBe(IPS_ASSURED);
    expect(e.expiresInSeconds()).toBe(120);
  });

  it('expires after the (sysctl) timeout', () => {
    const s = setup({ 'net.netfilter.nf_conntrack_udp_timeout': '5' });
    s.pass(udp('10.0.1.2', 5000, '10.0.1.1', 53));
    s.clock.advance(5 * SEC - 1);
    expect(s.ct.count).toBe(1);
    s.clock.advance(1);
    expect(s.ct.count).toBe(0);
  });

  it('a second packet before any reply is still NEW', () => {
    const s = setup();
    s.pass(udp('10.0.1.2', 5000, '10.0.1.1', 53));
    expect(s.pass(udp('10.0.1.2', 5000, '10.0.1.1', 53)).skb.ctState).toBe('NEW');
  });

  it('keeps zones apart', () => {
    const s = setup();
    const a = s.pass(udp('10.0.1.2', 5002, '10.0.1.1', 7777), 5).entry!;
    const b = s.pass(udp('10.0.1.2', 5002, '10.0.1.1', 7777), 0).entry!;
    expect(a).not.toBe(b);
    expect(s.ct.find(a.orig, 5)?.entry).toBe(a);
    // Kernel (raw: -j CT --zone 5): "... [UNREPLIED] src=10.0.1.1 dst=10.0.1.2 sport=7777 dport=5002 mark=0 zone=5 use=1".
    expect(formatEntry(a)).toBe(
      'udp      17 30 src=10.0.1.2 dst=10.0.1.1 sport=5002 dport=7777 [UNREPLIED] src=10.0.1.1 dst=10.0.1.2 sport=7777 dport=5002 mark=0 zone=5 use=1',
    );
  });
});

describe('ICMP tracking', () => {
  it('tracks echo by id for 30 s and refuses an unsolicited reply', () => {
    const s = setup();
    const req = s.pass(icmpEcho('10.0.1.2', '10.0.1.1', 77, 1));
    expect(req.skb.ctState).toBe('NEW');
    const rep = s.pass(icmpEcho('10.0.1.1', '10.0.1.2', 77, 1, true));
    expect(rep.skb.ctState).toBe('ESTABLISHED');
    expect(rep.entry).toBe(req.entry);
    // Kernel (raw-socket echo, id 1234): "icmp     1 29 src=10.0.1.2 dst=10.0.1.1 type=8 code=0 id=1234 src=10.0.1.1 dst=10.0.1.2 type=0 code=0 id=1234 mark=0 use=1".
    expect(formatEntry(req.entry!)).toBe(
      'icmp     1 30 src=10.0.1.2 dst=10.0.1.1 type=8 code=0 id=77 src=10.0.1.1 dst=10.0.1.2 type=0 code=0 id=77 mark=0 use=1',
    );
    expect(s.pass(icmpEcho('10.0.1.1', '10.0.1.2', 78, 1, true)).skb.ctState).toBe('INVALID');
    expect(plainEntry(req.entry!)).toMatchObject({ proto: 'icmp', orig: { type: 8, code: 0, id: 77 }, flags: [] });
  });

  it('an error about a tracked flow is RELATED; one about nothing is INVALID', () => {
    const s = setup();
    const out = udp('10.0.1.2', 5000, '10.0.2.2', 53);
    const flow = s.pass(out).entry!;
    const err = s.pass(icmpError('10.0.2.2', '10.0.1.2', 3, 3, udp('10.0.1.2', 5000, '10.0.2.2', 53)));
    expect(err.skb.ctState).toBe('RELATED');
    expect(err.skb.ctReply).toBe(true);
    expect(err.skb.ct).toBe(flow);
    // Kernel: the port-unreachable leaves the UDP entry [UNREPLIED].
    expect(flow.status & IPS_SEEN_REPLY).toBe(0);
    const stray = s.pass(icmpError('10.0.2.2', '10.0.1.2', 3, 3, udp('10.0.1.2', 5999, '10.0.2.2', 53)));
    expect(stray.skb.ctState).toBe('INVALID');
    // An error sent somewhere the flow does not lead is not related either.
    const bogus = s.pass(icmpError('10.0.2.2', '10.0.9.9', 3, 3, udp('10.0.1.2', 5000, '10.0.2.2', 53)));
    expect(bogus.skb.ctState).toBe('INVALID');
  });
});

describe('table operations', () => {
  it('NOTRACK packets stay untracked; a packet already carrying an entry is left alone', () => {
    const s = setup();
    const skb = skbOf(udp('10.0.1.2', 1, '10.0.1.1', 2));
    s.ct.inbound(skb, 0, { notrack: true });
    expect(skb.ctState).toBe('UNTRACKED');
    expect(s.ct.confirm(skb)).toBe(true);
    expect(s.ct.count).toBe(0);
  });

  it('finds the original destination of a redirected connection (SO_ORIGINAL_DST)', () => {
    const s = setup();
    const skb = skbOf(tcp('10.0.1.2', 40000, '10.96.0.10', 80, TCP_SYN, 1));
    s.ct.inbound(skb);
    const e = skb.ct as CtEntry;
    e.reply = { ...e.reply, src: ip('127.0.0.1'), sport: 15001 };
    s.ct.confirm(skb);
    expect(s.ct.originalDst({ addr: ip('127.0.0.1'), port: 15001 }, { addr: ip('10.0.1.2'), port: 40000 }, PROTO_TCP)).toEqual({
      addr: ip('10.96.0.10'),
      port: 80,
    });
    expect(s.ct.originalDst({ addr: ip('127.0.0.1'), port: 15002 }, { addr: ip('10.0.1.2'), port: 40000 }, PROTO_TCP)).toBeNull();
  });

  it('refuses to confirm an entry whose reply tuple another entry holds', () => {
    const s = setup();
    s.pass(udp('10.0.1.2', 5000, '10.0.1.1', 53));
    const skb = skbOf(udp('10.0.1.3', 5000, '10.0.1.1', 53));
    s.ct.inbound(skb);
    const e = skb.ct as CtEntry;
    e.reply = { ...e.reply, dst: ip('10.0.1.2') };
    expect(s.ct.confirm(skb)).toBe(false);
    expect(s.ct.count).toBe(1);
  });

  it('merges two first packets of the same UDP flow at confirm', () => {
    const s = setup();
    const a = skbOf(udp('10.0.1.2', 5000, '10.0.1.1', 53));
    const b = skbOf(udp('10.0.1.2', 5000, '10.0.1.1', 53));
    s.ct.inbound(a);
    s.ct.inbound(b);
    expect(a.ct).not.toBe(b.ct);
    expect(s.ct.confirm(a)).toBe(true);
    expect(s.ct.confirm(b)).toBe(true);
    expect(b.ct).toBe(a.ct);
    expect(s.ct.count).toBe(1);
  });
});

describe('conntrack command', () => {
  function populated() {
    const s = setup();
    s.pass(tcp('10.0.1.2', 41002, '10.0.1.1', 80, TCP_SYN, 1000));
    s.pass(tcp('10.0.1.1', 80, '10.0.1.2', 41002, TCP_SYN | TCP_ACK, 5000, 1001));
    s.pass(tcp('10.0.1.2', 41002, '10.0.1.1', 80, TCP_ACK, 1001, 5001));
    s.pass(udp('10.0.1.2', 5000, '10.0.1.1', 53));
    s.pass(udp('10.0.1.1', 53, '10.0.1.2', 5000));
    s.pass(udp('10.0.1.2', 5002, '10.0.1.1', 7777));
    s.clock.advance(1);
    return s;
  }

  it('-L prints what conntrack-tools 1.4.7 prints', () => {
    const s = populated();
    const r = runConntrack(s.ct, ['-L']);
    // Kernel lines for the same flows (exp2: socat client/server in two namespaces).
    expect(r.stdout).toBe(
      'tcp      6 431999 ESTABLISHED src=10.0.1.2 dst=10.0.1.1 sport=41002 dport=80 src=10.0.1.1 dst=10.0.1.2 sport=80 dport=41002 [ASSURED] mark=0 use=1\n' +
        'udp      17 29 src=10.0.1.2 dst=10.0.1.1 sport=5000 dport=53 src=10.0.1.1 dst=10.0.1.2 sport=53 dport=5000 mark=0 use=1\n' +
        'udp      17 29 src=10.0.1.2 dst=10.0.1.1 sport=5002 dport=7777 [UNREPLIED] src=10.0.1.1 dst=10.0.1.2 sport=7777 dport=5002 mark=0 use=1\n',
    );
    expect(r.stderr).toBe('conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.\n');
    expect(r.exitCode).toBe(0);
  });

  it('filters, counts, deletes and flushes', () => {
    const s = populated();
    expect(runConntrack(s.ct, ['-L', '-p', 'udp', '--sport', '5002']).stdout.split('\n')).toHaveLength(2);
    expect(runConntrack(s.ct, ['-L', '-p', 'tcp', '--state', 'ESTABLISHED']).stderr).toContain(' 1 flow entries have been shown.');
    expect(runConntrack(s.ct, ['-L', '-s', '10.0.1.1']).stderr).toContain(' 0 flow entries');
    expect(runConntrack(s.ct, ['-L', '-u', 'UNREPLIED']).stderr).toContain(' 1 flow entries');
    expect(runConntrack(s.ct, ['-C']).stdout).toBe('3\n');
    const del = runConntrack(s.ct, ['-D', '-p', 'udp', '--sport', '5000']);
    expect(del).toMatchObject({ exitCode: 0, stderr: 'conntrack v1.4.7 (conntrack-tools): 1 flow entries have been deleted.\n' });
    expect(del.stdout).toContain('sport=5000 dport=53');
    expect(runConntrack(s.ct, ['-D', '-p', 'udp', '--sport', '5999'])).toMatchObject({ exitCode: 1, stdout: '' });
    expect(s.ct.delete({ proto: 6, state: 'ESTABLISHED' })).toHaveLength(1);
    expect(runConntrack(s.ct, ['-F'])).toEqual({
      stdout: '',
      stderr: 'conntrack v1.4.7 (conntrack-tools): connection tracking table has been emptied.\n',
      exitCode: 0,
    });
    expect(s.ct.count).toBe(0);
  });

  it('reports usage errors as the tool does', () => {
    const s = populated();
    const hint = "Try `conntrack -h' or 'conntrack --help' for more information.\n";
    expect(runConntrack(s.ct, ['-L', '--sport', '5'])).toEqual({
      stdout: '',
      stderr: `conntrack v1.4.7 (conntrack-tools): unknown option \`--sport'\n${hint}`,
      exitCode: 2,
    });
    expect(runConntrack(s.ct, ['-L', '-p', 'tcp', '--state', 'FOO']).stderr).toBe(
      `conntrack v1.4.7 (conntrack-tools): unknown TCP state \`FOO'\n${hint}`,
    );
    expect(runConntrack(s.ct, ['-L', '-s', 'bad']).stderr).toBe(`conntrack v1.4.7 (conntrack-tools): Invalid IP address \`bad'\n${hint}`);
    expect(runConntrack(s.ct, ['-F', '-p', 'tcp']).stderr).toBe(
      `conntrack v1.4.7 (conntrack-tools): Illegal option \`--protonum' with this command\n${hint}`,
    );
    expect(runConntrack(s.ct, ['-L', '-p', 'foo']).stderr).toBe(`conntrack v1.4.7 (conntrack-tools): \`foo' unsupported protocol\n${hint}`);
    expect(s.ct.count).toBe(3);
  });
});

describe('plain view', () => {
  it('has the scenario report shape', () => {
    const s = setup();
    const e = s.pass(tcp('198.51.100.10', 40000, '198.51.100.1', 8080, TCP_SYN, 1)).entry!;
    expect(plainEntry(e)).toEqual({
      proto: 'tcp',
      state: 'SYN_SENT',
      mark: '0x0',
      timeout: 120,
      orig: { src: '198.51.100.10', dst: '198.51.100.1', sport: 40000, dport: 8080 },
      reply: { src: '198.51.100.1', dst: '198.51.100.10', sport: 8080, dport: 40000 },
      flags: ['UNREPLIED'],
    });
  });
});
