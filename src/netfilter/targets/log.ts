/** xt_LOG and xt_NFLOG: log the packet to the kernel log, or pass it to a netlink log group. */
import { quoteArg, type TargetDef } from '../ext.js';
import { LOG_IPOPT, LOG_MACDECODE, LOG_TCPOPT, LOG_TCPSEQ, LOG_UID, logLine } from './log-line.js';

const LEVELS = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];
const FLAG_OPTS: ReadonlyArray<readonly [string, number]> = [
  ['log-tcp-sequence', LOG_TCPSEQ],
  ['log-tcp-options', LOG_TCPOPT],
  ['log-ip-options', LOG_IPOPT],
  ['log-uid', LOG_UID],
  ['log-macdecode', LOG_MACDECODE],
];

/** A syslog level by number (0-7) or name, or -1. */
function logLevel(text: string): number {
  if (/^\d$/.test(text)) return Number(text) <= 7 ? Number(text) : -1;
  const byName = LEVELS.indexOf(text.toLowerCase());
  if (byName !== -1) return byName;
  return text === 'panic' ? 0 : text === 'warn' ? 4 : -1;
}

export const logTarget: TargetDef = {
  name: 'LOG',
  options: {
    'log-level': { args: 1 },
    'log-prefix': { args: 1 },
    'log-tcp-sequence': { args: 0 },
    'log-tcp-options': { args: 0 },
    'log-ip-options': { args: 0 },
    'log-uid': { args: 0 },
    'log-macdecode': { args: 0 },
  },
  // The level is checked as iptables reads it, before later options' errors and the matches' final checks.
  check: (u) => (u.name === 'log-level' && logLevel(u.args[0]) < 0 ? `log level "${u.args[0]}" unknown\n` : null),
  build(uses) {
    let level = 4;
    let prefix = '';
    let flags = 0;
    for (const u of uses) {
      if (u.name === 'log-level') {
        const n = logLevel(u.args[0]);
        if (n < 0) return `log level "${u.args[0]}" unknown\n`;
        level = n;
      } else if (u.name === 'log-prefix') {
        if (u.args[0].length === 0) return 'No prefix specified for --log-prefix';
        // The kernel keeps 29 characters (and a NUL); iptables cuts a longer prefix without a word.
        prefix = u.args[0].slice(0, 29);
      } else flags |= FLAG_OPTS.find(([n]) => n === u.name)![1];
    }
    return {
      name: 'LOG',
      save: () =>
        (prefix ? ` --log-prefix ${quoteArg(prefix)}` : '') +
        (level !== 4 ? ` --log-level ${level}` : '') +
        FLAG_OPTS.filter(([, b]) => flags & b)
          .map(([n]) => ` --${n}`)
          .join(''),
      list: () => `LOG flags ${flags} level ${level}` + (prefix ? ` prefix "${prefix}"` : ''),
      run(skb, env) {
        env.log(logLine(prefix, skb, flags));
        return 'CONTINUE';
      },
    };
  },
};

export const nflogTarget: TargetDef = {
  name: 'NFLOG',
  options: {
    'nflog-group': { args: 1 },
    'nflog-prefix': { args: 1 },
    'nflog-range': { args: 1, warn: 'warn: --nflog-range has never worked and is no longer supported, please use --nflog-size instead' },
    'nflog-size': { args: 1 },
    'nflog-threshold': { args: 1 },
  },
  check: (u, _ctx, prior) =>
    prior.some((p) => p.name === u.name)
      ? `NFLOG: option "--${u.name}" can only be used once.\n`
      : u.name === 'nflog-group' && !(/^\d+$/.test(u.args[0]) && Number(u.args[0]) <= 65535)
        ? 'NFLOG: bad value for option "--nflog-group", or out of range (0-65535).\n'
        : null,
  build(uses) {
    let group = 0;
    let prefix = '';
    let size: number | null = null;
    let threshold: number | null = null;
    const range = uses.some((u) => u.name === 'nflog-range');
    if (range && uses.some((u) => u.name === 'nflog-size'))
      return 'NFLOG: option "--nflog-range" cannot be used together with "--nflog-size".\n';
    for (const u of uses) {
      const n = Number(u.args[0]);
      if (u.name === 'nflog-prefix') {
        if (u.args[0].length > 63) return 'Maximum prefix length 64 for --nflog-prefix';
        prefix = u.args[0];
      } else if (!/^\d+$/.test(u.args[0])) return `NFLOG: Bad value for "--${u.name}" option: "${u.args[0]}"`;
      else if (u.name === 'nflog-group') {
        if (n > 65535) return 'NFLOG: bad value for option "--nflog-group", or out of range (0-65535).\n';
        group = n;
      } else if (u.name === 'nflog-threshold') threshold = n;
      else if (u.name === 'nflog-size') size = n;
    }
    return {
      name: 'NFLOG',
      save: () =>
        (prefix ? ` --nflog-prefix ${quoteArg(prefix)}` : '') +
        (group ? ` --nflog-group ${group}` : '') +
        (size !== null ? ` --nflog-size ${size}` : '') +
        (threshold !== null ? ` --nflog-threshold ${threshold}` : ''),
      list: () =>
        [
          prefix ? `nflog-prefix ${quoteArg(prefix)}` : '',
          group ? `nflog-group ${group}` : '',
          size !== null ? `nflog-size ${size}` : '',
          threshold !== null ? `nflog-threshold ${threshold}` : '',
        ]
          .filter(Boolean)
          .join(' '),
      run(skb, env) {
        // The lab has no netlink listener; NFLOG lines go to the same log as LOG.
        env.log(logLine(prefix, skb, 0));
        return 'CONTINUE';
      },
    };
  },
};
