/**
 * The session's matrix: on the lab as it is now (the topology and every
 * command that changed it since), each cell on a fresh copy, as `nflab matrix`
 * computes it for an unchanged lab.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Lab } from '../lab/lab.js';
import { planMatrix, runMatrix } from '../matrix/matrix.js';
import { loadTopologyFile } from '../topology/load.js';
import { changesLab } from './matrix.js';
import { Session } from './session.js';
import type { MatrixView } from './port.js';

const ROOT = join(import.meta.dirname, '../..');

function open(file: string): Session {
  const t = loadTopologyFile(join(ROOT, 'topologies', file));
  if (!t.ok) throw new Error(t.error.map((d) => d.message).join('\n'));
  const s = Session.create(t.value);
  if (!s.ok) throw new Error('session');
  return s.value;
}

async function view(s: Session, q: Partial<Parameters<Session['matrix']>[0]> = {}): Promise<MatrixView> {
  const m = await s.matrix({ from: null, to: null, proto: 'tcp', ...q });
  if (!m.ok) throw new Error(m.error);
  return m.value;
}

const cellOf = (v: MatrixView, from: string, to: string) => v.cells.find((c) => c.from === from && c.to === to)!;

describe('Session.matrix', () => {
  it('on an unchanged lab is what nflab matrix computes', async () => {
    const s = open('kube-proxy.yaml');
    const v = await view(s);
    const lab = Lab.build(s.topology, { seed: 1, record: false });
    if (!lab.ok) throw new Error('lab');
    const plan = planMatrix(lab.value, s.topology, { from: null, to: null, proto: 'tcp', seed: 1 });
    expect(v.sources).toEqual(plan.from);
    expect(v.destinations.map((d) => d.to)).toContain('10.96.0.10:80');
    expect(v.cells).toEqual(runMatrix(s.topology, plan));
    expect(v.cells).toHaveLength(v.sources.length * v.destinations.length);
    expect(v.changes).toBe(0);
    // Row by row: destination by destination, each source in order.
    expect(v.cells.slice(0, v.sources.length).map((c) => c.from)).toEqual(v.sources);
  });

  it('runs on the rules as they are after exec commands, and forgets them on reset', async () => {
    const s = open('docker-port-mapping.yaml');
    const q = { from: ['client'], to: ['198.51.100.1:8080'] };
    expect(cellOf(await view(s, q), 'client', '198.51.100.1:8080').result).toBe('connected');
    expect(s.command('docker-host iptables -t nat -F DOCKER').ok).toBe(true);
    // Listings change nothing and are not replayed.
    expect(s.command('docker-host iptables -t nat -L -n -v').ok).toBe(true);
    expect(s.command('docker-host iptables -I DOCKER-USER -s 10.9.9.9 -j DROP -m nosuchmatch').ok).toBe(false);
    const after = await view(s, q);
    expect(after.changes).toBe(1);
    const c = cellOf(after, 'client', '198.51.100.1:8080');
    expect(c.result).toBe('refused');
    expect(c.decided_by).toBeNull();
    // A rule that rejects: the cell names it.
    expect(s.command('docker-host iptables -I INPUT 1 -p tcp --dport 22 -j REJECT').ok).toBe(true);
    const ssh = cellOf(await view(s, { from: ['client'], to: ['198.51.100.1:22'] }), 'client', '198.51.100.1:22');
    expect(ssh.result).toBe('refused');
    expect(ssh.decided_by).toMatchObject({ node: 'docker-host', chain: 'INPUT', rule: 1, target: 'REJECT' });
    s.reset();
    expect(cellOf(await view(s, q), 'client', '198.51.100.1:8080').result).toBe('connected');
  });

  it('sees a scenario’s exec steps, and --to auto reads the rules as they are', async () => {
    const s = open('docker-port-mapping.yaml');
    const before = (await view(s)).destinations.map((d) => d.to);
    expect(s.command(`load scenario ${join(ROOT, 'scenarios/docker-port-mapping.yaml')}`).ok).toBe(true);
    const v = await view(s);
    expect(v.changes).toBeGreaterThan(0);
    // The scenario flushed DOCKER: the published port is no DNAT destination any more.
    expect(before).toContain('198.51.100.1:8080');
    expect(v.destinations.map((d) => d.to)).not.toContain('198.51.100.1:8080');
  });

  it('traces a cell again with every packet of its exchange, the deciding step in the first', async () => {
    const s = open('docker-port-mapping.yaml');
    const cell = cellOf(await view(s), 'client', '172.17.0.3:5432');
    expect(cell.result).toBe('timeout');
    const t = s.matrixTrace({ from: 'client', to: '172.17.0.3:5432', proto: 'tcp' });
    if (!t.ok) throw new Error(t.error);
    expect(t.value.cell).toEqual(cell);
    expect(t.value.traces[0].outcome).toBe('dropped');
    expect(t.value.traces[0].steps).toContainEqual(cell.decided_by);
    const ok = s.matrixTrace({ from: 'client', to: '198.51.100.1:8080', proto: 'tcp' });
    if (!ok.ok) throw new Error(ok.error);
    expect(ok.value.traces.length).toBeGreaterThan(2);
    expect(s.matrixTrace({ from: 'nobody', to: '1.2.3.4:5', proto: 'tcp' })).toEqual({ ok: false, error: 'no node "nobody"' });
  });

  it('is a command that prints nflab matrix’s grid, and refuses bad options in one line', () => {
    const s = open('docker-port-mapping.yaml');
    const r = s.command('matrix --from client,web --proto tcp');
    expect(r.ok).toBe(true);
    expect(r.output).toMatch(/^docker-port-mapping: tcp, 2 sources × 4 destinations, seed 1/);
    expect(r.output).toContain('sources: A client  B docker-host/web');
    expect(r.output).toContain('legend: + reached');
    expect(s.command('matrix --from nobody')).toEqual({ ok: false, output: '--from: no node "nobody"' });
    expect(s.command('matrix --to 1.2.3.4')).toEqual({ ok: false, output: '--to takes auto or IP:PORT,..., not "1.2.3.4"' });
    expect(s.command('matrix --proto icmp').output).toBe('--proto is tcp or udp, not "icmp"');
    expect(s.command('matrix --bogus 1').output).toMatch(/^matrix: unknown option "--bogus"; usage: matrix/);
    const udp = s.command('matrix --proto udp');
    expect(udp).toEqual({ ok: false, output: 'nothing to probe: nothing listens and no DNAT or REDIRECT rule leads anywhere' });
  });
});

describe('changesLab', () => {
  it.each([
    ['iptables -t nat -F DOCKER', true],
    ['iptables -t nat -L -n -v', false],
    ['iptables -S', false],
    ['iptables-save -c', false],
    ['iptables-restore', true],
    ['nft add rule inet t c drop', true],
    ['nft list ruleset', false],
    ['nft -c -f -', false],
    ['ip route add 10.0.0.0/8 dev eth0', true],
    ['ip route show', false],
    ['ip rule', false],
    ['sysctl -w net.ipv4.ip_forward=0', true],
    ['sysctl net.ipv4.ip_forward', false],
    ['conntrack -F', false],
  ])('%s: %s', (cmd, changes) => expect(changesLab(cmd)).toBe(changes));
});
