/**
 * `sysctl` inside a node, as procps-ng 4.0.2 on Linux 6.18 answers it: every
 * argument is handled and a failing one makes the exit status 1 without
 * stopping the others. A value the kernel's handler refuses (not an integer,
 * out of its range) is "Invalid argument" and changes nothing. The kernel takes
 * far more than the knobs' meaning (`ip_forward = 2`, `rp_filter = 5`); a
 * topology's `sysctl:` is stricter on purpose (src/topology/sysctl.ts).
 */
import type { Node } from '../node/node.js';
import { resolveSysctl } from '../topology/sysctl.js';
import type { CommandOutput, NodeModules } from './types.js';

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
/** The kernel here is built with HZ=250: a timeout in seconds is stored in jiffies, which must fit an int. */
const HZ = 250;

/**
 * proc_dointvec's reading of one value: leading white space, an optional
 * minus, digits in C's base 0 (0x.. hex, 0.. octal), then the end or white
 * space (anything after that is ignored). Null where the kernel says EINVAL.
 */
export function kernelInt(text: string): number | null {
  const m = /^\s*(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(?:[ \t\n]|$)/.exec(text);
  if (!m) return null;
  const digits = m[2];
  const magnitude = /^0[xX]/.test(digits)
    ? parseInt(digits.slice(2), 16)
    : digits.length > 1 && digits[0] === '0'
      ? parseInt(digits, 8)
      : Number(digits);
  const n = m[1] ? -magnitude : magnitude;
  return n < INT_MIN || n > INT_MAX ? null : n;
}

/** What the kernel's handler for a knob accepts, and what it stores; plain proc_dointvec otherwise. */
function kernelAccepts(name: string, n: number): number | null {
  if (name === 'net.ipv4.ip_unprivileged_port_start') return n >= 0 && n <= 32768 ? n : null;
  if (name === 'net.netfilter.nf_conntrack_tcp_max_retrans') return n >= 0 && n <= 255 ? n : null;
  if (/^net\.netfilter\.nf_conntrack_tcp_(loose|be_liberal|ignore_invalid_rst)$/.test(name)) return n === 0 || n === 1 ? n : null;
  if (/^net\.netfilter\.nf_conntrack_.*timeout/.test(name)) return Math.abs(n) <= Math.floor(INT_MAX / HZ) ? n : null;
  // br_netfilter stores any non-zero value as 1.
  if (name === 'net.bridge.bridge-nf-call-iptables') return n === 0 ? 0 : 1;
  return n;
}

/** What a fresh network namespace reads for the sysctls nflab models. */
const SYSCTL_DEFAULTS: Record<string, string> = {
  'net.ipv4.ip_forward': '0',
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.default.rp_filter': '0',
  'net.ipv4.conf.all.route_localnet': '0',
  'net.ipv4.conf.all.accept_local': '0',
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.ipv4.ip_unprivileged_port_start': '1024',
};

const noFile = (key: string) => `sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory`;

export function sysctlCommand(node: Node, mods: NodeModules, args: string[]): CommandOutput {
  const write = args.includes('-w');
  const quiet = args.includes('-q');
  const words = args.filter((a) => a !== '-w' && a !== '-q');
  if (!words.length) return { stdout: '', stderr: 'sysctl: no variables specified\n', exitCode: 1 };
  const out: string[] = [];
  const err: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (write && eq < 0) {
      err.push('sysctl: command line(0): invalid syntax, continuing...');
      continue;
    }
    const key = (eq < 0 ? w : w.slice(0, eq)).replace(/\//g, '.');
    if (eq < 0) {
      const v = node.sysctl.get(key) ?? SYSCTL_DEFAULTS[key];
      if (v === undefined) err.push(noFile(key));
      else out.push(`${key} = ${v}`);
      continue;
    }
    const written = w.slice(eq + 1).trim();
    let value = written;
    const known = resolveSysctl(key);
    // A knob nflab does not model is kept as written: nflab cannot tell which of the kernel's thousands exist.
    if (known !== null) {
      if (known.iface !== null && !node.devs.has(known.iface)) {
        err.push(noFile(key));
        continue;
      }
      const n = kernelInt(w.slice(eq + 1));
      const stored = n === null ? null : kernelAccepts(known.name, n);
      if (stored === null) {
        err.push(`sysctl: setting key "${key}": Invalid argument`);
        continue;
      }
      value = String(stored);
    }
    node.sysctl.set(key, value);
    mods.routing.setSysctl(key, value);
    if (!quiet) out.push(`${key} = ${written}`);
  }
  return {
    stdout: out.length ? out.join('\n') + '\n' : '',
    stderr: err.length ? err.join('\n') + '\n' : '',
    exitCode: err.length ? 1 : 0,
  };
}
