import { describe, expect, it } from 'vitest';
import { loadTopologyText } from '../topology/load.js';
import { formatDiagnostic } from '../core/diagnostic.js';
import { exportNetns } from '../export/netns.js';
import { labFrom, probe } from './testing/labs.js';

/** A host with a bridge and one container behind it, which publishes its port 80 on the host's 8080 (as Docker does). */
function published(portOptions = '') {
  return `
name: hairpin
hosts:
  host:
    sysctl: { net.ipv4.ip_forward: 1, net.bridge.bridge-nf-call-iptables: 1 }
    interfaces:
      br0: { kind: bridge, addr: 172.17.0.1/16 }
      vweb: { master: br0${portOptions} }
      vdb: { master: br0 }
    iptables: |
      *nat
      -A PREROUTING -d 172.17.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
      -A POSTROUTING -s 172.17.0.0/16 -d 172.17.0.0/16 -j MASQUERADE
      COMMIT
    namespaces:
      web:
        interfaces: { eth0: { addr: 172.17.0.2/16 } }
        routes: [ default via 172.17.0.1 ]
        listen: [ tcp:80 ]
      db:
        interfaces: { eth0: { addr: 172.17.0.3/16 } }
        routes: [ default via 172.17.0.1 ]
links:
  - [host/web:eth0, host:vweb]
  - [host/db:eth0, host:vdb]
`;
}

describe('bridge hairpin mode', () => {
  it('a container reaching its own published port times out with hairpin off, before FORWARD and POSTROUTING', () => {
    const lab = labFrom(published());
    const r = probe(lab, 'connect', 'host/web', '172.17.0.1:8080');
    expect(r.result).toBe('timeout');
    const steps = r.trace!.steps;
    expect(steps.some((s) => 'bridge' in s && s.bridge.in === 'vweb' && s.bridge.out.length === 0)).toBe(true);
    expect(steps.some((s) => 'drop' in s && /back out of vweb, the port it came in on \(hairpin off\)/.test(s.drop.reason))).toBe(true);
    expect(lab.exec('host', 'conntrack -L').stdout).toBe('');
    // Another container reaches it: the bridge sends the frame out of a different port.
    expect(probe(lab, 'connect', 'host/db', '172.17.0.1:8080').result).toBe('connected');
  });

  it('connects once the port is in hairpin mode, by either command, and stops again when it is off', () => {
    const lab = labFrom(published());
    expect(lab.exec('host', 'bridge link set dev vweb hairpin on')).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    const r = probe(lab, 'connect', 'host/web', '172.17.0.1:8080');
    expect([r.result, r.server, r.serverSees?.split(':')[0]]).toEqual(['connected', 'host/web', '172.17.0.1']);
    expect(lab.exec('host', 'ip link set dev vweb type bridge_slave hairpin off').exitCode).toBe(0);
    expect(probe(lab, 'connect', 'host/web', '172.17.0.1:8080').result).toBe('timeout');
    expect(lab.exec('host', 'ip link set vweb type bridge_slave hairpin on').exitCode).toBe(0);
    expect(probe(lab, 'connect', 'host/web', '172.17.0.1:8080').result).toBe('connected');
  });

  it('`hairpin: true` on a bridge port in the topology turns it on, and the netns export sets it', () => {
    const yaml = published(', hairpin: true');
    expect(probe(labFrom(yaml), 'connect', 'host/web', '172.17.0.1:8080').result).toBe('connected');
    const t = loadTopologyText(yaml, '<test>', process.cwd());
    if (!t.ok) throw new Error(t.error.map(formatDiagnostic).join('\n'));
    const script = exportNetns(t.value);
    expect(script).toMatch(/link set dev vweb type bridge_slave hairpin on/);
    expect(script).not.toMatch(/vdb type bridge_slave/);
  });

  it('refuses `hairpin` on an interface that is not a bridge port, or with a value that is not a boolean', () => {
    const bad = (yaml: string) => {
      const t = loadTopologyText(yaml, 'lab.yaml', process.cwd());
      return t.ok ? '' : t.error.map(formatDiagnostic).join('\n');
    };
    const noMaster = published().replace('vdb: { master: br0 }', 'vdb: { master: br0 }\n      x0: { hairpin: true }');
    expect(bad(noMaster)).toMatch(/^lab\.yaml:\d+:\d+: .*hairpin of host:x0 is a bridge port option; give x0 a `master` bridge/);
    expect(bad(published(', hairpin: yes please'))).toMatch(/lab\.yaml:\d+:\d+: .*hairpin of interface host:vweb must be true or false/);
  });

  it('answers as iproute2 6.1 does for a missing device, a device that is not a port, and a bad value', () => {
    const lab = labFrom(published());
    const run = (cmd: string) => {
      const o = lab.exec('host', cmd);
      return [o.exitCode, o.stderr.trim()];
    };
    expect(run('ip link set dev nope type bridge_slave hairpin on')).toEqual([1, 'Cannot find device "nope"']);
    expect(run('ip link set dev br0 type bridge_slave hairpin on')).toEqual([2, 'RTNETLINK answers: Operation not supported']);
    expect(run('ip link set vweb type bridge_slave hairpin maybe')).toEqual([
      1,
      'Error: argument of "hairpin" must be one of "off", "on", not "maybe"',
    ]);
    expect(run('ip link set vweb type bridge_slave hairpin')).toEqual([255, 'Command line is not complete. Try option "help"']);
    expect(run('bridge link set dev nope hairpin on')).toEqual([255, 'Cannot find bridge device "nope"']);
    expect(run('bridge link set dev br0 hairpin on')).toEqual([255, 'RTNETLINK answers: Operation not supported']);
    expect(run('bridge link set dev vweb hairpin maybe')).toEqual([
      234,
      'Error: argument of "hairpin" must be one of "off", "on", not "maybe"',
    ]);
    expect(run('bridge link set vweb hairpin on')[0]).toBe(255);
    // None of the refusals turned it on.
    expect(probe(lab, 'connect', 'host/web', '172.17.0.1:8080').result).toBe('timeout');
  });
});
