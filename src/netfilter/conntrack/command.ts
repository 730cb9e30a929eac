/**
 * The `conntrack` command (conntrack-tools 1.4.7) over one table: -L, -D, -F,
 * -C with the common filters. Output and messages are the tool's own; entries
 * are listed in creation order (the kernel lists in hash order).
 */
import { parseIpv4, type Ipv4 } from '../../packet/ipv4.js';
import { PROTO_ICMP, PROTO_TCP, PROTO_UDP } from '../../packet/packet.js';
import {
  IPS_ASSURED,
  IPS_CONFIRMED,
  IPS_DST_NAT,
  IPS_DYING,
  IPS_EXPECTED,
  IPS_FIXED_TIMEOUT,
  IPS_SEEN_REPLY,
  IPS_SRC_NAT,
  IPS_TEMPLATE,
  IPS_UNTRACKED,
} from '../types.js';
import { matchFilter, type CtFilter } from './filter.js';
import { formatEntry } from './format.js';
import type { Conntrack } from './table.js';
import { TCP_STATE_NAMES } from './tcp.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const TOOL = 'conntrack v1.4.7 (conntrack-tools): ';
const HINT = "Try `conntrack -h' or 'conntrack --help' for more information.\n";

class UsageError extends Error {}

const fail = (msg: string): never => {
  throw new UsageError(msg);
};

const STATUS_BITS: Record<string, number> = {
  EXPECTED: IPS_EXPECTED,
  ASSURED: IPS_ASSURED,
  SEEN_REPLY: IPS_SEEN_REPLY,
  CONFIRMED: IPS_CONFIRMED,
  SRC_NAT: IPS_SRC_NAT,
  DST_NAT: IPS_DST_NAT,
  DYING: IPS_DYING,
  FIXED_TIMEOUT: IPS_FIXED_TIMEOUT,
  TEMPLATE: IPS_TEMPLATE,
  UNTRACKED: IPS_UNTRACKED,
};

/** Long names the tool reports in "Illegal option" messages. */
const LONG: Record<string, string> = {
  '-s': '--orig-src',
  '--src': '--orig-src',
  '--orig-src': '--orig-src',
  '-d': '--orig-dst',
  '--dst': '--orig-dst',
  '--orig-dst': '--orig-dst',
  '-r': '--reply-src',
  '--reply-src': '--reply-src',
  '-q': '--reply-dst',
  '--reply-dst': '--reply-dst',
  '-p': '--protonum',
  '--protonum': '--protonum',
  '--proto': '--protonum',
  '-m': '--mark',
  '--mark': '--mark',
  '-w': '--zone',
  '--zone': '--zone',
  '-u': '--status',
  '--status': '--status',
  '-n': '--src-nat',
  '--src-nat': '--src-nat',
  '-g': '--dst-nat',
  '--dst-nat': '--dst-nat',
};

function ip(v: string | undefined): Ipv4 {
  const a = v === undefined ? null : parseIpv4(v);
  return a === null ? fail(`Invalid IP address \`${v ?? ''}'`) : a;
}

function num(v: string | undefined, what: string): number {
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : fail(`invalid ${what} \`${v ?? ''}'`);
}

export function runConntrack(ct: Conntrack, argv: readonly string[]): CommandResult {
  try {
    return run(ct, argv);
  } catch (e) {
    if (e instanceof UsageError) return { stdout: '', stderr: `${TOOL}${e.message}\n${HINT}`, exitCode: 2 };
    throw e;
  }
}

