/**
 * `nflab export --format netns`: a self-contained bash script that builds a
 * topology out of real network namespaces, so the kernel can answer the same
 * questions nflab answers. The script is the kernel side of every differential
 * test (test/kernel/harness.ts runs it), so it sets every setting nflab assumes,
 * defaults included: a new namespace inherits several sysctls from the host.
 */
import { InputError, type Diagnostic } from '../core/diagnostic.js';
import { formatIpv4 } from '../packet/ipv4.js';
import type { InterfaceSpec, LinkSpec, NodeSpec, Topology } from '../topology/model.js';
import { appsPy, shellAsset } from './assets.js';
import { nodeSysctls, toSysctlPath } from './sysctls.js';
import { shq, splitShellWords } from '../core/shell.js';

export interface ExportOptions {
  /** Default namespace-name prefix; `NFLAB_PREFIX` overrides it when the script runs. */
  prefix?: string;
}

const IFNAMSIZ = 15;
const NAME = /^[A-Za-z0-9_.-]+$/;

/** The part of a namespace name after `PREFIX-`: `docker-host/web` → `docker-host-web`. */
export function namespaceSuffix(node: string): string {
  return node.replaceAll('/', '-');
}

export function exportNetns(topo: Topology, opts: ExportOptions = {}): string {
  const prefix = opts.prefix ?? 'nflab';
  const diags = check(topo, prefix);
  if (diags.length > 0) throw new InputError(diags);

  const w = new ScriptWriter(topo);
  w.header(prefix);
  w.line('do_up() {');
  w.preflight();
  w.createNamespaces();
  w.createInterfaces();
  w.configureInterfaces();
  w.sysctls();
  w.waitUp();
  w.routes();
  w.netfilter();
  w.listeners();
  w.line('  trap - ERR');
  w.line(`  echo "nflab: lab "${shq(topo.name)}" is up (${topo.nodes.length} namespaces named $PREFIX-*; state in $STATE)"`);
  w.line('}');
  w.line('');
  w.main();
  return w.text();
}

function check(topo: Topology, prefix: string): Diagnostic[] {
  const d: Diagnostic[] = [];
  if (!NAME.test(prefix)) d.push({ message: `export prefix "${prefix}" must match [A-Za-z0-9_.-]+` });
  const seen = new Map<string, string>();
  for (const n of topo.nodes) {
    const at = { file: n.pos.file, line: n.pos.line, col: n.pos.col };
    const suffix = namespaceSuffix(n.name);
    const other = seen.get(suffix);
    if (other !== undefined)
      d.push({ ...at, message: `nodes "${other}" and "${n.name}" would both become namespace "${prefix}-${suffix}"` });
    seen.set(suffix, n.name);
    for (const i of n.interfaces) {
      if (i.name.length > IFNAMSIZ || !NAME.test(i.name)) {
        d.push({
          file: i.pos.file,
          line: i.pos.line,
          col: i.pos.col,
          message: `interface name "${i.name}" cannot be a Linux interface name (at most ${IFNAMSIZ} characters of [A-Za-z0-9_.-])`,
        });
      }
    }
    for (const l of n.listen) {
      if (l.app === 'proxy' && l.proto === 'udp')
        d.push({
          file: l.pos.file,
          line: l.pos.line,
          col: l.pos.col,
          message: 'the exported lab has no UDP proxy (only TCP proxies read SO_ORIGINAL_DST)',
        });
    }
    for (const c of n.iptablesCmds) {
      const r = splitShellWords(c.text);
      if (!r.ok) d.push({ file: c.pos.file, line: c.pos.line, col: c.pos.col + r.col - 1, message: r.message });
      else if (r.words[0] !== 'iptables')
        d.push({
          file: c.pos.file,
          line: c.pos.line,
          col: c.pos.col,
          message: `an iptables_cmds line must start with "iptables", not "${r.words[0] ?? ''}"`,
        });
    }
  }
  return d;
}

