/** xt_owner: matches locally generated packets by the uid or gid of the sending socket, or by whether one exists. */
import type { MatchDef, OptionUse } from '../ext.js';

interface IdRange {
  lo: number;
  hi: number;
  inv: boolean;
}

function parseIds(u: OptionUse, resolve: (n: string) => number | undefined): IdRange | null {
  const m = /^(\d+)(?:-(\d+))?$/.exec(u.args[0]);
  if (m) {
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    // A reversed range passes iptables; the kernel refuses the rule (see ownerMatch's kernelError).
    return { lo, hi, inv: u.invert };
  }
  const id = resolve(u.args[0]);
  return id === undefined ? null : { lo: id, hi: id, inv: u.invert };
}

const ids = (r: IdRange) => (r.lo === r.hi ? String(r.lo) : `${r.lo}-${r.hi}`);

export const ownerMatch: MatchDef = {
  name: 'owner',
  options: {
    'uid-owner': { args: 1, invert: true },
    'gid-owner': { args: 1, invert: true },
    'socket-exists': { args: 0, invert: true },
    'suppl-groups': { args: 0 },
  },
  check(u, ctx) {
    if (u.name === 'uid-owner' && !parseIds(u, ctx.resolveUser)) return `owner: Bad value for "--uid-owner" option: "${u.args[0]}"`;
    if (u.name === 'gid-owner' && !parseIds(u, ctx.resolveGroup)) return `owner: Bad value for "--gid-owner" option: "${u.args[0]}"`;
    return null;
  },
  build(uses, ctx) {
    let uid: IdRange | null = null;
    let gid: IdRange | null = null;
    let sock: { inv: boolean } | null = null;
    let suppl = false;
    for (const u of uses) {
      if (u.name === 'uid-owner') {
        uid = parseIds(u, ctx.resolveUser);
        if (!uid) return `owner: Bad value for "--uid-owner" option: "${u.args[0]}"`;
      } else if (u.name === 'gid-owner') {
        gid = parseIds(u, ctx.resolveGroup);
        if (!gid) return `owner: Bad value for "--gid-owner" option: "${u.args[0]}"`;
      } else if (u.name === 'socket-exists') sock = { inv: u.invert };
      else suppl = true;
    }
    if (suppl && !gid) return 'owner: --suppl-groups requires --gid-owner';
    const U = uid;
    const G = gid;
    const S = sock;
    const allInverted = (!U || U.inv) && (!G || G.inv) && (!S || S.inv);
    return {
      name: 'owner',
      legal: { hooks: ['OUTPUT', 'POSTROUTING'] },
      kernelError: (U && U.lo > U.hi) || (G && G.lo > G.hi) ? 'Invalid argument' : undefined,
      save: () =>
        (S ? `${S.inv ? ' !' : ''} --socket-exists` : '') +
        (U ? `${U.inv ? ' !' : ''} --uid-owner ${ids(U)}` : '') +
        (G ? `${G.inv ? ' !' : ''} --gid-owner ${ids(G)}` : '') +
        (suppl ? ' --suppl-groups' : ''),
      list: () =>
        (
          (S ? `${S.inv ? ' !' : ''} owner socket exists` : '') +
          (U ? `${U.inv ? ' !' : ''} owner UID match ${ids(U)}` : '') +
          (G ? `${G.inv ? ' !' : ''} owner GID match ${ids(G)}` : '') +
          (suppl ? ' incl. suppl. groups' : '')
        ).slice(1),
      test(skb) {
        const so = skb.socket;
        // No socket (forwarded traffic, replies): only a rule whose every test is negated matches.
        if (!so) return allInverted;
        if (U && (so.uid >= U.lo && so.uid <= U.hi) === U.inv) return false;
        if (G) {
          let hit = so.gid >= G.lo && so.gid <= G.hi;
          if (!hit && suppl) hit = so.groups.some((g) => g >= G.lo && g <= G.hi);
          if (hit === G.inv) return false;
        }
        return true;
      },
    };
  },
};
