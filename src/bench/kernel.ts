/**
 * Times the real kernel's `iptables-restore` of a rules file inside a throwaway
 * network namespace, for the ratio the benchmark prints. Nothing is sent on any
 * network; the namespace is always deleted, also on failure or Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface KernelTiming {
  restoreMs: number;
}

const live = new Set<string>();
let hooked = false;

function cleanupAll(): void {
  for (const ns of live) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  live.clear();
}

/** Why the kernel comparison cannot run here, or null when it can. */
export function kernelUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root';
  for (const [cmd, arg] of [
    ['ip', '-V'],
    ['iptables-restore', '--version'],
  ] as const) {
    const r = spawnSync(cmd, [arg], { stdio: 'ignore' });
    if (r.error || r.status !== 0) return `${cmd} not available`;
  }
  return null;
}

/**
 * Runs `body` with a throwaway namespace named after `tag`, deleted afterwards,
 * also on failure or Ctrl-C; a string is why it could not.
 */
function inNamespace<T>(tag: string, body: (ns: string) => T | string): T | string {
  if (!hooked) {
    hooked = true;
    process.on('exit', cleanupAll);
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.on(sig, () => {
        cleanupAll();
        process.exit(130);
      });
  }
  const ns = `np-bench-${process.pid}-${tag}`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()}`;
  live.add(ns);
  try {
    return body(ns);
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    live.delete(ns);
  }
}

export function timeKernelRestore(file: string, tag: string): KernelTiming | string {
  return inNamespace(tag, (ns) => {
    const fd = openSync(file, 'r');
    let restore;
    const t0 = performance.now();
    try {
      restore = spawnSync('ip', ['netns', 'exec', ns, 'iptables-restore'], { stdio: [fd, 'ignore', 'pipe'], encoding: 'utf8' });
    } finally {
      closeSync(fd);
    }
    const restoreMs = performance.now() - t0;
    if (restore.status !== 0) return `iptables-restore failed: ${restore.stderr.trim()}`;
    // Not followed by iptables-save: iptables-nft needs ~11 s to print 80,000 rules here.
    return { restoreMs };
  });
}

export interface KernelStep {
  argv: string[];
  /** stdin; without it the command reads nothing. */
  input?: string;
}

/**
 * Runs `steps` one after another in one throwaway namespace and returns each one's
 * wall time in ms, or why it could not (the first failing step's stderr).
 */
export function timeKernelSteps(tag: string, steps: KernelStep[]): number[] | string {
  const why = kernelUnavailable();
  if (why) return why;
  if (steps.some((s) => s.argv[0] === 'nft') && spawnSync('nft', ['--version'], { stdio: 'ignore' }).status !== 0)
    return 'nft not available';
  return inNamespace(tag, (ns) => {
    const out: number[] = [];
    for (const s of steps) {
      const t0 = performance.now();
      const r = spawnSync('ip', ['netns', 'exec', ns, ...s.argv], {
        input: s.input ?? '',
        encoding: 'utf8',
        stdio: ['pipe', 'ignore', 'pipe'],
        maxBuffer: 1 << 26,
      });
      out.push(performance.now() - t0);
      if (r.status !== 0) return `${s.argv.join(' ')} failed: ${(r.stderr ?? '').trim().split('\n')[0]}`;
    }
    return out;
  });
}