/** Replaces user and group names after --uid-owner/--gid-owner with the topology's ids, since the real host may not know them. */
export function resolveOwnerNames(text: string, users: Map<string, number>, groups: Map<string, number>): string {
  return text.replace(/(--(uid|gid)-owner\s+)([^\s]+)/g, (all, head: string, kind: string, name: string) => {
    const id = (kind === 'uid' ? users : groups).get(name);
    return id === undefined ? all : `${head}${id}`;
  });
}

interface LinkEnd {
  link: LinkSpec;
  node: NodeSpec;
  iface: string;
  spec: InterfaceSpec | undefined;
}

class ScriptWriter {
  private readonly out: string[] = [];
  private readonly nsVar = new Map<string, string>();

  constructor(private readonly topo: Topology) {
    topo.nodes.forEach((n, i) => this.nsVar.set(n.name, `"$N${i}"`));
  }

  line(s: string): void {
    this.out.push(s);
  }

  text(): string {
    return this.out.join('\n') + '\n';
  }

  private ns(node: string): string {
    const v = this.nsVar.get(node);
    if (v === undefined) throw new InputError([{ message: `a link names node "${node}", which the topology does not have` }]);
    return v;
  }

  private node(name: string): NodeSpec {
    const n = this.topo.nodes.find((x) => x.name === name);
    if (n === undefined) throw new InputError([{ message: `a link names node "${name}", which the topology does not have` }]);
    return n;
  }

  private ends(): LinkEnd[][] {
    return this.topo.links.map((link) =>
      [link.a, link.b].map((e) => {
        const node = this.node(e.node);
        return { link, node, iface: e.iface, spec: node.interfaces.find((i) => i.name === e.iface) };
      }),
    );
  }

  header(prefix: string): void {
    const t = this.topo;
    this.line('#!/usr/bin/env bash');
    this.line(`# nflab lab ${shq(t.name)} as Linux network namespaces (generated by \`nflab export --format netns\`).`);
    if (t.description) this.line(`# ${t.description.replace(/\n/g, ' ')}`);
    this.line('#   bash lab.sh up | down | exec NODE CMD... | nodes      (as root; NFLAB_PREFIX sets the namespace prefix)');
    this.line('# Links are plain veth pairs. Link latency, bandwidth and loss are NOT reproduced:');
    this.line('# that needs netem, which this kind of kernel may lack; only the MTU carries over.');
    this.line('set -Eeuo pipefail');
    this.line(`PREFIX="\${NFLAB_PREFIX:-${prefix}}"`);
    this.line('case "$PREFIX" in (""|*[!A-Za-z0-9_.-]*) echo "lab.sh: NFLAB_PREFIX must match [A-Za-z0-9_.-]+" >&2; exit 2;; esac');
    this.line('STATE="/run/nflab/$PREFIX"');
    t.nodes.forEach((n, i) => this.line(`N${i}="$PREFIX-"${shq(namespaceSuffix(n.name))}`));
    this.line(`NODE_NAMES=(${t.nodes.map((n) => shq(n.name)).join(' ')})`);
    this.line(`NODE_NS=(${t.nodes.map((_, i) => `"$N${i}"`).join(' ')})`);
    this.line('\n' + shellAsset('lab-helpers.sh'));
  }

  preflight(): void {
    const needs = ['ip', 'iptables-restore', 'setpriv', 'ss', 'sysctl'];
    if (this.topo.nodes.some((n) => n.iptablesCmds.length > 0)) needs.push('iptables');
    if (this.topo.nodes.some((n) => n.nftables)) needs.push('nft');
    this.line(`  [[ $EUID -eq 0 ]] || die "run me as root (ip netns needs it)"`);
    this.line(`  need ${needs.join(' ')}`);
    const ipsets = this.topo.nodes.flatMap((n) => n.ipsets.map((s) => `${s.name} on ${n.name}`));
    if (ipsets.length > 0)
      this.line(
        `  command -v ipset >/dev/null || die ${shq(`this lab uses ipsets (${ipsets.join(', ')}) but the ipset tool is not installed (apt-get install ipset)`)}`,
      );
    const acct = this.topo.nodes.flatMap((n) => n.nfacct.map((a) => `${a} on ${n.name}`));
    if (acct.length > 0)
      this.line(
        `  command -v nfacct >/dev/null || die ${shq(`this lab uses nfacct objects (${acct.join(', ')}) but the nfacct tool is not installed (apt-get install nfacct)`)}`,
      );
    this.line('  pick_python');
    this.line(
      '  local ns; for ns in "${NODE_NS[@]}"; do [[ ! -e "/run/netns/$ns" ]] || die "namespace $ns already exists: run \'bash $0 down\' first, or set NFLAB_PREFIX"; done',
    );
    this.line('  trap \'up_failed $LINENO "$BASH_COMMAND"\' ERR');
    this.line('  mkdir -p "$STATE" && chmod 755 /run/nflab "$STATE" && : > "$STATE/pids"');
    this.line(`  cat > "$STATE/apps.py" <<'NFLAB_APPS_PY'`);
    this.line(appsPy().trimEnd());
    this.line('NFLAB_APPS_PY');
    this.line('  chmod 644 "$STATE/apps.py"');
  }

