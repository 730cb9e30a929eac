import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/diagnostic.js';
import { dockerPortMapping, DOCKER_NAT, iface, listen, node } from './testing/topologies.js';
import { exportNetns, namespaceSuffix, resolveOwnerNames } from './netns.js';
import { nodeSysctls, toSysctlPath } from './sysctls.js';

const pos = { file: 't.yaml', line: 3, col: 5 };

function bashSyntaxOk(script: string): boolean {
  const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  if (r.error) return true; // no bash here: nothing to check against
  if (r.status !== 0) throw new Error(r.stderr);
  return true;
}

describe('exportNetns', () => {
  const script = exportNetns(dockerPortMapping());

  it('is valid bash', () => {
    expect(bashSyntaxOk(script)).toBe(true);
  });

  it('names one namespace per node after the prefix, with / turned into -', () => {
    expect(script).toContain('PREFIX="${NFLAB_PREFIX:-nflab}"');
    expect(script).toContain(`N2="$PREFIX-"docker-host-web`);
    expect(exportNetns(dockerPortMapping(), { prefix: 'lab7' })).toContain('PREFIX="${NFLAB_PREFIX:-lab7}"');
    expect(namespaceSuffix('a/b')).toBe('a-b');
  });

  it('creates each veth pair directly inside both namespaces under its final names', () => {
    expect(script).toContain('ip link add name eth0 netns "$N0" mtu 1500 type veth peer name eth0 netns "$N1" mtu 1500');
    expect(script).toContain('ip link add name veth-web netns "$N1" mtu 1500 type veth peer name eth0 netns "$N2" mtu 1500');
    expect(script).toContain('ip -n "$N1" link add name docker0 mtu 1500 type bridge');
    expect(script).toContain('ip -n "$N1" link set dev veth-web master docker0');
  });

  // The kernel lists a namespace's devices in the order they arrived; inet_select_addr's fallback
  // (MASQUERADE on lo) takes the first that qualifies, so it must be nflab's order (found nft-4-27).
  it('creates every namespace’s devices in the order nflab lists them, bridges included', () => {
    const creations = script.split('\n').filter((l) => / link add /.test(l));
    expect(creations.map((l) => l.replace(/ mtu .*/, ''))).toEqual([
      '  ip link add name eth0 netns "$N0"',
      '  ip -n "$N1" link add name docker0',
      '  ip link add name veth-web netns "$N1"',
    ]);
  });

  it('parks a veth end under a temporary name until its turn in its own namespace', () => {
    const t = dockerPortMapping();
    // docker-host lists docker0 and veth-web before eth0, so client's pair cannot put eth0 there yet.
    const host = t.nodes[1];
    host.interfaces = [host.interfaces[1], host.interfaces[2], host.interfaces[0]];
    const lines = exportNetns(t)
      .split('\n')
      .filter((l) => / link (add|set dev \S+ (netns|name))/.test(l));
    expect(lines).toEqual([
      '  ip link add name eth0 netns "$N0" mtu 1500 type veth peer name nflab-tmp0 netns "$N0" mtu 1500',
      '  ip -n "$N1" link add name docker0 mtu 1500 type bridge',
      '  ip link add name veth-web netns "$N1" mtu 1500 type veth peer name eth0 netns "$N2" mtu 1500',
      '  ip -n "$N0" link set dev nflab-tmp0 netns "$N1" name eth0',
    ]);
  });

  it('renames in place the second end of a pair whose two ends are on one node', () => {
    const t = dockerPortMapping();
    t.nodes[0].interfaces.push({ ...t.nodes[0].interfaces[0], name: 'eth1', addrs: [] });
    t.links.push({ ...t.links[0], a: { node: 'client', iface: 'eth0' }, b: { node: 'client', iface: 'eth1' } });
    t.links.shift();
    t.nodes[1].interfaces.shift();
    const lines = exportNetns(t)
      .split('\n')
      .filter((l) => / link (add|set dev \S+ (netns|name))/.test(l) && l.includes('"$N0"'));
    expect(lines).toEqual([
      '  ip link add name eth0 netns "$N0" mtu 1500 type veth peer name nflab-tmp0 netns "$N0" mtu 1500',
      '  ip -n "$N0" link set dev nflab-tmp0 name eth1',
    ]);
  });

  it('restores each node’s rules verbatim', () => {
    const start = script.indexOf(`ip netns exec "$N1" iptables-restore <<'NFLAB_RULES_0'\n`);
    expect(start).toBeGreaterThan(0);
    const body = script.slice(script.indexOf('\n', start) + 1, script.indexOf('\nNFLAB_RULES_0\n', start) + 1);
    expect(body).toBe(DOCKER_NAT);
    expect(script.match(/iptables-restore/g)?.length).toBe(2); // the need check and node docker-host's restore
  });

  it('adds addresses and routes as written', () => {
    expect(script).toContain('ip -n "$N1" addr add 172.17.0.1/16 dev docker0');
    expect(script).toContain('ip -n "$N0" route add default via 198.51.100.1');
  });

  it('sets every relevant sysctl, defaults included, with the topology’s values', () => {
    expect(script).toMatch(/sysw "\$N1" .*net\/ipv4\/ip_forward=1/);
    expect(script).toMatch(/sysw "\$N0" .*net\/ipv4\/ip_forward=0/);
    expect(script).toMatch(/sysw "\$N1" .*net\/ipv4\/conf\/veth-web\/rp_filter=0/);
    expect(script).toContain('sysw_bridge "$N1" net/bridge/bridge-nf-call-iptables 1 1');
  });

  it('starts listeners through setpriv and records them', () => {
    expect(script).toContain('start_app "$N2" docker-host/web 0 echo tcp 0.0.0.0 80');
    expect(script).toContain('setpriv --reuid "$3" --regid "$3" --clear-groups');
    expect(script).toContain('echo "$!" >> "$STATE/pids"');
  });

  it('quotes names that are not plain words', () => {
    const t = dockerPortMapping();
    t.name = "bob's lab; rm -rf /";
    t.nodes[2].listen = [listen('tcp', 8080, { app: 'proxy', uid: 1337, source: 0x7f000006 })];
    const s = exportNetns(t);
    expect(s).toContain(`# nflab lab 'bob'\\''s lab; rm -rf /' as Linux`);
    expect(s).toContain(`"nflab: lab "'bob'\\''s lab; rm -rf /'" is up`);
    expect(s).toContain('start_app "$N2" docker-host/web 1337 proxy tcp 0.0.0.0 8080 127.0.0.6');
    expect(bashSyntaxOk(s)).toBe(true);
  });

  it('runs iptables_cmds as argument vectors, owner names resolved', () => {
    const t = dockerPortMapping();
    t.nodes[0].users = new Map([['istio-proxy', 1337]]);
    t.nodes[0].iptablesCmds = [
      { text: `iptables -t nat -A OUTPUT -m owner --uid-owner istio-proxy -m comment --comment "skip me" -j RETURN`, pos },
    ];
    const s = exportNetns(t);
    expect(s).toContain(`ip netns exec "$N0" iptables -t nat -A OUTPUT -m owner --uid-owner 1337 -m comment --comment 'skip me' -j RETURN`);
    expect(s).toContain('need ip iptables-restore setpriv ss sysctl iptables');
  });

  it('refuses what the kernel side could not reproduce, naming the place', () => {
    const t = dockerPortMapping();
    t.nodes[0].iptablesCmds = [{ text: 'iptables -F; reboot', pos }];
    t.nodes[0].interfaces.push(iface('a-very-long-interface', null, { kind: 'dummy', pos }));
    t.nodes.push(node('docker/host-web'), node('docker-host-web'));
    let err: unknown;
    try {
      exportNetns(t);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const msgs = (err as InputError).diagnostics.map((d) => d.message).join('\n');
    expect(msgs).toContain('shell operator ";"');
    expect(msgs).toContain('"a-very-long-interface" cannot be a Linux interface name');
    expect(msgs).toContain('would both become namespace "nflab-docker-host-web"');
    expect((err as InputError).diagnostics.find((d) => d.message.includes(';'))).toMatchObject({ line: 3, col: 16 });
  });

  it('fails clearly up front when ipsets or nfacct are used and their tools are missing', () => {
    const t = dockerPortMapping();
    t.nodes[1].ipsets = [{ name: 'allow', type: 'hash:net', members: ['10.0.0.0/8'], pos }];
    t.nodes[1].nfacct = ['web'];
    const s = exportNetns(t);
    expect(s).toMatch(/command -v ipset >\/dev\/null \|\| die .*allow on docker-host/);
    expect(s).toContain('ip netns exec "$N1" ipset create allow hash:net');
    expect(s).toContain('ip netns exec "$N1" ipset add allow 10.0.0.0/8');
    expect(s).toContain('ip netns exec "$N1" nfacct add web');
    expect(s.indexOf('ipset add allow')).toBeLessThan(s.indexOf('iptables-restore <<'));
  });

  it('picks a heredoc delimiter the rules do not contain', () => {
    const t = dockerPortMapping();
    t.nodes[1].iptables!.text = '*filter\nNFLAB_RULES_0\nCOMMIT\n';
    const s = exportNetns(t);
    expect(s).toContain(`iptables-restore <<'NFLAB_RULES_0_'`);
  });

  it("loads the text's counters only when the topology says counters: true, as nflab does", () => {
    const t = dockerPortMapping();
    t.nodes[1].iptables!.counters = true;
    expect(exportNetns(t)).toContain(`ip netns exec "$N1" iptables-restore -c <<'NFLAB_RULES_0'`);
  });
});

describe('sysctls', () => {
  it('writes default and all first, ip_forward before per-interface extras, and lowers the unprivileged port start only when needed', () => {
    const n = node('h', {
      interfaces: [iface('eth0', null)],
      listen: [listen('tcp', 80, { uid: 1000 }), listen('tcp', 22, { uid: 0 })],
      sysctl: new Map([
        ['net.ipv4.conf.eth0.forwarding', { value: '0', pos }],
        ['net.ipv4.conf.all.rp_filter', { value: '2', pos }],
      ]),
    });
    const keys = nodeSysctls(n);
    const at = (k: string) => keys.findIndex(([x]) => x === k);
    expect(at('net.ipv4.conf.default.rp_filter')).toBe(0);
    expect(keys[at('net.ipv4.conf.all.rp_filter')][1]).toBe('2');
    expect(at('net.ipv4.ip_forward')).toBeLessThan(at('net.ipv4.conf.eth0.forwarding'));
    expect(keys[at('net.ipv4.ip_unprivileged_port_start')][1]).toBe('80');
    expect(nodeSysctls(node('x')).find(([k]) => k === 'net.ipv4.ip_unprivileged_port_start')?.[1]).toBe('1024');
  });

  it('keeps dots inside interface names', () => {
    expect(toSysctlPath('net.ipv4.conf.eth0.100.rp_filter')).toBe('net/ipv4/conf/eth0.100/rp_filter');
    expect(toSysctlPath('net.bridge.bridge-nf-call-iptables')).toBe('net/bridge/bridge-nf-call-iptables');
  });
});

describe('resolveOwnerNames', () => {
  it('replaces known names and leaves numbers and unknown names', () => {
    const users = new Map([['istio-proxy', 1337]]);
    const groups = new Map([['java', 2000]]);
    expect(resolveOwnerNames('-m owner --uid-owner istio-proxy --gid-owner java', users, groups)).toBe(
      '-m owner --uid-owner 1337 --gid-owner 2000',
    );
    expect(resolveOwnerNames('--uid-owner 5 --uid-owner nobody', users, groups)).toBe('--uid-owner 5 --uid-owner nobody');
  });
});
