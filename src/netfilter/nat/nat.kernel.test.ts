/**
 * Differential test: the same traffic through a real kernel router (MASQUERADE
 * and a DNAT range, in namespaces) and through nflab's conntrack + NAT; the
 * router's tables must agree entry by entry. Needs root, iproute2, iptables,
 * conntrack, socat and python3; skipped (with the reason in its name) elsewhere.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { formatIpv4 } from '../../packet/ipv4.js';
import { PROTO_UDP, TCP_ACK, TCP_SYN, type Packet } from '../../packet/packet.js';
import type { CtEntry } from '../conntrack/entry.js';
import { formatEntry } from '../conntrack/format.js';
import { Conntrack } from '../conntrack/table.js';
import { ManualClock, icmpError, ip, skbOf, tcp, udp } from '../conntrack/testing/testkit.js';
import type { Skb, Verdict } from '../types.js';
import { emptyRange, natSetup } from './core.js';
import { natHook } from './hook.js';
import { masquerade } from './targets.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'kernel-lab', 'masquerade-lab.sh');

function why(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root';
  for (const bin of ['/usr/sbin/ip', '/usr/sbin/conntrack', '/usr/bin/socat', '/usr/sbin/iptables-restore', '/usr/bin/python3']) {
    if (!existsSync(bin) && !existsSync(bin.replace('/usr/sbin/', '/sbin/'))) return `needs ${bin}`;
  }
  return null;
}

const reason = why();

interface Row {
  proto: string;
  state: string;
  orig: string;
  reply: string;
  replyDport: number;
  origSport: number;
  flags: string;
}

const LINE =
  /^(\w+)\s+\d+ \d+ (?:([A-Z_]+) )?src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+) (\[UNREPLIED\] )?src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+) (\[ASSURED\] )?/;

function parse(line: string): Row | null {
  const m = LINE.exec(line);
  if (!m) return null;
  return {
    proto: m[1],
    state: m[2] ?? '',
    orig: `${m[3]}:${m[5]}->${m[4]}:${m[6]}`,
    origSport: Number(m[5]),
    reply: `${m[8]}:${m[10]}->${m[9]}`,
    replyDport: Number(m[11]),
    flags: `${m[7] ? 'U' : ''}${m[12] ? 'A' : ''}`,
  };
}

/** The same exchange, packet by packet, through an nflab router. */
function simulate(seed: number): { rows: Row[]; refusedInnerOk: boolean } {
  const clock = new ManualClock();
  const ct = new Conntrack({ timers: clock, sysctl: () => undefined });
  const rng = new Rng(seed);
  const pre = (skb: Skb): Verdict =>
    skb.pkt.dst === ip('10.0.2.100') && skb.pkt.proto === PROTO_UDP
      ? natSetup(ct, skb.ct as CtEntry, 'DST', { ...emptyRange(), mapIps: true, minIp: ip('10.0.2.10'), maxIp: ip('10.0.2.20') }, rng)
      : 'ACCEPT';
  const post = (skb: Skb): Verdict =>
    skb.outIf === 'eth1' ? masquerade(ct, skb.ct as CtEntry, emptyRange(), ip('10.0.2.1'), 'eth1', rng) : 'ACCEPT';
  const forward = (p: Packet, inIf: string, outIf: string): Skb => {
    const skb = skbOf(p, inIf, outIf);
    ct.inbound(skb);
    if (
      natHook(ct, skb, 'PREROUTING', rng, () => pre(skb)) === 'ACCEPT' &&
      natHook(ct, skb, 'POSTROUTING', rng, () => post(skb)) === 'ACCEPT'
    )
      ct.confirm(skb);
    return skb;
  };
  const output = (p: Packet): Skb => {
    const skb = skbOf(p, null, 'eth1');
    ct.inbound(skb);
    if (natHook(ct, skb, 'OUTPUT', rng, () => 'ACCEPT') === 'ACCEPT' && natHook(ct, skb, 'POSTROUTING', rng, () => post(skb)) === 'ACCEPT')
      ct.confirm(skb);
    return skb;
  };
  const input = (p: Packet): Skb => {
    const skb = skbOf(p, 'eth1', null);
    ct.inbound(skb);
    if (natHook(ct, skb, 'PREROUTING', rng, () => 'ACCEPT') === 'ACCEPT' && natHook(ct, skb, 'INPUT', rng, () => 'ACCEPT') === 'ACCEPT')
      ct.confirm(skb);
    return skb;
  };
  const tcpExchange = (src: string, local: boolean) => {
    const syn = local
      ? output(tcp(src, 40000, '10.0.2.2', 80, TCP_SYN, 100))
      : forward(tcp(src, 40000, '10.0.2.2', 80, TCP_SYN, 100), 'eth0', 'eth1');
    const mapped = syn.pkt.tcp!.sport;
    const back = (p: Packet) => (local ? input(p) : forward(p, 'eth1', 'eth0'));
    back(tcp('10.0.2.2', 80, '10.0.2.1', mapped, TCP_SYN | TCP_ACK, 900, 101));
    const fwd = (p: Packet) => (local ? output(p) : forward(p, 'eth0', 'eth1'));
    fwd(tcp(src, 40000, '10.0.2.2', 80, TCP_ACK, 101, 901));
    fwd(tcp(src, 40000, '10.0.2.2', 80, TCP_ACK, 101, 901, 2));
    back(tcp('10.0.2.2', 80, '10.0.2.1', mapped, TCP_ACK, 901, 103, 2));
    fwd(tcp(src, 40000, '10.0.2.2', 80, TCP_ACK, 103, 903));
  };
  tcpExchange('10.0.1.2', false);
  tcpExchange('10.0.1.3', false);
  tcpExchange('10.0.2.1', true);
  let refusedInnerOk = false;
  for (const src of ['10.0.1.2', '10.0.1.3']) {
    const sent = forward(udp(src, 5000, '10.0.2.2', 53), 'eth0', 'eth1').pkt;
    const err = forward(icmpError('10.0.2.2', '10.0.2.1', 3, 3, udp('10.0.2.1', sent.udp!.sport, '10.0.2.2', 53)), 'eth1', 'eth0');
    const q = err.pkt.icmp!.quoted!;
    refusedInnerOk = err.ctState === 'RELATED' && formatIpv4(err.pkt.dst) === src && formatIpv4(q.src) === src && q.udp!.sport === 5000;
  }
  for (const i of [2, 3, 4, 5, 6, 7]) forward(udp(`10.0.1.${i}`, 6000, '10.0.2.100', 9999), 'eth0', 'eth1');
  clock.advance(1000);
  return { rows: ct.entries().map((e) => parse(formatEntry(e))!), refusedInnerOk };
}

