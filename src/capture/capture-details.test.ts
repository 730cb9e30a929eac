import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labFrom, probe } from '../lab/testing/labs.js';
import { decodeEthernet, decodeIpv4 } from '../packet/wire.js';
import { startCapture } from './capture.js';
import { readPcapng, type ReadCapture } from './pcapng-read.js';
import { scratchDir } from '../core/testing/scratch-dir.js';

const dir = scratchDir('nflab-capture-details-');

const TWO_HOSTS = `
name: two
hosts:
  a:
    interfaces:
      eth0: { addr: 10.0.0.1/24 }
    listen: [tcp:7]
  b:
    interfaces:
      eth0: { addr: 10.0.0.2/24 }
    iptables: |
      *filter
      :INPUT ACCEPT [0:0]
      :FORWARD ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      -A INPUT -p tcp -m tcp --dport 9 -j DROP
      COMMIT
links:
  - [a:eth0, b:eth0]
`;

function read(file: string): ReadCapture {
  const r = readPcapng(readFileSync(file));
  if (!r.ok) throw new Error(r.error[0].message);
  return r.value;
}

function tcpFlags(frame: Uint8Array): number | undefined {
  const eth = decodeEthernet(frame);
  const ip = eth.ok ? decodeIpv4(eth.value.payload) : null;
  return ip?.ok ? ip.value.tcp?.flags : undefined;
}

const on = (cap: ReadCapture, name: string) => cap.packets.filter((p) => cap.interfaces[p.iface].name === name);

describe('capture details', () => {
  it('shows a loopback packet once, as sent, with the story of both halves', () => {
    const lab = labFrom(TWO_HOSTS);
    const file = join(dir, 'lo.pcapng');
    const c = startCapture(lab, file, ['a:lo']);
    expect(probe(lab, 'connect', 'a', '127.0.0.1:7').result).toBe('connected');
    c.stop();
    const cap = read(file);
    expect(cap.interfaces.map((i) => i.name)).toEqual(['a:lo']);
    const syns = cap.packets.filter((p) => tcpFlags(p.data) === 0x02);
    expect(syns).toHaveLength(1);
    expect(syns[0].direction).toBe('out');
    expect(syns[0].comment).toContain('delivered to tcp:7');
  });

  it('marks direction, keeps ARP, and a node name selects all of its interfaces only', () => {
    const lab = labFrom(TWO_HOSTS);
    const file = join(dir, 'b.pcapng');
    const c = startCapture(lab, file, ['b']);
    expect(probe(lab, 'connect', 'a', '10.0.0.2:9', { timeoutUs: 100_000 }).result).toBe('timeout');
    c.stop();
    const cap = read(file);
    expect(cap.interfaces.map((i) => i.name).sort()).toEqual(['b:eth0', 'b:lo']);
    const eth0 = on(cap, 'b:eth0');
    const arp = eth0.filter((p) => decodeEthernet(p.data).ok && ((p.data[12] << 8) | p.data[13]) === 0x0806);
    expect(arp.map((p) => p.direction)).toEqual(['in', 'out']);
    expect(arp[0].comment).toBe('b: ARP who-has 10.0.0.2 tell 10.0.0.1');
    const syn = eth0.find((p) => p.comment?.includes('filter/INPUT#1 DROP'));
    expect(syn?.direction).toBe('in');
    expect(syn?.comment).toMatch(/^b: filter\/INPUT#1 DROP/);
  });

  it('runs two captures of one lab at once, and stop is idempotent', () => {
    const lab = labFrom(TWO_HOSTS);
    const one = startCapture(lab, join(dir, 'one.pcapng'), ['a:eth0']);
    const two = startCapture(lab, join(dir, 'two.pcapng'));
    probe(lab, 'ping', 'a', '10.0.0.2');
    one.stop();
    one.stop();
    probe(lab, 'ping', 'a', '10.0.0.2');
    two.stop();
    const first = read(join(dir, 'one.pcapng'));
    const second = read(join(dir, 'two.pcapng'));
    // First ping: ARP out, ARP in, request out, reply in; the second ping is only in the other file.
    expect(on(first, 'a:eth0')).toHaveLength(4);
    expect(on(second, 'a:eth0')).toHaveLength(6);
    expect(one.frames).toBe(4);
    expect(second.packets.length).toBe(two.frames);
  });
});
