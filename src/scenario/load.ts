/**
 * Scenario files (scenarios/*.yaml): a topology (a path or inline), a seed and
 * steps. Every problem is reported at its file, line and column.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Node as YamlNode } from 'yaml';
import { type Diagnostic, err, ok, type Result } from '../core/diagnostic.js';
import { parseDuration } from '../core/time.js';
import { parseIpv4 } from '../packet/ipv4.js';
import { loadTopologyFile, loadTopologyFromYaml } from '../topology/load.js';
import type { NodeSpec, Topology } from '../topology/model.js';
import type {
  ConntrackExpect,
  CounterExpect,
  ExecStep,
  ExpectStep,
  ProbeExpect,
  ProbeStep,
  RuleRef,
  Scenario,
  Step,
  WaitStep,
} from './model.js';
import { NFT_FAMILIES, nftRefText, type NftSelector } from './nft-ref.js';
import {
  type Entries,
  mapEntries,
  oneOrMany,
  parseYaml,
  readInt,
  readString,
  scalarText,
  scalarValue,
  seqItems,
  type YamlSource,
} from './yaml-read.js';

const TOP_KEYS = ['name', 'description', 'topology', 'seed', 'steps'];
const STEP_KINDS = ['connect', 'send', 'ping', 'exec', 'wait', 'expect'];
const PROBE_KEYS = ['from', 'to', 'proto', 'uid', 'gid', 'src', 'sport', 'timeout', 'repeat'];
const PROBE_EXPECT_KEYS = ['result', 'server', 'server_sees', 'passes', 'not_passes', 'outcome', 'distribution', 'counters', 'conntrack'];
const RESULTS: Record<string, readonly string[]> = {
  connect: ['connected', 'refused', 'timeout', 'unreachable', 'no-route'],
  send: ['delivered', 'refused', 'timeout', 'unreachable', 'no-route'],
  ping: ['reply', 'timeout', 'unreachable', 'no-route'],
};
const OUTCOMES = ['delivered', 'dropped', 'rejected', 'no-route', 'ttl-exceeded'];
const COUNTER_KEYS = ['node', 'family', 'table', 'chain', 'rule', 'handle', 'comment', 'packets', 'bytes'];
const REF_KEYS = ['node', 'family', 'table', 'chain', 'rule', 'handle', 'comment'];
const CT_KEYS = [
  'node',
  'count',
  'proto',
  'state',
  'src',
  'dst',
  'sport',
  'dport',
  'reply_src',
  'reply_dst',
  'reply_sport',
  'reply_dport',
  'mark',
  'flags',
];
const DEFAULT_TIMEOUT = 900_000;

/** With `partial`, the topology's nodes read so far are added to it even when a file has errors (for `nflab check`). */
export function loadScenarioFile(path: string, partial?: NodeSpec[]): Result<Scenario> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return err([{ file: path, message: `cannot read scenario: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  return loadScenarioText(text, resolve(path), partial);
}

export function loadScenarioText(text: string, file: string, partial?: NodeSpec[]): Result<Scenario> {
  const { doc, src } = parseYaml(text, file);
  if (src.diags.length) return err(src.diags);
  const top = mapEntries(src, doc.contents, 'the scenario', TOP_KEYS, true);
  if (!top) return err(src.diags);
  const diags: Diagnostic[] = [];
  let topology: Topology | null = null;
  let topologyFile = file;
  const t = top.get('topology');
  if (!t) src.error(doc.contents, 'the scenario needs a `topology:` (a path, or the topology itself)');
  else if (typeof scalarValue(t.value) === 'string') {
    topologyFile = resolve(dirname(file), String(scalarValue(t.value)));
    const r = loadTopologyFile(topologyFile, partial);
    if (r.ok) topology = r.value;
    else diags.push(...r.error);
  } else {
    const r = loadTopologyFromYaml(doc, t.value, file, dirname(file), src.lines, partial);
    if (r.ok) topology = r.value;
    else diags.push(...r.error);
  }
  const seedNode = top.get('seed');
  const seed = seedNode ? (readInt(src, seedNode.value, '`seed`', 0, 0xffffffff) ?? 1) : 1;
  const steps: Step[] = [];
  const stepsNode = top.get('steps');
  if (!stepsNode) src.error(doc.contents, 'the scenario needs `steps:`');
  else {
    const items = seqItems(src, stepsNode.value, '`steps`') ?? [];
    items.forEach((item, i) => {
      const s = readStep(src, item, i + 1, topology);
      if (s) steps.push(s);
    });
  }
  diags.push(...src.diags);
  if (diags.length || !topology) return err(diags);
  const nameNode = top.get('name');
  const name = nameNode ? scalarText(nameNode.value) : file.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
  return ok({ file, name, topologyFile, topology, seed, steps });
}

function readStep(src: YamlSource, node: YamlNode, index: number, topo: Topology | null): Step | null {
  const e = mapEntries(src, node, `step ${index}`, ['name', ...STEP_KINDS]);
  if (!e) return null;
  const kinds = [...e.keys()].filter((k) => STEP_KINDS.includes(k) && k !== 'expect');
  const name = e.has('name') ? scalarText(e.get('name')!.value) : '';
  const pos = src.pos(node);
  if (kinds.length > 1) {
    src.error(node, `step ${index} has both \`${kinds[0]}\` and \`${kinds[1]}\`; a step does one thing`);
    return null;
  }
  const kind = kinds[0] ?? (e.has('expect') ? 'expect' : null);
  if (!kind) {
    src.error(node, `step ${index} must have one of: ${STEP_KINDS.join(', ')}`);
    return null;
  }
  const body = e.get(kind)!.value;
  const expectNode = kind === 'expect' ? null : (e.get('expect')?.value ?? null);
  switch (kind) {
    case 'connect':
    case 'send':
    case 'ping':
      return readProbe(src, kind, body, expectNode, name, pos, topo);
    case 'exec':
      return readExec(src, body, expectNode, name, pos, topo);
    case 'wait': {
      const d = parseDuration(scalarText(body));
      if (d === null) {
        src.error(body, '`wait` takes a duration such as 1s, 500ms or 100us');
        return null;
      }
      const w: WaitStep = { kind: 'wait', name, pos, duration: d };
      return w;
    }
    default:
      return readExpectStep(src, body, name, pos, topo);
  }
}