  createNamespaces(): void {
    for (const n of this.topo.nodes) {
      const ns = this.ns(n.name);
      this.line(`  # node ${n.name}`);
      this.line(`  ip netns add ${ns}`);
      this.line(`  ip -n ${ns} link set lo up`);
      // IPv6 off and no IGMP reports for 224.0.0.x (a bridge joins 224.0.0.106): nflab is
      // IPv4 unicast only, and that stray traffic would show up in conntrack.
      // `default` before any interface exists, so new interfaces start from it.
      const early = nodeSysctls(n).filter(([k]) => k.startsWith('net.ipv4.conf.default.'));
      this.line(
        `  sysw ${ns} net/ipv6/conf/all/disable_ipv6=1 net/ipv6/conf/default/disable_ipv6=1 net/ipv4/igmp_link_local_mcast_reports=0 ${pairs(early)}`,
      );
    }
  }

  /**
   * Devices are created in each namespace in the order nflab numbers them (lo, then the node's
   * interfaces as listed): the kernel keeps a namespace's devices in the order they arrived, and
   * inet_select_addr's fallback (MASQUERADE on lo, an ARP source) takes the first that qualifies.
   * A veth pair is made when its first end's turn comes. Its other end goes straight into its
   * namespace under its final name when every interface listed before it there exists already;
   * otherwise it waits in the first end's namespace under a temporary name and moves (renamed)
   * when its turn comes, which appends it to its namespace's list.
   */
  createInterfaces(): void {
    const order = new Map(this.topo.nodes.map((n) => [n.name, this.interfaceOrder(n)]));
    const present = new Map(this.topo.nodes.map((n) => [n.name, 0]));
    const pairs = new Map<string, { self: LinkEnd; peer: LinkEnd; mtu: number }>();
    const key = (node: string, iface: string) => `${node}\0${iface}`;
    for (const [a, b] of this.ends()) {
      const mtu = Math.min(...[a.spec?.mtu, b.spec?.mtu, a.link.mtu].filter((m): m is number => m !== undefined && m > 0), 65535);
      pairs.set(key(a.node.name, a.iface), { self: a, peer: b, mtu });
      pairs.set(key(b.node.name, b.iface), { self: b, peer: a, mtu });
    }
    const taken = new Set(this.topo.nodes.flatMap((n) => order.get(n.name)!));
    let serial = 0;
    const temporary = () => {
      let t: string;
      do t = `nflab-tmp${serial++}`;
      while (taken.has(t));
      return t;
    };
    const made = new Set<string>();
    const parked = new Map<string, { name: string; ns: string }>();
    for (const n of this.topo.nodes) {
      const ns = this.ns(n.name);
      for (const [index, name] of order.get(n.name)!.entries()) {
        present.set(n.name, Math.max(present.get(n.name)!, index + 1));
        if (made.has(key(n.name, name))) continue;
        const i = n.interfaces.find((x) => x.name === name);
        if (i?.kind === 'bridge') {
          this.line(`  ip -n ${ns} link add name ${shq(name)}${attrs(i)} type bridge`);
          continue;
        }
        // This kernel may have no dummy driver; ifb holds addresses and drops what it is sent, as dummy does.
        if (i?.kind === 'dummy') {
          this.line(
            `  ip -n ${ns} link add name ${shq(name)}${attrs(i)} type dummy 2>/dev/null || ip -n ${ns} link add name ${shq(name)}${attrs(i)} type ifb`,
          );
          continue;
        }
        const p = pairs.get(key(n.name, name));
        if (p === undefined)
          throw new InputError([
            {
              file: i!.pos.file,
              line: i!.pos.line,
              col: i!.pos.col,
              message: `interface "${name}" of ${n.name} is a veth but no link uses it`,
            },
          ]);
        const waiting = parked.get(key(n.name, name));
        if (waiting !== undefined) {
          // Moving to the namespace a device is in would not rename it.
          if (waiting.ns === ns) this.line(`  ip -n ${ns} link set dev ${waiting.name} name ${shq(name)}`);
          else this.line(`  ip -n ${waiting.ns} link set dev ${waiting.name} netns ${ns} name ${shq(name)}`);
          continue;
        }
        const peerNode = p.peer.node.name;
        const peerIndex = order.get(peerNode)!.indexOf(p.peer.iface);
        const end = (e: LinkEnd, as: string, at: string) =>
          `name ${shq(as)} netns ${at} mtu ${p.mtu}${e.spec?.mac ? ` address ${e.spec.mac}` : ''}`;
        let peerEnd: string;
        if (peerNode !== n.name && present.get(peerNode) === peerIndex) {
          present.set(peerNode, peerIndex + 1);
          made.add(key(peerNode, p.peer.iface));
          peerEnd = end(p.peer, p.peer.iface, this.ns(peerNode));
        } else {
          const t = temporary();
          parked.set(key(peerNode, p.peer.iface), { name: t, ns });
          peerEnd = end(p.peer, t, ns);
        }
        this.line(`  ip link add ${end(p.self, name, ns)} type veth peer ${peerEnd}`);
      }
    }
  }

