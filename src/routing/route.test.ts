import { describe, expect, it } from 'vitest';
import { formatIpv4, parseIpv4 } from '../packet/ipv4.js';
import { parseRoute, parseRule } from './parse.js';
import { runIp } from './ip-command.js';
import { RoutingTables } from './route.js';
import { TABLE_LOCAL, TABLE_MAIN, type RouteResult } from './types.js';

const ip = (s: string) => parseIpv4(s)!;

function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

function lab(): RoutingTables {
  const rt = new RoutingTables();
  rt.addDevice('eth0');
  rt.addDevice('eth1');
  rt.addAddress('eth0', ip('10.0.0.2'), 24);
  rt.addAddress('eth1', ip('192.168.1.1'), 24);
  return rt;
}

function add(rt: RoutingTables, line: string): void {
  const r = runIp(rt, `ip route add ${line}`);
  expect(r.stderr).toBe('');
}

function summary(r: RouteResult): string {
  if (r.kind === 'error') return `${r.errno} ${r.reason}`;
  const via = r.kind === 'unicast' && r.via !== null ? ` via ${formatIpv4(r.via)}` : '';
  return `${r.kind}${via} dev ${r.dev} src ${formatIpv4(r.src)} table ${r.table}`;
}

describe('lookup', () => {
  it('prefers the longest prefix, then the lowest metric, then the first added', () => {
    const rt = lab();
    add(rt, 'default via 10.0.0.1');
    add(rt, '172.16.0.0/12 via 192.168.1.254 metric 20');
    add(rt, '172.16.0.0/12 via 10.0.0.254 metric 10');
    add(rt, '172.16.5.0/24 via 192.168.1.253');
    expect(summary(rt.lookup({ dst: ip('8.8.8.8') }))).toBe('unicast via 10.0.0.1 dev eth0 src 10.0.0.2 table 254');
    expect(summary(rt.lookup({ dst: ip('172.16.9.9') }))).toBe('unicast via 10.0.0.254 dev eth0 src 10.0.0.2 table 254');
    expect(summary(rt.lookup({ dst: ip('172.16.5.9') }))).toBe('unicast via 192.168.1.253 dev eth1 src 192.168.1.1 table 254');
    runIp(rt, 'ip route del 172.16.0.0/12 metric 10');
    expect(summary(rt.lookup({ dst: ip('172.16.9.9') }))).toBe('unicast via 192.168.1.254 dev eth1 src 192.168.1.1 table 254');
  });

  it('answers local addresses from the local table via lo, and 127/8 too', () => {
    const rt = lab();
    expect(summary(rt.lookup({ dst: ip('10.0.0.2') }))).toBe('local dev lo src 10.0.0.2 table 254');
    expect(summary(rt.lookup({ dst: ip('127.1.2.3') }))).toBe('local dev lo src 127.0.0.1 table 254');
    rt.addRule(must(parseRule('fwmark 9 lookup 9')));
    // Once rules exist the kernel stops merging local into main.
    expect(rt.lookup({ dst: ip('10.0.0.2') })).toMatchObject({ kind: 'local', table: TABLE_LOCAL });
  });

  it('lets a non-local source through with anySrc, and still matches policy rules by it', () => {
    const rt = lab();
    add(rt, 'default via 10.0.0.1');
    add(rt, 'prohibit default table 100');
    rt.addRule(must(parseRule('from 172.16.0.9 lookup 100')));
    expect(summary(rt.lookup({ dst: ip('8.8.8.8'), src: ip('172.16.0.9') }))).toBe('ENETUNREACH bad-source');
    // A reset sent for an address that is not ours (FLOWI_FLAG_ANYSRC) still meets `from 172.16.0.9`.
    expect(summary(rt.lookup({ dst: ip('8.8.8.8'), src: ip('172.16.0.9'), anySrc: true }))).toBe('EACCES prohibit');
    expect(summary(rt.lookup({ dst: ip('8.8.8.8'), src: ip('172.16.0.8'), anySrc: true }))).toBe(
      'unicast via 10.0.0.1 dev eth0 src 172.16.0.8 table 254',
    );
  });

  it('maps blackhole, unreachable, prohibit and no route to the kernel errnos', () => {
    const rt = lab();
    add(rt, 'blackhole 1.0.0.0/8');
    add(rt, 'unreachable 2.0.0.0/8');
    add(rt, 'prohibit 3.0.0.0/8');
    expect(summary(rt.lookup({ dst: ip('1.1.1.1') }))).toBe('EINVAL blackhole');
    expect(summary(rt.lookup({ dst: ip('2.1.1.1') }))).toBe('EHOSTUNREACH unreachable');
    expect(summary(rt.lookup({ dst: ip('3.1.1.1') }))).toBe('EACCES prohibit');
    expect(summary(rt.lookup({ dst: ip('4.1.1.1') }))).toBe('ENETUNREACH no-route');
  });

  it('forwarding routers answer failed lookups with the ICMP code ip_error uses', () => {
    const rt = lab();
    rt.setSysctl('net.ipv4.ip_forward', '1');
    add(rt, 'unreachable 2.0.0.0/8');
    add(rt, 'prohibit 3.0.0.0/8');
    add(rt, 'blackhole 1.0.0.0/8');
    const from = { src: ip('10.0.0.9'), iif: 'eth0' };
    expect(rt.lookup({ dst: ip('2.2.2.2'), ...from })).toMatchObject({ kind: 'error', icmpCode: 1 });
    expect(rt.lookup({ dst: ip('3.3.3.3'), ...from })).toMatchObject({ kind: 'error', icmpCode: 13 });
    expect(rt.lookup({ dst: ip('4.4.4.4'), ...from })).toMatchObject({ kind: 'error', icmpCode: 0 });
    expect(rt.lookup({ dst: ip('1.1.1.1'), ...from })).toMatchObject({ kind: 'error', icmpCode: null });
    rt.setSysctl('net.ipv4.ip_forward', '0');
    expect(rt.lookup({ dst: ip('2.2.2.2'), ...from })).toMatchObject({
      kind: 'error',
      errno: 'EHOSTUNREACH',
      reason: 'not-forwarding',
      icmpCode: null,
    });
  });

  it('policy-routes by fwmark under a mask, by source and by input interface', () => {
    const rt = lab();
    add(rt, 'default via 10.0.0.1');
    add(rt, 'default via 192.168.1.100 table 100');
    add(rt, 'default via 192.168.1.200 table 200');
    add(rt, 'default via 192.168.1.50 table 50');
    for (const r of ['fwmark 0x1/0xf lookup 100', 'from 10.0.0.0/24 lookup 200', 'iif eth1 lookup 50'])
      expect(runIp(rt, `ip rule add ${r}`).exitCode).toBe(0);
    const via = (k: Parameters<RoutingTables['lookup']>[0]) => {
      const r = rt.lookup(k);
      return r.kind === 'unicast' && r.via !== null ? formatIpv4(r.via) : r.kind;
    };
    expect(via({ dst: ip('9.9.9.9') })).toBe('10.0.0.1');
    expect(via({ dst: ip('9.9.9.9'), mark: 0x31 })).toBe('192.168.1.100');
    expect(via({ dst: ip('9.9.9.9'), mark: 0x32 })).toBe('10.0.0.1');
    // An output lookup without a bound source does not match `from` rules.
    expect(via({ dst: ip('9.9.9.9'), src: ip('10.0.0.2') })).toBe('192.168.1.200');
    rt.setSysctl('net.ipv4.ip_forward', 1);
    expect(via({ dst: ip('9.9.9.9'), src: ip('172.20.0.1'), iif: 'eth1' })).toBe('192.168.1.50');
    expect(runIp(rt, 'ip rule show').stdout).toBe(
      '0:\tfrom all lookup local\n32763:\tfrom all iif eth1 lookup 50\n32764:\tfrom 10.0.0.0/24 lookup 200\n' +
        '32765:\tfrom all fwmark 0x1/0xf lookup 100\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n',
    );
  });

  it('scales to a thousand host routes', () => {
    const rt = lab();
    for (let i = 0; i < 1000; i++) {
      const e = rt.addRoute({
        ...must(parseRoute('10.1.0.0/32 via 10.0.0.1')),
        dst: { addr: ip('10.1.0.0') + i, len: 32, mask: 0xffffffff, network: ip('10.1.0.0') + i },
      });
      expect(e).toBeNull();
    }
    for (let i = 0; i < 1000; i += 97) expect(rt.lookup({ dst: ip('10.1.0.0') + i })).toMatchObject({ kind: 'unicast', dev: 'eth0' });
    expect(rt.lookup({ dst: ip('10.1.3.232') }).kind).toBe('error');
    expect(rt.table(TABLE_MAIN)!.size).toBe(1002);
  });
});

