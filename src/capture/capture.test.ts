import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopologyFile } from '../topology/load.js';
import { Lab } from '../lab/lab.js';
import { probe } from '../lab/testing/labs.js';
import { decodeEthernet, decodeIpv4 } from '../packet/wire.js';
import { formatIpv4 } from '../packet/ipv4.js';
import { CaptureError, startCapture } from './capture.js';
import { readPcapng } from './pcapng-read.js';
import { PcapngWriter } from './pcapng.js';
import { scratchDir } from '../core/testing/scratch-dir.js';

const dir = scratchDir('nflab-capture-');

function dockerLab(): Lab {
  const t = loadTopologyFile(join(import.meta.dirname, '..', '..', 'topologies', 'docker-port-mapping.yaml'));
  if (!t.ok) throw new Error('topology');
  const lab = Lab.build(t.value, { seed: 1 });
  if (!lab.ok) throw new Error('lab');
  return lab.value;
}

/** A TCP connection through DNAT and a ping through MASQUERADE, captured on every interface. */
function captureDocker(file: string): void {
  const lab = dockerLab();
  const c = startCapture(lab, file);
  expect(probe(lab, 'connect', 'client', '198.51.100.1:8080').result).toBe('connected');
  expect(probe(lab, 'ping', 'docker-host/db', '198.51.100.10').result).toBe('reply');
  c.stop();
}

function ipOf(data: Uint8Array) {
  const eth = decodeEthernet(data);
  if (!eth.ok || eth.value.ethertype !== 0x0800) return null;
  const ip = decodeIpv4(eth.value.payload);
  return ip.ok ? ip.value : null;
}

describe('pcapng capture', () => {
  const file = join(dir, 'docker.pcapng');
  captureDocker(file);
  const cap = readPcapng(readFileSync(file));

  it('declares an Ethernet interface per NODE:IFACE, microsecond timestamps', () => {
    expect(cap.ok).toBe(true);
    if (!cap.ok) return;
    const names = cap.value.interfaces.map((i) => i.name);
    expect(names).toEqual(
      expect.arrayContaining(['client:eth0', 'docker-host:eth0', 'docker-host:docker0', 'docker-host:veth-web', 'docker-host/web:eth0']),
    );
    expect(cap.value.interfaces.every((i) => i.linkType === 1 && i.tsresol === 6)).toBe(true);
  });

  it('shows the SYN before DNAT on eth0 and after it on the bridge, with its story in the comment', () => {
    if (!cap.ok) return;
    const on = (iface: string) => cap.value.packets.filter((p) => cap.value.interfaces[p.iface].name === iface);
    const synAt = (iface: string) => on(iface).find((p) => ipOf(p.data)?.tcp?.flags === 0x02);
    const before = synAt('docker-host:eth0')!;
    const after = synAt('docker-host:veth-web')!;
    expect(`${formatIpv4(ipOf(before.data)!.dst)}:${ipOf(before.data)!.tcp!.dport}`).toBe('198.51.100.1:8080');
    expect(`${formatIpv4(ipOf(after.data)!.dst)}:${ipOf(after.data)!.tcp!.dport}`).toBe('172.17.0.2:80');
    expect(before.comment).toContain('nat/PREROUTING#1→DOCKER#1 DNAT 198.51.100.1:8080→172.17.0.2:80');
    expect(before.comment).toContain('ct NEW');
    expect(after.ts).toBeGreaterThan(0n);
    // The container's ping leaves eth0 masqueraded.
    const echo = on('docker-host:eth0').find((p) => ipOf(p.data)?.icmp?.type === 8)!;
    expect(formatIpv4(ipOf(echo.data)!.src)).toBe('198.51.100.1');
  });

  it('refuses an unknown interface in the filter, naming the near ones', () => {
    expect(() => startCapture(dockerLab(), join(dir, 'x.pcapng'), ['client:eth9'])).toThrow(CaptureError);
    expect(() => startCapture(dockerLab(), join(dir, 'x.pcapng'), ['client:eth9'])).toThrow(/did you mean client:eth0/);
  });

  it('streams: memory holds at most one chunk, whatever the number of frames', () => {
    const w = new PcapngWriter(join(dir, 'stream.pcapng'), { chunkBytes: 1024 });
    const id = w.addInterface({ name: 'a:eth0' });
    let peak = 0;
    for (let i = 0; i < 5000; i++) {
      w.writePacket({ iface: id, t_us: i, data: new Uint8Array(100), comment: `frame ${i}` });
      peak = Math.max(peak, w.buffered);
    }
    w.close();
    expect(peak).toBeLessThanOrEqual(1024);
    expect(w.written).toBeGreaterThan(5000 * 100);
    const back = readPcapng(readFileSync(join(dir, 'stream.pcapng')));
    expect(back.ok && back.value.packets.length).toBe(5000);
  });
});

const tshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!tshark)(`what tshark reads in the capture${tshark ? '' : ' (skipped: tshark is not installed)'}`, () => {
  const file = join(dir, 'tshark.pcapng');
  captureDocker(file);
  const run = (...args: string[]) =>
    spawnSync(
      'tshark',
      ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', ...args],
      { encoding: 'utf8' },
    ).stdout;

  const BAD_CHECKSUM =
    '_ws.expert.group == "Checksum" || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || icmp.checksum.status == "Bad"';

  it('finds no checksum error in any frame (and the same check does catch a corrupted one)', () => {
    expect(run('-T', 'fields', '-e', 'frame.number').trim().split('\n').length).toBeGreaterThan(20);
    expect(run('-Y', BAD_CHECKSUM).trim()).toBe('');
    // The control: one of those frames with its TCP checksum flipped.
    const good = readPcapng(readFileSync(file));
    if (!good.ok) throw new Error('read');
    const syn = good.value.packets.find((p) => ipOf(p.data)?.tcp?.flags === 0x02)!;
    const bad = Uint8Array.from(syn.data);
    bad[14 + 20 + 16] ^= 0xff;
    const w = new PcapngWriter(join(dir, 'bad.pcapng'));
    w.writePacket({ iface: w.addInterface({ name: 'x:eth0' }), t_us: 0, data: bad });
    w.close();
    const check = spawnSync('tshark', ['-r', join(dir, 'bad.pcapng'), '-o', 'tcp.check_checksum:TRUE', '-Y', BAD_CHECKSUM], {
      encoding: 'utf8',
    });
    expect(check.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('sees the handshake on the client, the addresses before and after NAT, and the comments', () => {
    const client = run(
      '-Y',
      'frame.interface_name == "client:eth0" && tcp',
      '-T',
      'fields',
      '-e',
      'ip.src',
      '-e',
      'ip.dst',
      '-e',
      'tcp.flags.str',
    );
    const rows = client
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows[0]).toEqual(['198.51.100.10', '198.51.100.1', '··········S·']);
    expect(rows.find((r) => r[2] === '·······A··S·')?.slice(0, 2)).toEqual(['198.51.100.1', '198.51.100.10']);
    const bridged = run(
      '-Y',
      'frame.interface_name == "docker-host:veth-web" && tcp.flags.syn == 1 && tcp.flags.ack == 0',
      '-T',
      'fields',
      '-e',
      'ip.dst',
      '-e',
      'tcp.dstport',
    );
    expect(bridged.trim().split('\n')[0]).toBe('172.17.0.2\t80');
    const comments = run('-Y', 'frame.comment contains "DNAT"', '-T', 'fields', '-e', 'frame.comment');
    expect(comments).toContain('docker-host: nat/PREROUTING#1→DOCKER#1 DNAT 198.51.100.1:8080→172.17.0.2:80');
  });
});