  /** A node's devices besides lo in nflab's order: its interfaces as listed, then link ends it does not list. */
  private interfaceOrder(n: NodeSpec): string[] {
    return [...n.interfaces.filter((i) => i.name !== 'lo').map((i) => i.name), ...linkEndsMissingSpec(this.topo, n)];
  }

  configureInterfaces(): void {
    for (const n of this.topo.nodes) {
      const ns = this.ns(n.name);
      for (const i of n.interfaces) {
        if (i.master !== null) this.line(`  ip -n ${ns} link set dev ${shq(i.name)} master ${shq(i.master)}`);
        if (i.master !== null && i.hairpin) this.line(`  ip -n ${ns} link set dev ${shq(i.name)} type bridge_slave hairpin on`);
      }
      for (const i of n.interfaces) {
        for (const a of i.addrs) {
          const text = `${formatIpv4(a.addr)}/${a.cidr.len}`;
          if (i.name === 'lo' && text === '127.0.0.1/8') continue;
          this.line(`  ip -n ${ns} addr add ${text} dev ${shq(i.name)}`);
        }
      }
      const up = n.interfaces.filter((i) => i.name !== 'lo').map((i) => i.name);
      for (const name of linkEndsMissingSpec(this.topo, n)) up.push(name);
      for (const name of up) this.line(`  ip -n ${ns} link set dev ${shq(name)} up`);
    }
  }

  sysctls(): void {
    for (const n of this.topo.nodes) {
      const ns = this.ns(n.name);
      const all = nodeSysctls(n);
      const bridged = n.interfaces.some((i) => i.kind === 'bridge') || n.sysctl.has('net.bridge.bridge-nf-call-iptables');
      this.line(`  sysw ${ns} ${pairs(all.filter(([k]) => !k.startsWith('net.bridge.')))}`);
      for (const [k, v] of all) {
        if (k.startsWith('net.bridge.')) this.line(`  sysw_bridge ${ns} ${shq(toSysctlPath(k))} ${shq(v)} ${bridged ? 1 : 0}`);
      }
    }
  }