describe('kernel routes follow addresses and links', () => {
  it('adds local, broadcast and connected routes and removes them with the address', () => {
    const rt = new RoutingTables();
    rt.addDevice('eth0');
    rt.addAddress('eth0', ip('10.9.8.7'), 16);
    expect(runIp(rt, 'ip route').stdout).toBe('10.9.0.0/16 dev eth0 proto kernel scope link src 10.9.8.7 \n');
    expect(runIp(rt, 'ip route show table local').stdout).toContain(
      'broadcast 10.9.255.255 dev eth0 proto kernel scope link src 10.9.8.7 \n',
    );
    expect(rt.lookup({ dst: ip('10.9.1.1') })).toMatchObject({ kind: 'unicast', dev: 'eth0', via: null });
    rt.delAddress('eth0', ip('10.9.8.7'), 16);
    expect(runIp(rt, 'ip route').stdout).toBe('');
    expect(runIp(rt, 'ip route show table local').stdout).not.toContain('10.9.');
    expect(rt.lookup({ dst: ip('10.9.1.1') }).kind).toBe('error');
  });

  it('a link going down takes its routes with it for good', () => {
    const rt = lab();
    add(rt, '20.0.0.0/8 via 10.0.0.1');
    rt.setLinkUp('eth0', false);
    expect(rt.lookup({ dst: ip('20.1.1.1') }).kind).toBe('error');
    expect(rt.lookup({ dst: ip('10.0.0.2') }).kind).toBe('local');
    rt.setLinkUp('eth0', true);
    expect(rt.lookup({ dst: ip('10.0.0.7') })).toMatchObject({ kind: 'unicast', dev: 'eth0' });
    expect(rt.lookup({ dst: ip('20.1.1.1') }).kind).toBe('error');
  });
});

