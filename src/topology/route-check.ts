/**
 * The part of `ip route` checking that needs the topology: does `dev` exist,
 * and is each `via` gateway reachable the way the kernel demands when the route
 * is added. The rest of the grammar is the routing layer's.
 *
 * The kernel (fib_check_nh) accepts a gateway when a link-scope route covers
 * it: the connected routes of the node's addresses, or an earlier `PREFIX dev
 * IF` route without a gateway — in the main table, or in the route's own table.
 * With `dev`, that route must leave through the same device. `onlink` skips
 * the check but needs `dev`. Verified on Linux 6.18; the messages quote its
 * extack text.
 */
import { didYouMean } from '../core/diagnostic.js';
import { type Cidr, cidrContains, parseCidr, parseIpv4 } from '../packet/ipv4.js';
import type { NodeDraft } from './draft.js';
import { charOffset, type YamlSrc } from './yaml-src.js';

interface Word {
  text: string;
  at: number;
}

interface LinkRoute {
  dev: string;
  cidr: Cidr;
  table: string;
}

const ROUTE_TYPES = ['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast'];
const TABLE_ALIASES: Record<string, string> = { '254': 'main', '255': 'local', '253': 'default' };

function words(text: string): Word[] {
  const out: Word[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
    const start = i;
    while (i < text.length && text[i] !== ' ' && text[i] !== '\t') i++;
    if (i > start) out.push({ text: text.slice(start, i), at: start });
  }
  return out;
}

function valueAfter(ws: Word[], key: string | string[]): Word | null {
  const keys = typeof key === 'string' ? [key] : key;
  for (let i = 0; i < ws.length - 1; i++) if (keys.includes(ws[i].text)) return ws[i + 1];
  return null;
}

export function checkRoutes(src: YamlSrc, d: NodeDraft): void {
  const linkRoutes: LinkRoute[] = [];
  for (const i of d.ifaces.values()) for (const a of i.addrs) linkRoutes.push({ dev: i.name, cidr: a.cidr, table: 'main' });
  linkRoutes.push({ dev: 'lo', cidr: parseCidr('127.0.0.0/8')!, table: 'main' });
  d.spec.routes.forEach((r, idx) => {
    const node = d.routeNodes[idx];
    const at = (w: Word) => charOffset(node, w.at);
    const all = words(r.text);
    const table = normTable(valueAfter(all, 'table')?.text ?? 'main');
    // Multipath: each `nexthop` group has its own via/dev.
    const groups: Word[][] = [[]];
    for (const w of all) (w.text === 'nexthop' ? groups[groups.push([]) - 1] : groups[groups.length - 1]).push(w);
    const outerDev = valueAfter(groups[0], ['dev', 'oif']);
    for (const g of groups) {
      const devW = valueAfter(g, ['dev', 'oif']) ?? outerDev;
      if (devW && !d.ifaces.has(devW.text) && devW.text !== 'lo') {
        src.error(
          node,
          `route "${r.text}": Cannot find device "${devW.text}" in ${d.spec.name}${didYouMean(devW.text, d.ifaces.keys())}`,
          at(devW),
        );
        continue;
      }
      const viaW = viaWord(g);
      if (!viaW) continue;
      const gw = parseIpv4(viaW.text);
      if (gw === null) {
        src.error(node, `route "${r.text}": the gateway after \`via\` must be an IPv4 address, not "${viaW.text}"`, at(viaW));
        continue;
      }
      if (g.some((w) => w.text === 'onlink')) {
        if (!devW)
          src.error(node, `route "${r.text}": \`onlink\` needs \`dev IF\` (the kernel: "Nexthop device required for onlink")`, at(viaW));
        continue;
      }
      const hit = linkRoutes.some(
        (l) => (l.table === 'main' || l.table === table) && (!devW || l.dev === devW.text) && cidrContains(l.cidr, gw),
      );
      if (!hit) {
        const onDev = devW ? ` through ${devW.text}` : '';
        src.error(
          node,
          `route "${r.text}": gateway ${viaW.text} is not on a network connected to ${d.spec.name}${onDev} (the kernel: "Nexthop has invalid gateway"); give an interface an address in its subnet, add a \`PREFIX dev IF\` route before this one, or use \`onlink\` with \`dev\``,
          at(viaW),
        );
      }
    }
    const lr = linkRouteOf(all, table);
    if (lr) linkRoutes.push(lr);
  });
}

/** `via 10.0.0.1` or `via inet 10.0.0.1`. */
function viaWord(ws: Word[]): Word | null {
  const i = ws.findIndex((w) => w.text === 'via');
  if (i < 0 || i + 1 >= ws.length) return null;
  return ws[i + 1].text === 'inet' && i + 2 < ws.length ? ws[i + 2] : ws[i + 1];
}

function normTable(t: string): string {
  return TABLE_ALIASES[t] ?? t;
}

/** A `PREFIX dev IF` unicast route without a gateway: it makes its prefix a valid gateway network. */
function linkRouteOf(ws: Word[], table: string): LinkRoute | null {
  let i = 0;
  if (ws.length && ROUTE_TYPES.includes(ws[0].text)) {
    if (ws[0].text !== 'unicast') return null;
    i = 1;
  }
  if (i >= ws.length || viaWord(ws) || ws.some((w) => w.text === 'nexthop')) return null;
  const prefix = ws[i].text === 'default' ? '0.0.0.0/0' : ws[i].text;
  const cidr = parseCidr(prefix);
  const dev = valueAfter(ws, ['dev', 'oif']);
  const scope = valueAfter(ws, 'scope')?.text;
  if (!cidr || !dev || scope === 'host') return null;
  return { dev: dev.text, cidr, table };
}
