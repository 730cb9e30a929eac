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

export function timeKernelRestore(file: string, tag: string): KernelTiming | string {
  if (!hooked) {
    hooked = true;
    process.on('exit', cleanupAll);
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.on(sig, () => {
        cleanupAll();
        process.exit(130);
      });
  }
  const ns = `nfbench-${process.pid}-${tag}`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()}`;
  live.add(ns);
  try {
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
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    live.delete(ns);
  }
}
