/**
 * Differential test: hand-made TCP segments through a real forwarding kernel
 * (kernel-lab/tcp-lab.sh) and through nflab's tracker; after every step the
 * `conntrack -L` lines and the INVALID count must be identical. Needs root,
 * iproute2, iptables, conntrack and python3; skipped (reason in its name) elsewhere.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../packet/packet.js';
import { formatEntry } from './format.js';
import { Conntrack } from './table.js';
import { ManualClock, skbOf, tcp } from './testing/testkit.js';

const LAB = join(dirname(fileURLToPath(import.meta.url)), 'kernel-lab', 'tcp-lab.sh');

function why(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root';
  for (const bin of ['/usr/sbin/ip', '/usr/sbin/conntrack', '/usr/sbin/iptables-restore', '/usr/bin/python3']) {
    if (!existsSync(bin)) return `needs ${bin}`;
  }
  return null;
}
const reason = why();

const FLAG: Record<string, number> = { S: TCP_SYN, A: TCP_ACK, F: TCP_FIN, R: TCP_RST, P: TCP_PSH };
const C = '10.0.1.2';
const S = '10.0.2.2';

/** The lab's segments, in order, with the step name after which the table is shown (as tcp-lab.sh sends them). */
const SEGMENTS: Array<
  [from: 'c' | 's', sport: number, dport: number, flags: string, seq: number, ack: number, len: number, step?: string]
> = [
  ['c', 41000, 80, 'S', 1000, 0, 0, 'syn'],
  ['s', 80, 41000, 'SA', 5000, 1001, 0, 'synack'],
  ['c', 41000, 80, 'A', 1001, 5001, 0, 'ack'],
  ['c', 41000, 80, 'PA', 1001, 5001, 10, 'data'],
  ['s', 80, 41000, 'A', 5001, 1011, 0, 'dataack'],
  ['c', 41000, 80, 'PA', 10001001, 5001, 100, 'outofwindow'],
  ['c', 41000, 80, 'FA', 1011, 5001, 0, 'fin'],
  ['s', 80, 41000, 'A', 5001, 1012, 0, 'finack'],
  ['s', 80, 41000, 'FA', 5001, 1012, 0, 'fin2'],
  ['c', 41000, 80, 'A', 1012, 5002, 0, 'lastack'],
  ['c', 42000, 80, 'A', 7000, 9000, 0, 'midstream'],
  ['c', 42001, 80, 'SA', 1, 1, 0, 'synacknew'],
  ['c', 43000, 80, 'S', 1, 0, 0],
  ['s', 80, 43000, 'SA', 9, 2, 0],
  ['c', 43000, 80, 'A', 2, 10, 0],
  ['c', 43000, 80, 'R', 2, 0, 0, 'rst'],
];

function simulate(): Map<string, { lines: string[]; invalid: number }> {
  const clock = new ManualClock();
  const ct = new Conntrack({ timers: clock, sysctl: () => undefined });
  const steps = new Map<string, { lines: string[]; invalid: number }>();
  let invalid = 0;
  for (const [from, sport, dport, flags, seq, ack, len, step] of SEGMENTS) {
    const f = [...flags].reduce((acc, c) => acc | FLAG[c], 0);
    const p = from === 'c' ? tcp(C, sport, S, dport, f, seq, ack, len) : tcp(S, sport, C, dport, f, seq, ack, len);
    const skb = skbOf(p, 'eth0', 'eth1');
    ct.inbound(skb);
    if (skb.ctState === 'INVALID') invalid++;
    ct.confirm(skb);
    // The kernel's `conntrack -L` runs a moment after the packet: the shown timeout has lost its first second.
    clock.advance(1000);
    if (step) steps.set(step, { lines: ct.entries().map(formatEntry).sort(), invalid });
  }
  return steps;
}

describe('kernel differential: TCP states through a forwarding router', () => {
  it.skipIf(reason !== null)(
    `every step's conntrack table matches the kernel's${reason ? ` (skipped: ${reason})` : ''}`,
    () => {
      const prefix = `nftc${process.pid}`;
      let out: string;
      try {
        out = execFileSync('bash', [LAB], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NFLAB_CT_PREFIX: prefix } });
      } finally {
        // The lab cleans up after itself, but not when it is killed past the timeout on a loaded machine.
        for (const n of ['c', 'r', 's']) spawnSync('ip', ['netns', 'del', `${prefix}${n}`], { stdio: 'ignore' });
      }
      const kernel = new Map<string, { lines: string[]; invalid: number }>();
      let cur: { lines: string[]; invalid: number } | null = null;
      for (const line of out.split('\n')) {
        if (line.startsWith('STEP ')) kernel.set(line.slice(5), (cur = { lines: [], invalid: 0 }));
        else if (line.startsWith('CT ') && cur) cur.lines.push(line.slice(3));
        else if (line.startsWith('INV [') && cur) cur.invalid = Number(line.slice(5, line.indexOf(':')));
      }
      const sim = simulate();
      expect([...kernel.keys()]).toEqual([...sim.keys()]);
      // Timeouts are compared apart: the kernel's clock runs on while the lab's python sends the next segment.
      const split = (l: string) => {
        const [proto, num, timeout, ...rest] = l.split(' ').filter((w) => w !== '');
        return { text: [proto, num, ...rest].join(' '), timeout: Number(timeout) };
      };
      for (const [step, k] of kernel) {
        const s = sim.get(step)!;
        const kl = k.lines.map(split).sort((a, b) => a.text.localeCompare(b.text));
        const sl = s.lines.map(split).sort((a, b) => a.text.localeCompare(b.text));
        expect({ step, invalid: s.invalid, lines: sl.map((l) => l.text) }).toEqual({
          step,
          invalid: k.invalid,
          lines: kl.map((l) => l.text),
        });
        for (let i = 0; i < kl.length; i++) {
          expect(Math.abs(kl[i].timeout - sl[i].timeout), `${step}: ${kl[i].text}`).toBeLessThanOrEqual(3);
        }
      }
    },
    90_000,
  );
});