function checkNode(src: YamlSource, node: YamlNode | null, name: string | null, topo: Topology | null): string | null {
  if (name === null) return null;
  if (topo && !topo.nodes.some((n) => n.name === name)) {
    src.error(node, `no node "${name}" in the topology (nodes: ${topo.nodes.map((n) => n.name).join(', ')})`);
    return null;
  }
  return name;
}

function readProbe(
  src: YamlSource,
  kind: 'connect' | 'send' | 'ping',
  body: YamlNode | null,
  expectNode: YamlNode | null,
  name: string,
  pos: ProbeStep['pos'],
  topo: Topology | null,
): ProbeStep | null {
  const e = mapEntries(src, body, `\`${kind}\``, PROBE_KEYS);
  if (!e) return null;
  const fromNode = e.get('from')?.value ?? null;
  const toNode = e.get('to')?.value ?? null;
  if (!e.has('from')) src.error(body, `\`${kind}\` needs \`from\``);
  if (!e.has('to')) src.error(body, `\`${kind}\` needs \`to\``);
  const from = checkNode(src, fromNode, e.has('from') ? readString(src, fromNode, '`from`') : null, topo);
  const to = e.has('to') ? readString(src, toNode, '`to`') : null;
  let proto: ProbeStep['proto'] = kind === 'ping' ? 'icmp' : kind === 'send' ? 'udp' : 'tcp';
  if (e.has('proto')) {
    const p = String(scalarValue(e.get('proto')!.value));
    if (kind === 'ping' || (p !== 'tcp' && p !== 'udp'))
      src.error(e.get('proto')!.value, `\`proto\` of \`${kind}\` must be ${kind === 'ping' ? 'absent' : 'tcp or udp'}`);
    else proto = p;
  }
  let dst: number | null = null;
  let port = 0;
  if (to) {
    const [addr, portText] = to.split(':');
    dst = parseIpv4(addr);
    if (dst === null) src.error(toNode, `\`to\` must be IP or IP:PORT, not "${to}"`);
    if (kind === 'ping') {
      if (portText !== undefined) src.error(toNode, '`ping` takes an address without a port');
    } else if (portText === undefined || !/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      src.error(toNode, `\`${kind}\` needs IP:PORT with a port from 1 to 65535, not "${to}"`);
    } else port = Number(portText);
  }
  const uid = e.has('uid') ? readUid(src, e.get('uid')!.value, topo, from) : 0;
  const gid = e.has('gid') ? (readInt(src, e.get('gid')!.value, '`gid`', 0, 0xffffffff) ?? 0) : (uid ?? 0);
  let srcAddr: number | null = null;
  if (e.has('src')) {
    srcAddr = parseIpv4(String(scalarValue(e.get('src')!.value)));
    if (srcAddr === null) src.error(e.get('src')!.value, '`src` must be an IPv4 address');
  }
  const sport = e.has('sport') ? readInt(src, e.get('sport')!.value, '`sport`', 1, 65535) : null;
  let timeout = DEFAULT_TIMEOUT;
  if (e.has('timeout')) {
    const t = parseDuration(String(scalarValue(e.get('timeout')!.value)));
    if (t === null || t <= 0) src.error(e.get('timeout')!.value, '`timeout` takes a duration such as 900ms or 2s');
    else timeout = t;
  }
  const repeat = e.has('repeat') ? (readInt(src, e.get('repeat')!.value, '`repeat`', 1, 100_000) ?? 1) : 1;
  const expect = expectNode ? readProbeExpect(src, kind, expectNode, topo) : null;
  if (!from || dst === null || uid === null) return null;
  return { kind, name, pos, from, to: to!, dst, port, proto, uid, gid, src: srcAddr, sport, timeout, repeat, expect };
}

