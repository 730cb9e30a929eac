/** xt_CT: gives a new connection a conntrack template: no tracking, a zone, a helper, events, a timeout policy. */
import type { TargetDef } from '../ext.js';

/**
 * The conntrack helpers the reference kernel has built in, by name (case matters) and the
 * protocols each serves; measured with `-j CT --helper NAME` under each -p. nflab runs none of
 * them (conntrack has no helpers), but accepts the rules the kernel accepts.
 */
const HELPERS: Readonly<Record<string, readonly number[]>> = {
  ftp: [6],
  tftp: [17],
  irc: [6],
  sip: [6, 17],
  amanda: [17],
  'netbios-ns': [17],
  snmp: [17],
  sane: [6],
  pptp: [6],
  RAS: [17],
  'Q.931': [6],
};

const CT_EVENTS = ['new', 'related', 'destroy', 'reply', 'assured', 'protoinfo', 'helper', 'mark', 'natseqinfo', 'secmark'];
const EXP_EVENTS = ['new'];

export const ctTarget: TargetDef = {
  name: 'CT',
  options: {
    notrack: { args: 0 },
    helper: { args: 1 },
    ctevents: { args: 1 },
    expevents: { args: 1 },
    zone: { args: 1 },
    'zone-orig': { args: 1 },
    'zone-reply': { args: 1 },
    timeout: { args: 1 },
  },
  check: (u) => {
    if (u.name !== 'ctevents' && u.name !== 'expevents') return null;
    const known = u.name === 'ctevents' ? CT_EVENTS : EXP_EVENTS;
    const bad = u.args[0].split(',').find((e) => !known.includes(e));
    return bad === undefined ? null : `Unknown event type "${bad}"`;
  },
  build(uses, ctx) {
    const o: { notrack?: boolean; zone?: number; helper?: string; ctevents?: string[]; expevents?: string[]; timeout?: string } = {};
    let zoneOpt = 'zone';
    for (const u of uses) {
      if (u.name === 'notrack') o.notrack = true;
      else if (u.name === 'helper') o.helper = u.args[0];
      else if (u.name === 'ctevents') o.ctevents = u.args[0].split(',');
      else if (u.name === 'expevents') o.expevents = u.args[0].split(',');
      else if (u.name === 'timeout') o.timeout = u.args[0];
      else {
        if (!/^\d+$/.test(u.args[0]) || Number(u.args[0]) > 65535) return `Cannot parse ${u.args[0]} as a zone ID`;
        o.zone = Number(u.args[0]);
        zoneOpt = u.name;
      }
    }
    const saved =
      (o.notrack ? ' --notrack' : '') +
      (o.helper ? ` --helper ${o.helper}` : '') +
      (o.ctevents ? ` --ctevents ${o.ctevents.join(',')}` : '') +
      (o.expevents ? ` --expevents ${o.expevents.join(',')}` : '') +
      (o.zone ? ` --${zoneOpt} ${o.zone}` : '') +
      (o.timeout ? ` --timeout ${o.timeout}` : '');
    return {
      name: 'CT',
      legal: { tables: ['raw'] },
      // Outside raw the kernel refuses CT before anything else. It then looks the helper up by name
      // and the rule's plain -p (those built into the machine's kernel, HELPERS), then the timeout
      // policy: none is loaded, and without a plain -p it cannot even be looked up.
      kernelError:
        ctx.table !== 'raw'
          ? 'Invalid argument'
          : o.helper !== undefined && (ctx.protoInvert || !HELPERS[o.helper]?.includes(ctx.proto))
            ? 'No such file or directory'
            : o.timeout !== undefined && (ctx.proto === 0 || ctx.protoInvert)
              ? 'Invalid argument'
              : o.timeout !== undefined
                ? 'No such file or directory'
                : undefined,
      save: () => saved,
      list: () =>
        'CT' +
        (o.notrack ? ' notrack' : '') +
        (o.helper ? ` helper ${o.helper}` : '') +
        (o.ctevents ? ` ctevents ${o.ctevents.join(',')}` : '') +
        (o.expevents ? ` expevents ${o.expevents.join(',')}` : '') +
        (o.zone ? ` ${zoneOpt} ${o.zone}` : '') +
        (o.timeout ? ` timeout ${o.timeout}` : ''),
      run(skb, env) {
        env.ctTemplate(skb, o);
        return 'CONTINUE';
      },
    };
  },
};
