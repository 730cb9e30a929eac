/** Reading one host's or namespace's body into a NodeDraft; cross-references are checked later, in checks.ts. */
import type { SourcePos } from '../core/diagnostic.js';
import type { NodeDraft } from './draft.js';
import { readInterfaces } from './interfaces.js';
import { readIpsets } from './ipsets.js';
import { readIptables, readIptablesCmds } from './iptables.js';
import { MAX_ID, readListen } from './listen.js';
import { emptyNodeSpec, type IptablesBackendName } from './model.js';
import { KNOWN_SYSCTLS, SYSCTL_SUMMARY, resolveSysctl, sysctlValue } from './sysctl.js';
import { didYouMean } from '../core/diagnostic.js';
import { entries, items, readString, scalar, describe, type Entry, type YamlNode, type YamlSrc } from './yaml-src.js';

export const NODE_KEYS = [
  'interfaces',
  'routes',
  'ip_rules',
  'sysctl',
  'iptables',
  'iptables_cmds',
  'nftables',
  'listen',
  'ipsets',
  'nfacct',
];
export const HOST_KEYS = [...NODE_KEYS, 'users', 'groups', 'namespaces', 'iptables_backend'];
const HOST_ONLY = ['users', 'groups', 'namespaces', 'iptables_backend'];

export interface NodeContext {
  src: YamlSrc;
  baseDir: string;
  name: string;
  host: string;
  pos: SourcePos;
  /** The host's users and groups; a namespace shares its host's maps. */
  users: Map<string, number>;
  groups: Map<string, number>;
}

/** Reads the body; for a host, also returns its `namespaces:` entry for the caller to walk. */
export function readNode(ctx: NodeContext, body: YamlNode | null, isHost: boolean): { draft: NodeDraft; namespaces: Entry | null } {
  const { src, name } = ctx;
  const spec = emptyNodeSpec(name, ctx.host, ctx.pos, ctx);
  const draft: NodeDraft = { spec, ifaces: new Map(), routeNodes: [], sysctls: [], listens: [] };
  let namespaces: Entry | null = null;
  const what = isHost ? `host ${name}` : `namespace ${name}`;
  for (const e of entries(src, body, what, HOST_KEYS, true) ?? []) {
    if (!isHost && HOST_ONLY.includes(e.key)) {
      const why =
        e.key === 'namespaces'
          ? 'namespaces do not nest: list them all under the host'
          : e.key === 'iptables_backend'
            ? `the namespaces of a host run its iptables binary: move this to host ${ctx.host}`
            : `${e.key} belong to the host (namespaces share its /etc/passwd and /etc/group): move this to host ${ctx.host}`;
      src.error(e.keyNode, `\`${e.key}\` is not allowed in namespace ${name}: ${why}`);
      continue;
    }
    switch (e.key) {
      case 'interfaces':
        draft.ifaces = readInterfaces(src, e.value, name);
        break;
      case 'routes':
      case 'ip_rules':
        for (const n of items(src, e.value, `${e.key} of ${name}`) ?? []) {
          const t = readString(src, n, `a ${e.key === 'routes' ? 'route' : 'rule'} line`);
          if (t === null) continue;
          (e.key === 'routes' ? spec.routes : spec.ipRules).push({ text: t.trim(), pos: src.pos(n) });
          if (e.key === 'routes') draft.routeNodes.push(n);
        }
        break;
      case 'sysctl':
        readSysctls(ctx, e.value, draft);
        break;
      case 'iptables':
        spec.iptables = readIptables(src, e.value, ctx.baseDir, name);
        break;
      case 'iptables_cmds':
        spec.iptablesCmds = readIptablesCmds(src, e.value, name);
        break;
      case 'nftables':
        spec.nftables = readIptables(src, e.value, ctx.baseDir, name, 'nftables');
        break;
      case 'listen':
        draft.listens = readListen(src, e.value, name);
        break;
      case 'ipsets':
        spec.ipsets = readIpsets(src, e.value, name);
        break;
      case 'nfacct':
        spec.nfacct = readNfacct(src, e.value, name);
        break;
      case 'users':
      case 'groups':
        readIds(src, e.value, e.key, name, e.key === 'users' ? ctx.users : ctx.groups);
        break;
      case 'namespaces':
        namespaces = e;
        break;
      case 'iptables_backend': {
        const b = readBackend(src, e.value, '`iptables_backend`');
        if (b) spec.iptablesBackend = b;
        break;
      }
    }
  }
  return { draft, namespaces };
}

/** `nft` or `legacy`: which kernel backend's rule-update cost nflab models. */
export function readBackend(src: YamlSrc, node: YamlNode | null, what: string): IptablesBackendName | null {
  const v = readString(src, node, what);
  if (v === null) return null;
  if (v === 'nft' || v === 'legacy') return v;
  src.error(node, `${what} must be nft or legacy, not "${v}"`);
  return null;
}

function readSysctls(ctx: NodeContext, node: YamlNode | null, draft: NodeDraft): void {
  const { src } = ctx;
  for (const e of entries(src, node, `sysctl of ${ctx.name}`, null) ?? []) {
    const s = resolveSysctl(e.key);
    if (!s) {
      src.error(e.keyNode, `unknown sysctl "${e.key}"${didYouMean(e.key, KNOWN_SYSCTLS)}; nflab knows ${SYSCTL_SUMMARY}`);
      continue;
    }
    const r = sysctlValue(s, scalar(e.value));
    if ('message' in r) {
      src.error(e.value, r.message);
      continue;
    }
    if (draft.spec.sysctl.has(s.name)) {
      src.error(e.keyNode, `sysctl ${s.name} is set twice in ${ctx.name}`);
      continue;
    }
    draft.spec.sysctl.set(s.name, { value: r.value, pos: src.pos(e.keyNode) });
    draft.sysctls.push({ name: s, keyNode: e.keyNode });
  }
}

/** NFACCT_NAME_MAX is 32 with the terminating NUL. */
function readNfacct(src: YamlSrc, node: YamlNode | null, nodeName: string): string[] {
  const out: string[] = [];
  for (const n of items(src, node, `nfacct of ${nodeName}`) ?? []) {
    const t = readString(src, n, 'an nfacct object name');
    if (t === null) continue;
    if (t.length > 31 || /\s/.test(t)) src.error(n, `nfacct name "${t}" must be 1 to 31 characters without spaces`);
    else if (out.includes(t)) src.error(n, `nfacct object "${t}" is listed twice`);
    else out.push(t);
  }
  return out;
}

const ID_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;

function readIds(src: YamlSrc, node: YamlNode | null, key: string, host: string, into: Map<string, number>): void {
  const one = key === 'users' ? 'user' : 'group';
  for (const e of entries(src, node, `${key} of host ${host}`, null) ?? []) {
    if (!ID_NAME.test(e.key)) {
      src.error(e.keyNode, `${one} name "${e.key}" must start with a letter or "_" and hold letters, digits, "_", "." or "-"`);
      continue;
    }
    const v = scalar(e.value);
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_ID) {
      src.error(
        e.value,
        `the ${key === 'users' ? 'uid' : 'gid'} of ${one} ${e.key} must be an integer from 0 to ${MAX_ID}, not ${describe(e.value)}`,
      );
      continue;
    }
    into.set(e.key, n);
  }
}