function readUid(src: YamlSource, node: YamlNode | null, topo: Topology | null, from: string | null): number | null {
  const v = scalarValue(node);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const users = topo?.nodes.find((n) => n.name === from)?.users;
    const id = users?.get(v);
    if (id !== undefined) return id;
    if (/^\d+$/.test(v)) return Number(v);
  }
  src.error(node, "`uid` must be a number or a user listed in the host's `users`");
  return null;
}

const NFT_REF = new RegExp(`^(\\S+)\\s+(${NFT_FAMILIES.join('|')})\\s+([^/\\s]+)/(\\S+?)(?:\\s+handle\\s+(\\d+))?$`);

/**
 * `NODE TABLE/CHAIN#N`, `NODE TABLE/CHAIN` (the policy), `NODE FAMILY TABLE/CHAIN handle N` (a native
 * rule; without `handle N`, its base chain's policy), or a mapping with node/table/chain/rule (or
 * node/family/table/chain/handle|comment).
 */
function readRuleRef(src: YamlSource, node: YamlNode, topo: Topology | null): RuleRef | null {
  const v = scalarValue(node);
  if (typeof v === 'string') {
    const n = NFT_REF.exec(v.trim());
    if (n) {
      if (!checkNode(src, node, n[1], topo)) return null;
      const nft = { family: n[2], handle: n[5] ? Number(n[5]) : null, comment: null };
      return { node: n[1], table: n[3], chain: n[4], rule: null, nft, text: v.trim() };
    }
    const m = /^(\S+)\s+(raw|mangle|nat|filter|security)\/([^#\s]+)(?:#(\d+))?$/.exec(v.trim());
    if (!m) {
      src.error(
        node,
        `a rule reference looks like "NODE TABLE/CHAIN#N" (e.g. "docker-host nat/DOCKER#2") or "NODE FAMILY TABLE/CHAIN handle N" (e.g. "fw inet host/input handle 3"), not "${v}"`,
      );
      return null;
    }
    if (!checkNode(src, node, m[1], topo)) return null;
    return { node: m[1], table: m[2], chain: m[3], rule: m[4] ? Number(m[4]) : null, text: v.trim() };
  }
  const e = mapEntries(src, node, 'a rule reference', REF_KEYS);
  if (!e) return null;
  const n = checkNode(src, node, readString(src, e.get('node')?.value ?? node, '`node`'), topo);
  const table = readString(src, e.get('table')?.value ?? node, '`table`');
  const chain = readString(src, e.get('chain')?.value ?? node, '`chain`');
  const nft = readNftSelector(src, e, node, false);
  if (nft === undefined) return null;
  const rule = e.has('rule') ? readInt(src, e.get('rule')!.value, '`rule`', 1) : null;
  if (!n || !table || !chain) return null;
  if (nft) return { node: n, table, chain, rule: null, nft, text: nftRefText(n, table, chain, nft) };
  return { node: n, table, chain, rule, text: `${n} ${table}/${chain}${rule ? `#${rule}` : ''}` };
}

/**
 * `family` with `handle` or `comment`: a native nft rule. Null: an iptables rule; undefined: an
 * error was reported. `needRule`: a counter must name a rule (native chains keep no policy counter).
 */
function readNftSelector(src: YamlSource, e: Entries, node: YamlNode, needRule: boolean): NftSelector | null | undefined {
  const fam = e.get('family');
  const h = e.get('handle');
  const c = e.get('comment');
  if (!fam) {
    if (h || c) {
      src.error((h ?? c)!.key, '`handle` and `comment` name a native nft rule: add its `family` (ip, inet, ...)');
      return undefined;
    }
    return null;
  }
  const family = String(scalarValue(fam.value));
  if (!NFT_FAMILIES.includes(family)) {
    src.error(fam.value, `\`family\` is one of: ${NFT_FAMILIES.join(', ')}`);
    return undefined;
  }
  if (e.has('rule')) {
    src.error(e.get('rule')!.key, 'a native nft rule is named by `handle` (as `nft -a list` shows it) or `comment`, not by `rule`');
    return undefined;
  }
  if (h && c) {
    src.error(c.key, 'name the native rule by `handle` or by `comment`, not both');
    return undefined;
  }
  if (needRule && !h && !c) {
    src.error(node, 'a native nft counter needs the rule: `handle` (as `nft -a list` shows it) or `comment`');
    return undefined;
  }
  const handle = h ? readInt(src, h.value, '`handle`', 1) : null;
  if (h && handle === null) return undefined;
  const comment = c ? readString(src, c.value, '`comment`') : null;
  if (c && comment === null) return undefined;
  return { family, handle, comment };
}

function readProbeExpect(src: YamlSource, kind: 'connect' | 'send' | 'ping', node: YamlNode, topo: Topology | null): ProbeExpect | null {
  const e = mapEntries(src, node, '`expect`', PROBE_EXPECT_KEYS);
  if (!e) return null;
  const x: ProbeExpect = { passes: [], not_passes: [] };
  const r = e.get('result');
  if (r) {
    const v = String(scalarValue(r.value));
    if (!RESULTS[kind].includes(v)) src.error(r.value, `\`result\` of \`${kind}\` is one of: ${RESULTS[kind].join(', ')}`);
    else x.result = v;
  }
  const s = e.get('server');
  if (s) x.server = checkNode(src, s.value, readString(src, s.value, '`server`'), topo) ?? undefined;
  const ss = e.get('server_sees');
  if (ss) x.server_sees = readString(src, ss.value, '`server_sees`') ?? undefined;
  const o = e.get('outcome');
  if (o) {
    const v = String(scalarValue(o.value));
    if (!OUTCOMES.includes(v)) src.error(o.value, `\`outcome\` is one of: ${OUTCOMES.join(', ')}`);
    else x.outcome = v;
  }
  for (const key of ['passes', 'not_passes'] as const) {
    const p = e.get(key);
    if (p)
      for (const item of oneOrMany(p.value)) {
        const ref = readRuleRef(src, item, topo);
        if (ref) x[key].push(ref);
      }
  }
  const d = e.get('distribution');
  if (d) x.distribution = readDistribution(src, d.value, topo);
  if (e.has('counters') || e.has('conntrack')) {
    src.error(
      e.get('counters')?.key ?? e.get('conntrack')!.key,
      '`counters` and `conntrack` belong in an `expect` step of their own, after the probe',
    );
  }
  return x;
}

function readDistribution(src: YamlSource, node: YamlNode | null, topo: Topology | null): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  const e = mapEntries(src, node, '`distribution`', null);
  if (!e) return out;
  for (const [name, { key, value }] of e) {
    if (!checkNode(src, key, name, topo)) continue;
    const m = /^(\d+(?:\.\d+)?)%\s*\.\.\s*(\d+(?:\.\d+)?)%$/.exec(scalarText(value));
    if (!m) {
      src.error(value, 'a share range looks like "25%..42%"');
      continue;
    }
    out.set(name, [Number(m[1]) / 100, Number(m[2]) / 100]);
  }
  return out;
}

function readExec(
  src: YamlSource,
  body: YamlNode | null,
  expectNode: YamlNode | null,
  name: string,
  pos: ExecStep['pos'],
  topo: Topology | null,
): ExecStep | null {
  const e = mapEntries(src, body, '`exec`', ['on', 'cmd', 'stdin', 'background']);
  if (!e) return null;
  if (!e.has('on')) src.error(body, '`exec` needs `on` (the node)');
  if (!e.has('cmd')) src.error(body, '`exec` needs `cmd` (a command line, or a list of them)');
  const on = e.has('on') ? checkNode(src, e.get('on')!.value, readString(src, e.get('on')!.value, '`on`'), topo) : null;
  const cmds: string[] = [];
  if (e.has('cmd'))
    for (const c of oneOrMany(e.get('cmd')!.value)) {
      const s = readString(src, c, '`cmd`');
      if (s) cmds.push(s);
    }
  const stdin = e.has('stdin') ? scalarText(e.get('stdin')!.value) : null;
  let background = false;
  if (e.has('background')) {
    const b = scalarValue(e.get('background')!.value);
    if (typeof b === 'boolean') background = b;
    else src.error(e.get('background')!.value, '`background` is true or false');
  }
  let expect: ExecStep['expect'] = null;
  if (expectNode) {
    const x = mapEntries(src, expectNode, '`expect` of `exec`', ['exit', 'stdout', 'stdout_contains', 'cost_under', 'cost_over']);
    if (x) {
      expect = {};
      for (const k of ['cost_under', 'cost_over'] as const) {
        if (!x.has(k)) continue;
        const d = parseDuration(scalarText(x.get(k)!.value));
        if (d === null) src.error(x.get(k)!.value, `\`${k}\` takes a duration such as 1s, 500ms or 100us`);
        else expect[k] = d;
      }
      if (x.has('exit')) expect.exit = readInt(src, x.get('exit')!.value, '`exit`', 0, 255) ?? undefined;
      if (x.has('stdout')) expect.stdout = scalarText(x.get('stdout')!.value);
      if (x.has('stdout_contains')) expect.stdout_contains = scalarText(x.get('stdout_contains')!.value);
    }
  }
  if (!on || !cmds.length) return null;
  return { kind: 'exec', name, pos, on, cmds, stdin, background, expect };
}

function readExpectStep(
  src: YamlSource,
  body: YamlNode | null,
  name: string,
  pos: ExpectStep['pos'],
  topo: Topology | null,
): ExpectStep | null {
  const e = mapEntries(src, body, '`expect`', ['counters', 'conntrack']);
  if (!e) return null;
  const counters: CounterExpect[] = [];
  const conntrack: ConntrackExpect[] = [];
  for (const item of oneOrMany(e.get('counters')?.value ?? null)) {
    const c = readCounter(src, item, topo);
    if (c) counters.push(c);
  }
  for (const item of oneOrMany(e.get('conntrack')?.value ?? null)) {
    const c = readConntrack(src, item, topo);
    if (c) conntrack.push(c);
  }
  return { kind: 'expect', name, pos, counters, conntrack };
}

function need(src: YamlSource, e: Entries, node: YamlNode, key: string, what: string): string | null {
  if (!e.has(key)) {
    src.error(node, `${what} needs \`${key}\``);
    return null;
  }
  return readString(src, e.get(key)!.value, `\`${key}\``);
}

function readCounter(src: YamlSource, node: YamlNode, topo: Topology | null): CounterExpect | null {
  const e = mapEntries(src, node, 'a `counters` item', COUNTER_KEYS);
  if (!e) return null;
  const n = checkNode(src, e.get('node')?.value ?? node, need(src, e, node, 'node', 'a `counters` item'), topo);
  const table = need(src, e, node, 'table', 'a `counters` item');
  const chain = need(src, e, node, 'chain', 'a `counters` item');
  const nft = readNftSelector(src, e, node, true);
  if (nft === undefined) return null;
  const rule = e.has('rule') && !nft ? readInt(src, e.get('rule')!.value, '`rule`', 1) : null;
  const c: CounterExpect = { node: n ?? '', table: table ?? '', chain: chain ?? '', rule, pos: src.pos(node) };
  if (nft) c.nft = nft;
  if (e.has('packets')) c.packets = readInt(src, e.get('packets')!.value, '`packets`') ?? undefined;
  if (e.has('bytes')) c.bytes = readInt(src, e.get('bytes')!.value, '`bytes`') ?? undefined;
  return n && table && chain ? c : null;
}

function readConntrack(src: YamlSource, node: YamlNode, topo: Topology | null): ConntrackExpect | null {
  const e = mapEntries(src, node, 'a `conntrack` item', CT_KEYS);
  if (!e) return null;
  const n = checkNode(src, e.get('node')?.value ?? node, need(src, e, node, 'node', 'a `conntrack` item'), topo);
  const c: ConntrackExpect = { node: n ?? '', filter: {}, pos: src.pos(node) };
  if (e.has('count')) c.count = readInt(src, e.get('count')!.value, '`count`') ?? undefined;
  const f = c.filter;
  for (const k of ['proto', 'state', 'src', 'dst', 'reply_src', 'reply_dst'] as const) {
    if (e.has(k)) f[k] = String(scalarValue(e.get(k)!.value));
  }
  for (const k of ['sport', 'dport', 'reply_sport', 'reply_dport', 'mark'] as const) {
    if (e.has(k)) f[k] = readInt(src, e.get(k)!.value, `\`${k}\``, 0, 0xffffffff) ?? undefined;
  }
  if (e.has('flags')) f.flags = oneOrMany(e.get('flags')!.value).map((x) => String(scalarValue(x)));
  return n ? c : null;
}