describe('source validation', () => {
  it('treats our own address and 127/8 arriving from outside as martian; rp_filter checks the way back', () => {
    const rt = lab();
    rt.setSysctl('net.ipv4.ip_forward', 1);
    add(rt, '172.16.0.0/12 via 192.168.1.9');
    expect(rt.isMartianSource(ip('10.0.0.2'), ip('172.16.0.1'), 'eth0')).toBe(true);
    expect(rt.isMartianSource(ip('127.0.0.1'), ip('172.16.0.1'), 'eth0')).toBe(true);
    expect(rt.isMartianSource(ip('192.168.1.77'), ip('172.16.0.1'), 'eth0')).toBe(false);
    rt.setSysctl('net.ipv4.conf.all.rp_filter', 1);
    expect(rt.lookup({ dst: ip('172.16.0.1'), src: ip('192.168.1.77'), iif: 'eth0' })).toMatchObject({
      kind: 'error',
      reason: 'rp-filter',
    });
    expect(rt.lookup({ dst: ip('172.16.0.1'), src: ip('10.0.0.77'), iif: 'eth0' }).kind).toBe('unicast');
    rt.setSysctl('net.ipv4.conf.eth0.rp_filter', 2);
    expect(rt.lookup({ dst: ip('172.16.0.1'), src: ip('192.168.1.77'), iif: 'eth0' }).kind).toBe('unicast');
    expect(rt.lookup({ dst: ip('172.16.0.1'), src: ip('8.8.8.8'), iif: 'eth0' })).toMatchObject({ kind: 'error', reason: 'rp-filter' });
  });
});

describe('parsers', () => {
  it('parses every route form the topology files use', () => {
    const r = parseRoute('10.0.0.0/8 via 10.1.1.1 dev eth0 onlink table 100 src 10.1.1.2 metric 5 proto static scope link mtu 1400');
    expect(r.ok && r.value).toMatchObject({
      type: null,
      dev: 'eth0',
      onlink: true,
      table: 100,
      metric: 5,
      proto: 4,
      scope: 253,
      mtu: 1400,
    });
    expect(must(parseRoute('unreachable default')).type).toBe('unreachable');
    expect(parseRoute('1.2.3.0/24 dev x table local').ok).toBe(true);
  });

  it('points at the offending word', () => {
    const r = parseRoute('default via 10.0.0.300');
    expect(!r.ok && r.error[0]).toMatchObject({ col: 13, stderr: 'Error: inet address is expected rather than "10.0.0.300".\n' });
    const m = parseRoute('10.0.0.0/8 dev eth0 metric lots');
    expect(!m.ok && m.error[0].col).toBe(28);
    const h = parseRoute('10.0.0.1/8 dev eth0');
    expect(!h.ok && h.error[0]).toMatchObject({ col: 1, message: expect.stringContaining('host bits') });
    const g = parseRoute('10.0.0.0/8 dev eth0 bogus');
    expect(!g.ok && g.error[0].col).toBe(21);
    const q = parseRule('fwmark 0x1 lookup 100 wibble');
    expect(!q.ok && q.error[0].col).toBe(23);
  });

  it('parses rules with not, masks and suppress_prefixlength', () => {
    const r = parseRule('not from 10.0.0.0/8 to 1.2.3.4 fwmark 0x10/0xf0 iif eth0 oif eth1 pref 7 table main suppress_prefixlength 0');
    expect(r.ok && r.value).toMatchObject({
      not: true,
      fwmark: 0x10,
      fwmask: 0xf0,
      iif: 'eth0',
      oif: 'eth1',
      priority: 7,
      table: 254,
      suppressPrefixlength: 0,
      action: 'lookup',
    });
    expect(must(parseRule('from all prohibit')).action).toBe('prohibit');
  });
});