describe('kernel differential: client -- MASQUERADE/DNAT router -- server', () => {
  it.skipIf(reason !== null)(
    `router conntrack table matches the kernel's${reason ? ` (skipped: ${reason})` : ''}`,
    () => {
      const prefix = `nfct${process.pid}`;
      let out: string;
      try {
        out = execFileSync('bash', [SCRIPT], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NFLAB_CT_PREFIX: prefix } });
      } finally {
        // The script cleans up after itself, but not when it is killed past the timeout on a loaded machine.
        for (const n of ['c', 'r', 's']) spawnSync('ip', ['netns', 'del', `${prefix}${n}`], { stdio: 'ignore' });
      }
      const kernel = out
        .split('\n')
        .filter((l) => l.startsWith('CT '))
        .map((l) => parse(l.slice(3))!);
      expect(out).toContain('CLIENT udp: refused');
      expect(out).toMatch(/RULE \[[1-9]\d*:\d+\] -A FORWARD -p icmp -m conntrack --ctstate RELATED/);

      const sim = simulate(1);
      expect(sim.refusedInnerOk).toBe(true);
      expect(sim.rows).toHaveLength(kernel.length);
      for (const k of kernel) {
        const n = sim.rows.find((r) => r.orig === k.orig && r.proto === k.proto);
        expect(n, `nflab has no entry for ${k.proto} ${k.orig}`).toBeDefined();
        expect({ state: n!.state, reply: n!.reply, flags: n!.flags }).toEqual({ state: k.state, reply: k.reply, flags: k.flags });
        // A port the kernel kept must be kept; a port it re-mapped (randomly) must be re-mapped too.
        if (k.replyDport === k.origSport) expect(n!.replyDport).toBe(k.origSport);
        else expect(n!.replyDport).not.toBe(k.origSport);
      }
    },
    40_000,
  );
});
