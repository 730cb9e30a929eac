/** xt_recent: keeps named lists of recently seen addresses; rules set, check, update or remove entries. */
import { formatIpv4 } from '../../packet/ipv4.js';
import { parseInetAton } from '../addr.js';
import type { MatchDef } from '../ext.js';

/** The kernel's default ip_pkt_list_tot; an entry remembers at least this many hits (more when --hitcount asks). */
const MIN_STAMPS = 20;

interface Entry {
  stamps: number[];
  ttl: number;
}

type Mode = 'set' | 'rcheck' | 'update' | 'remove';
const LIST_NAME: Record<Mode, string> = { set: 'SET', rcheck: 'CHECK', update: 'UPDATE', remove: 'REMOVE' };

export const recentMatch: MatchDef = {
  name: 'recent',
  options: {
    set: { args: 0, invert: true },
    rcheck: { args: 0, invert: true },
    update: { args: 0, invert: true },
    remove: { args: 0, invert: true },
    seconds: { args: 1 },
    reap: { args: 0 },
    hitcount: { args: 1 },
    rttl: { args: 0 },
    name: { args: 1 },
    mask: { args: 1 },
    rsource: { args: 0 },
    rdest: { args: 0 },
  },
  // Values are read (and refused) as they come.
  check(u) {
    if (u.name === 'seconds' && (!/^\d+$/.test(u.args[0]) || Number(u.args[0]) < 1 || Number(u.args[0]) > 0xffffffff))
      return 'recent: bad value for option "--seconds", or out of range (1-4294967295).\n';
    if (u.name === 'hitcount' && !/^\d+$/.test(u.args[0])) return `recent: Bad value for "--hitcount" option: "${u.args[0]}"`;
    if (u.name === 'mask' && parseInetAton(u.args[0]) === null) return 'getaddrinfo: Temporary failure in name resolution\n';
    return null;
  },
  build(uses, ctx) {
    let mode: Mode | null = null;
    let inv = false;
    let seconds = 0;
    let hitcount = 0;
    let reap = false;
    let rttl = false;
    let name = 'DEFAULT';
    let mask = 0xffffffff;
    let source = true;
    for (const u of uses) {
      switch (u.name) {
        case 'set':
        case 'rcheck':
        case 'update':
        case 'remove':
          if (mode) return "recent: only one of `--set', `--rcheck' `--update' or `--remove' may be set";
          mode = u.name;
          inv = u.invert;
          break;
        case 'seconds':
        case 'hitcount':
          if (u.name === 'seconds' && (!/^\d+$/.test(u.args[0]) || Number(u.args[0]) < 1 || Number(u.args[0]) > 0xffffffff))
            return 'recent: bad value for option "--seconds", or out of range (1-4294967295).\n';
          if (!/^\d+$/.test(u.args[0])) return `recent: Bad value for "--${u.name}" option: "${u.args[0]}"`;
          if (u.name === 'seconds') seconds = Number(u.args[0]);
          else hitcount = Number(u.args[0]);
          break;
        case 'reap':
          reap = true;
          break;
        case 'rttl':
          rttl = true;
          break;
        case 'name':
          name = u.args[0];
          break;
        case 'mask': {
          // Read by the resolver (inet_aton: `0xff` is 0.0.0.255).
          const m = parseInetAton(u.args[0]);
          if (m === null) return 'getaddrinfo: Temporary failure in name resolution\n';
          mask = m;
          break;
        }
        case 'rsource':
          source = true;
          break;
        case 'rdest':
          source = false;
          break;
      }
    }
    if (!mode) return "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'";
    if (reap && !seconds) return 'recent: --reap is only valid with --seconds';
    const keep = Math.max(MIN_STAMPS, hitcount);
    const key = `recent:${name}`;
    const table = (ctx.shared.get(key) as Map<number, Entry> | undefined) ?? new Map<number, Entry>();
    ctx.shared.set(key, table);
    const m: Mode = mode;
    const side = source ? ' --rsource' : ' --rdest';
    return {
      name: 'recent',
      save: () =>
        `${inv ? ' !' : ''} --${m}` +
        (seconds ? ` --seconds ${seconds}` : '') +
        (reap ? ' --reap' : '') +
        (hitcount ? ` --hitcount ${hitcount}` : '') +
        (rttl ? ' --rttl' : '') +
        ` --name ${name} --mask ${formatIpv4(mask)}${side}`,
      list: () =>
        `${inv ? '! ' : ''}recent: ${LIST_NAME[m]}` +
        (seconds ? ` seconds: ${seconds}` : '') +
        (reap ? ' reap' : '') +
        (hitcount ? ` hit_count: ${hitcount}` : '') +
        (rttl ? ' TTL-Match' : '') +
        ` name: ${name} side: ${source ? 'source' : 'dest'} mask: ${formatIpv4(mask)}`,
      test(skb, env) {
        const addr = ((source ? skb.pkt.src : skb.pkt.dst) & mask) >>> 0;
        const now = env.now();
        const ttl = skb.pkt.ttl;
        let e = table.get(addr);
        if (m === 'set') {
          if (!e) table.set(addr, (e = { stamps: [], ttl }));
          push(e, now, ttl, keep);
          return !inv;
        }
        if (!e) return inv;
        if (m === 'remove') {
          table.delete(addr);
          return !inv;
        }
        if (rttl && e.ttl !== ttl) return inv;
        const windowStart = now - seconds * 1_000_000;
        if (reap && seconds) e.stamps = e.stamps.filter((t) => t >= windowStart);
        let hit: boolean;
        if (!seconds && !hitcount) hit = true;
        else {
          let n = 0;
          for (const t of e.stamps) if (!seconds || t >= windowStart) n++;
          hit = hitcount ? n >= hitcount : n > 0;
        }
        if (hit && m === 'update') push(e, now, ttl, keep);
        return hit !== inv;
      },
    };
  },
};

function push(e: Entry, now: number, ttl: number, keep: number): void {
  e.stamps.push(now);
  if (e.stamps.length > keep) e.stamps.shift();
  e.ttl = ttl;
}