function run(ct: Conntrack, argv: readonly string[]): CommandResult {
  const args = argv[0] === 'conntrack' ? argv.slice(1) : argv;
  let cmd: 'L' | 'D' | 'F' | 'C' | null = null;
  const f: CtFilter = {};
  // An array, not a `let`: the closure below writes it, and TypeScript does not see writes made inside closures.
  const filters: string[] = [];
  let proto: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const val = (): string | undefined => args[++i];
    const noteFilter = (): void => {
      filters.push(LONG[a] ?? a);
    };
    switch (a) {
      case '-L':
      case '--dump':
      case '-D':
      case '--delete':
      case '-F':
      case '--flush':
      case '-C':
      case '--count': {
        const c = a === '-L' || a === '--dump' ? 'L' : a === '-D' || a === '--delete' ? 'D' : a === '-F' || a === '--flush' ? 'F' : 'C';
        if (cmd !== null) fail('Invalid parameters');
        cmd = c;
        if (args[i + 1] === 'conntrack') i++;
        break;
      }
      case '-p':
      case '--protonum':
      case '--proto': {
        noteFilter();
        const v = (val() ?? '').toLowerCase();
        proto =
          v === 'tcp' || v === '6' ? PROTO_TCP : v === 'udp' || v === '17' ? PROTO_UDP : v === 'icmp' || v === '1' ? PROTO_ICMP : null;
        if (proto === null) fail(`\`${v}' unsupported protocol`);
        f.proto = proto!;
        break;
      }
      case '-s':
      case '--src':
      case '--orig-src':
        noteFilter();
        f.origSrc = ip(val());
        break;
      case '-d':
      case '--dst':
      case '--orig-dst':
        noteFilter();
        f.origDst = ip(val());
        break;
      case '-r':
      case '--reply-src':
        noteFilter();
        f.replySrc = ip(val());
        break;
      case '-q':
      case '--reply-dst':
        noteFilter();
        f.replyDst = ip(val());
        break;
      case '-w':
      case '--zone':
        noteFilter();
        f.zone = num(val(), 'zone');
        break;
      case '-m':
      case '--mark': {
        noteFilter();
        const v = val() ?? '';
        const [value, mask] = v.split('/');
        f.mark = { value: num(value, 'mark') >>> 0, mask: mask === undefined ? 0xffffffff : num(mask, 'mark') >>> 0 };
        break;
      }
      case '-u':
      case '--status': {
        noteFilter();
        for (const w of (val() ?? '').split(',')) {
          if (w === 'UNREPLIED') f.statusClear = (f.statusClear ?? 0) | IPS_SEEN_REPLY;
          else if (STATUS_BITS[w] !== undefined) f.status = (f.status ?? 0) | STATUS_BITS[w];
          else fail(`Bad parameter \`${w}'`);
        }
        break;
      }
      case '-n':
      case '--src-nat':
      case '-g':
      case '--dst-nat': {
        noteFilter();
        const next = args[i + 1];
        const v: Ipv4 | true = next !== undefined && !next.startsWith('-') ? ip(args[++i]) : true;
        if (a === '-n' || a === '--src-nat') f.srcNat = v;
        else f.dstNat = v;
        break;
      }
      case '-f':
      case '--family': {
        const v = val();
        if (v !== 'ipv4') fail(`\`${v ?? ''}' unsupported protocol`);
        break;
      }
      case '-o':
      case '--output':
        val();
        break;
      case '--sport':
      case '--orig-port-src':
      case '--dport':
      case '--orig-port-dst':
      case '--reply-port-src':
      case '--reply-port-dst': {
        if (proto !== PROTO_TCP && proto !== PROTO_UDP) fail(`unknown option \`${a}'`);
        noteFilter();
        const n = num(val(), 'port');
        if (a === '--sport' || a === '--orig-port-src') f.sport = n;
        else if (a === '--dport' || a === '--orig-port-dst') f.dport = n;
        else if (a === '--reply-port-src') f.replySport = n;
        else f.replyDport = n;
        break;
      }
      case '--state': {
        if (proto !== PROTO_TCP) fail(`unknown option \`${a}'`);
        noteFilter();
        const v = val() ?? '';
        if (!TCP_STATE_NAMES.includes(v) || v === 'NONE') fail(`unknown TCP state \`${v}'`);
        f.state = v;
        break;
      }
      case '--icmp-type':
      case '--icmp-code':
      case '--icmp-id': {
        if (proto !== PROTO_ICMP) fail(`unknown option \`${a}'`);
        noteFilter();
        const n = num(val(), a.slice(2));
        if (a === '--icmp-type') f.icmpType = n;
        else if (a === '--icmp-code') f.icmpCode = n;
        else f.icmpId = n;
        break;
      }
      default:
        fail(`unknown option \`${a}'`);
    }
  }

  switch (cmd) {
    case null:
      return { stdout: '', stderr: `${TOOL}no command specified\n${HINT}`, exitCode: 2 };
    case 'C':
      return { stdout: `${ct.count}\n`, stderr: '', exitCode: 0 };
    case 'F':
      if (filters.length) fail(`Illegal option \`${filters[0]}' with this command`);
      ct.flush();
      return { stdout: '', stderr: `${TOOL}connection tracking table has been emptied.\n`, exitCode: 0 };
    case 'L': {
      const shown = ct.entries().filter((e) => matchFilter(e, f));
      const stdout = shown.map((e) => `${formatEntry(e)}\n`).join('');
      return { stdout, stderr: `${TOOL}${shown.length} flow entries have been shown.\n`, exitCode: 0 };
    }
    case 'D': {
      const victims = ct.entries().filter((e) => matchFilter(e, f));
      // The tool prints each entry as it deletes it, so the lines carry the timeout left at that moment.
      const stdout = victims.map((e) => `${formatEntry(e)}\n`).join('');
      for (const e of victims) ct.destroy(e);
      return { stdout, stderr: `${TOOL}${victims.length} flow entries have been deleted.\n`, exitCode: victims.length === 0 ? 1 : 0 };
    }
  }
}
