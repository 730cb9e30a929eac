/**
 * The bundled Docker port-mapping lab built for real: the harness works end to end
 * (export, namespaces, DNAT, listeners, probes, traces, teardown).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerPortMapping } from '../../src/export/testing/topologies.js';
import { KernelLab, kernelAvailable, namespacesWithPrefix } from './harness.js';

const k = kernelAvailable();

describe.skipIf(!k.ok)(`kernel: docker port mapping (${k.why})`, () => {
  let lab: KernelLab;
  let prefix = '';

  beforeAll(() => {
    lab = KernelLab.up(dockerPortMapping());
    prefix = lab.prefix;
  });
  afterAll(() => lab?.down());

  it('builds one namespace per node', () => {
    expect(namespacesWithPrefix(prefix).sort()).toEqual([`${prefix}-client`, `${prefix}-docker-host`, `${prefix}-docker-host-web`]);
  });

  it('reaches the container through the published port, and the container sees the client', () => {
    const a = lab.connect('client', '198.51.100.1', 8080, { line: 'hi there' });
    expect(a.result).toBe('connected');
    expect(a.server).toBe('docker-host/web');
    expect(a.serverSees?.split(':')[0]).toBe('198.51.100.10');
    expect(a.answer).toContain('line=hi there');
  });

  it('counts the DNAT in the DOCKER chain and keeps a conntrack entry with the NAT reply tuple', () => {
    lab.connect('client', '198.51.100.1', 8080, { sport: 40001 });
    const save = lab.save('docker-host', { counters: true, table: 'nat' });
    expect(save).not.toMatch(/^#/m);
    const dnat = save.split('\n').find((l) => l.includes('--to-destination 172.17.0.2:80'));
    expect(dnat).toMatch(/^\[[1-9]\d*:\d+\] -A DOCKER/);
    const ct = lab.conntrack('docker-host').find((e) => e.orig.sport === 40001);
    expect(ct).toMatchObject({
      proto: 'tcp',
      orig: { src: '198.51.100.10', dst: '198.51.100.1', dport: 8080 },
      reply: { src: '172.17.0.2', sport: 80, dport: 40001 },
    });
  });

  it('refuses a port nobody listens on', () => {
    expect(lab.connect('client', '198.51.100.1', 8081).result).toBe('refused');
  });

  it('answers pings, and has no route where none was written', () => {
    expect(lab.ping('client', '198.51.100.1')).toBe('reply');
    expect(lab.ping('client', '172.17.0.2')).toBe('reply');
    expect(lab.ping('docker-host/web', '203.0.113.9')).toBe('unreachable');
    expect(lab.ping('docker-host', '203.0.113.9')).toBe('no-route');
    expect(lab.connect('docker-host', '203.0.113.9', 80).result).toBe('no-route');
  });

  it('echoes UDP and reports the peer', () => {
    const s = lab.send('client', '172.17.0.2', 53);
    expect(s.result).toBe('delivered');
    expect(s.serverSees?.split(':')[0]).toBe('198.51.100.10');
    expect(lab.send('client', '172.17.0.2', 54).result).toBe('refused');
  });

  it('routes as ip route get says', () => {
    expect(lab.routeGet('docker-host', '172.17.0.2')).toMatchObject({ dev: 'docker0', src: '172.17.0.1' });
    expect(lab.routeGet('client', '172.17.0.2')).toMatchObject({ dev: 'eth0', via: '198.51.100.1' });
  });

  it('traces the SYN through nat PREROUTING into DOCKER rule 2', async () => {
    const before = lab.save('docker-host', { counters: true });
    const t = await lab.trace({ kind: 'connect', from: 'client', ip: '198.51.100.1', port: 8080 });
    expect(t.probe.result).toBe('connected');
    const host = t.steps.filter((s) => s.node === 'docker-host');
    expect(host.slice(0, 2).map((s) => [s.hook, s.table, s.chain, s.rule, s.verdict])).toEqual([
      ['PREROUTING', 'nat', 'PREROUTING', 1, 'JUMP:DOCKER'],
      ['PREROUTING', 'nat', 'DOCKER', 2, 'ACCEPT'],
    ]);
    expect(host[1].target).toBe('DNAT');
    // The packet then crosses into the container: its steps come after the host's.
    const nodes = [...new Set(t.steps.map((s) => s.node))];
    expect(nodes.indexOf('docker-host')).toBeLessThan(
      nodes.indexOf('docker-host/web') === -1 ? Infinity : nodes.indexOf('docker-host/web'),
    );
    // The private trace table changed no rule positions: the save text differs only in counters.
    const strip = (s: string) => s.replace(/\[\d+:\d+\]/g, '');
    expect(strip(lab.save('docker-host', { counters: true }))).toBe(strip(before));
  });
});

describe.skipIf(!k.ok)(`kernel: teardown (${k.why})`, () => {
  it('down removes every namespace and is idempotent', () => {
    const lab = KernelLab.up(dockerPortMapping());
    expect(namespacesWithPrefix(lab.prefix)).toHaveLength(3);
    lab.down();
    expect(namespacesWithPrefix(lab.prefix)).toEqual([]);
    lab.down();
    expect(namespacesWithPrefix(lab.prefix)).toEqual([]);
  });
});