  waitUp(): void {
    for (const n of this.topo.nodes) {
      // lo and dummies never report a carrier; a bridge without ports never comes up.
      const ports = new Set(n.interfaces.filter((i) => i.master !== null).map((i) => i.master));
      const names = n.interfaces.filter((i) => i.kind === 'veth' || (i.kind === 'bridge' && ports.has(i.name))).map((i) => i.name);
      for (const name of linkEndsMissingSpec(this.topo, n)) names.push(name);
      if (names.length > 0) this.line(`  wait_up ${this.ns(n.name)} ${names.map(shq).join(' ')}`);
    }
  }

  routes(): void {
    for (const n of this.topo.nodes) {
      const ns = this.ns(n.name);
      for (const r of n.routes) this.line(`  ip -n ${ns} route add ${words(r.text)}`);
      for (const r of n.ipRules) this.line(`  ip -n ${ns} rule add ${words(r.text)}`);
    }
  }

  netfilter(): void {
    let k = 0;
    for (const n of this.topo.nodes) {
      const ns = this.ns(n.name);
      for (const s of n.ipsets) {
        this.line(`  ip netns exec ${ns} ipset create ${shq(s.name)} ${shq(s.type)}${s.type === 'bitmap:port' ? ' range 0-65535' : ''}`);
        for (const m of s.members) this.line(`  ip netns exec ${ns} ipset add ${shq(s.name)} ${shq(m)}`);
      }
      for (const a of n.nfacct) this.line(`  ip netns exec ${ns} nfacct add ${shq(a)} >/dev/null`);
      if (n.iptables !== null) {
        const body = resolveOwnerNames(n.iptables.text, n.users, n.groups).replace(/\n*$/, '\n');
        let delim = `NFLAB_RULES_${k++}`;
        while (body.split('\n').includes(delim)) delim += '_';
        // As nflab loads them: counters in the text count only with `counters: true` (iptables-restore -c).
        this.line(`  ip netns exec ${ns} iptables-restore${n.iptables.counters ? ' -c' : ''} <<'${delim}'`);
        this.out.push(body.slice(0, -1));
        this.line(delim);
      }
      for (const c of n.iptablesCmds) {
        const r = splitShellWords(resolveOwnerNames(c.text, n.users, n.groups));
        if (r.ok) this.line(`  ip netns exec ${ns} ${r.words.map(shq).join(' ')}`);
      }
      if (n.nftables) {
        // After iptables, as nflab loads them: one nft transaction.
        const body = n.nftables.text.replace(/\n*$/, '\n');
        let delim = `NFLAB_NFT_${k++}`;
        while (body.split('\n').includes(delim)) delim += '_';
        this.line(`  ip netns exec ${ns} nft -f - <<'${delim}'`);
        this.out.push(body.slice(0, -1));
        this.line(delim);
      }
    }
  }

  listeners(): void {
    for (const n of this.topo.nodes) {
      const ns = this.ns(n.name);
      for (const l of n.listen) {
        const src = l.source === null ? "''" : formatIpv4(l.source);
        this.line(`  start_app ${ns} ${shq(n.name)} ${l.uid} ${l.app} ${l.proto} ${formatIpv4(l.addr)} ${l.port} ${src}`);
      }
    }
    this.line('  wait_apps');
  }

  main(): void {
    this.line(shellAsset('lab-main.sh').trimEnd());
  }
}

function attrs(i: InterfaceSpec): string {
  return `${i.mtu > 0 ? ` mtu ${i.mtu}` : ''}${i.mac ? ` address ${i.mac}` : ''}`;
}

function pairs(list: Array<[string, string]>): string {
  return list.map(([k, v]) => shq(`${toSysctlPath(k)}=${v}`)).join(' ');
}

function words(text: string): string {
  return text.trim().split(/\s+/).map(shq).join(' ');
}

/** Link ends the topology names without listing the interface (the loader normally adds them). */
function linkEndsMissingSpec(topo: Topology, n: NodeSpec): string[] {
  const out: string[] = [];
  for (const l of topo.links) {
    for (const e of [l.a, l.b]) {
      if (e.node === n.name && !n.interfaces.some((i) => i.name === e.iface)) out.push(e.iface);
    }
  }
  return out;
}
