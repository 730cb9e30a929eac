/**
 * Loading topology files (topologies/*.yaml) into the model. One pass reads every
 * host and namespace, then links, then the checks that need both; all
 * diagnostics are collected, sorted by position, and returned together.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { type Diagnostic, err, ok, type Result } from '../core/diagnostic.js';
import { checkNode } from './checks.js';
import type { NodeDraft } from './draft.js';
import { readLinks } from './links.js';
import type { InterfaceSpec, LinkSpec, NodeSpec, RuleUpdateSpec, Topology } from './model.js';
import { readBackend, readNode } from './node-read.js';
import { checkNodeName, DEFAULT_MTU, generatedMac, LO_MTU } from './values.js';
import { entries, readString, type YamlNode, YamlSrc } from './yaml-src.js';
import { expandAliases } from './yaml-alias.js';

const TOP_KEYS = ['name', 'description', 'hosts', 'links', 'rule_updates'];

/**
 * With `partial`, the nodes read are added to it, also when the file has
 * errors (or a scenario around it has), so that `nflab check` can still check their rules.
 */
export function loadTopologyFile(path: string, partial?: NodeSpec[]): Result<Topology> {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return err([
      {
        file: path,
        message: `cannot read topology: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(e))}`,
      },
    ]);
  }
  return loadTopologyText(text, abs, dirname(abs), partial);
}

export function loadTopologyText(text: string, file: string, baseDir: string, partial?: NodeSpec[]): Result<Topology> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length) {
    return err(
      doc.errors.map((e) => {
        const p = lines.linePos(e.pos[0]);
        return { file, line: p.line, col: p.col, message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  const src = new YamlSrc(file, lines);
  expandAliases(doc, text, (n, m) => src.error(n, m));
  if (src.diags.length) return err(src.diags);
  return loadTopologyFromYaml(doc, doc.contents, file, baseDir, lines, partial);
}

/**
 * A topology from a node of an already parsed document (a scenario's inline
 * `topology:`); `lines` must be the LineCounter the document was parsed with,
 * so positions are those of the enclosing file.
 */
export function loadTopologyFromYaml(
  _doc: Document,
  node: YamlNode | null,
  file: string,
  baseDir: string,
  lines: LineCounter,
  partial?: NodeSpec[],
): Result<Topology> {
  const src = new YamlSrc(file, lines);
  const topo: Topology = { name: basename(file, extname(file)), description: '', file, nodes: [], links: [] };
  const top = entries(src, node, 'the topology', TOP_KEYS, false, true);
  if (!top) return err(src.diags);
  const drafts = new Map<string, NodeDraft>();
  let linksNode: YamlNode | null = null;
  let hostsSeen = false;
  for (const e of top) {
    if (e.key === 'name' || e.key === 'description') {
      const s = readString(src, e.value, `\`${e.key}\``);
      if (s !== null) topo[e.key] = s;
    } else if (e.key === 'hosts') {
      hostsSeen = true;
      readHosts(src, e.value, baseDir, drafts);
    } else if (e.key === 'rule_updates') topo.ruleUpdates = readRuleUpdates(src, e.value);
    else linksNode = e.value ?? null;
  }
  if (!hostsSeen) src.error(node, 'the topology needs `hosts:` (at least one host)');
  const links = linksNode ? readLinks(src, linksNode, drafts) : [];
  for (const d of drafts.values()) checkNode(src, d);
  if (src.diags.length) {
    for (const d of drafts.values()) partial?.push(d.spec);
    return err(sortDiags(src.diags));
  }
  const macs = new Set<string>();
  for (const d of drafts.values()) for (const i of d.ifaces.values()) if (i.mac) macs.add(i.mac);
  for (const d of drafts.values()) topo.nodes.push(finishNode(d, links, macs));
  partial?.push(...topo.nodes);
  topo.links = links.map((l) => finishLink(l.spec, l.mtu, topo));
  return ok(topo);
}

function readRuleUpdates(src: YamlSrc, node: YamlNode | null): RuleUpdateSpec | undefined {
  const es = entries(src, node, '`rule_updates`', ['backend', 'timing']);
  if (!es) return undefined;
  const spec: RuleUpdateSpec = { backend: 'nft', timing: 'instant' };
  for (const e of es) {
    if (e.key === 'backend') spec.backend = readBackend(src, e.value, '`rule_updates.backend`') ?? 'nft';
    else {
      const t = readString(src, e.value, '`rule_updates.timing`');
      if (t === 'instant' || t === 'modelled') spec.timing = t;
      else if (t !== null) src.error(e.value, `\`rule_updates.timing\` must be instant or modelled, not "${t}"`);
    }
  }
  return spec;
}

function readHosts(src: YamlSrc, node: YamlNode | null, baseDir: string, out: Map<string, NodeDraft>): void {
  const hosts = entries(src, node, '`hosts`', null);
  if (!hosts) return;
  if (hosts.length === 0) src.error(node, '`hosts` is empty: a topology needs at least one host');
  for (const h of hosts) {
    const bad = checkNodeName(h.key, 'host');
    if (bad) {
      src.error(h.keyNode, bad);
      continue;
    }
    const users = new Map<string, number>();
    const groups = new Map<string, number>();
    const ctx = { src, baseDir, name: h.key, host: h.key, pos: src.pos(h.keyNode), users, groups };
    const { draft, namespaces } = readNode(ctx, h.value, true);
    out.set(h.key, draft);
    if (!namespaces) continue;
    for (const ns of entries(src, namespaces.value, `namespaces of host ${h.key}`, null, true) ?? []) {
      const badNs = checkNodeName(ns.key, 'namespace');
      if (badNs) {
        src.error(ns.keyNode, badNs);
        continue;
      }
      const name = `${h.key}/${ns.key}`;
      const nsDraft = readNode({ ...ctx, name, pos: src.pos(ns.keyNode) }, ns.value, false).draft;
      if (draft.spec.iptablesBackend) nsDraft.spec.iptablesBackend = draft.spec.iptablesBackend;
      out.set(name, nsDraft);
    }
  }
}

function sortDiags(ds: Diagnostic[]): Diagnostic[] {
  return ds
    .map((d, i) => ({ d, i }))
    .sort((x, y) => (x.d.line ?? 0) - (y.d.line ?? 0) || (x.d.col ?? 0) - (y.d.col ?? 0) || x.i - y.i)
    .map((x) => x.d);
}

/**
 * MTU: explicit, else the link's when the file gives one (both ends of a veth
 * are created with it), else 1500. MAC: explicit, else derived from the names,
 * salted until it differs from every other MAC in the file.
 */
function finishNode(d: NodeDraft, links: Array<{ spec: LinkSpec; mtu: number | null }>, macs: Set<string>): NodeDraft['spec'] {
  const linkMtu = new Map<string, number>();
  for (const l of links) {
    if (l.mtu === null) continue;
    if (l.spec.a.node === d.spec.name) linkMtu.set(l.spec.a.iface, l.mtu);
    if (l.spec.b.node === d.spec.name) linkMtu.set(l.spec.b.iface, l.mtu);
  }
  d.spec.interfaces = [...d.ifaces.values()].map((i): InterfaceSpec => {
    const lo = i.name === 'lo';
    let mac = lo ? '00:00:00:00:00:00' : i.mac;
    for (let salt = 0; mac === null; salt++) {
      const m = generatedMac(d.spec.name, i.name, salt);
      if (!macs.has(m)) mac = m;
    }
    macs.add(mac);
    return {
      name: i.name,
      kind: i.kind ?? 'dummy',
      addrs: i.addrs.map((a) => ({ addr: a.addr, cidr: a.cidr })),
      master: i.master?.name ?? null,
      ...(i.hairpin?.on ? { hairpin: true } : {}),
      mtu: lo ? LO_MTU : (i.mtu ?? linkMtu.get(i.name) ?? DEFAULT_MTU),
      mac,
      pos: i.pos,
    };
  });
  return d.spec;
}

/** Without a link `mtu`, the link carries what both ends can: the smaller interface MTU. */
function finishLink(l: LinkSpec, mtu: number | null, topo: Topology): LinkSpec {
  const ifMtu = (node: string, iface: string) =>
    topo.nodes.find((n) => n.name === node)?.interfaces.find((i) => i.name === iface)?.mtu ?? DEFAULT_MTU;
  return { ...l, mtu: mtu ?? Math.min(ifMtu(l.a.node, l.a.iface), ifMtu(l.b.node, l.b.iface)) };
}
