/**
 * The round trip of a real host into a lab and back out, on the real kernel, through the CLI as a
 * user runs it: every bundled topology is exported, built with real
 * namespaces, snapshotted with scripts/nflab-snapshot.sh, imported, and torn
 * down. The imported lab must give the bundled scenario's results (node `A/B`
 * is host `A-B` after the import) and `nflab save` must print the same rules
 * for every node.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isScalar, parseDocument, visit } from 'yaml';
import { kernelAvailable } from './kernel/harness.js';
import { scratchDir } from '../src/core/testing/scratch-dir.js';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'nflab.js');
const snapshot = join(root, 'scripts', 'nflab-snapshot.sh');
const k = kernelAvailable();
const tmp = scratchDir('nflab-import-rt-');

function sh(cmd: string, args: string[], env: Record<string, string> = {}, timeout = 120_000) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root, env: { ...process.env, ...env }, timeout, maxBuffer: 256 << 20 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}
const nflab = (...args: string[]) => sh(process.execPath, [bin, ...args]);

const topologies = readdirSync(join(root, 'topologies')).filter((f) => f.endsWith('.yaml'));
const scenarioFor = new Map<string, string>();
for (const f of readdirSync(join(root, 'scenarios'))) {
  const m = /^topology:\s*(\S+)/m.exec(readFileSync(join(root, 'scenarios', f), 'utf8'));
  if (m) scenarioFor.set(resolve(root, 'scenarios', m[1]), join(root, 'scenarios', f));
}

/** Node names in a scenario, mapped as the export and import rename them: `A/B` → `A-B`. */
function mapScenario(text: string, topology: string, nodes: string[]): string {
  const doc = parseDocument(text);
  doc.set('topology', topology);
  const nested = nodes.filter((n) => n.includes('/')).sort((a, b) => b.length - a.length);
  const rename = (s: string) => {
    for (const n of nested)
      s = s.replace(new RegExp(`(^|[\\s"'])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[\\s:"'])`, 'g'), `$1${n.replace('/', '-')}`);
    return s;
  };
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string') node.value = rename(node.value);
    },
    Pair(_key, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string') pair.key.value = rename(pair.key.value);
    },
  });
  return doc.toString();
}

interface StepView {
  kind: string;
  passed: boolean;
  result?: string;
  server?: string | null;
  server_sees?: string | null;
}

function steps(json: string, map: (s: string) => string): StepView[] {
  const doc = JSON.parse(json) as { steps: Array<Record<string, unknown>> };
  return doc.steps.map((s) => ({
    kind: String(s.kind),
    passed: s.passed === true,
    result: s.result as string | undefined,
    server: typeof s.server === 'string' ? map(s.server) : (s.server as null | undefined),
    server_sees: s.server_sees as string | undefined,
  }));
}

function nodesOf(topology: string): string[] {
  const r = nflab('save', topology, '--node', '?');
  const m = /nodes: (.*)$/m.exec(r.stderr);
  return m ? m[1].split(', ').map((s) => s.trim()) : [];
}

describe.skipIf(!k.ok)(`import round trip on the kernel (${k.why})`, () => {
  const made: Array<{ script: string; prefix: string }> = [];
  afterAll(() => {
    for (const m of made) sh('bash', [m.script, 'down'], { NFLAB_PREFIX: m.prefix });
  });

  for (const [i, topoFile] of topologies.entries()) {
    it(`${topoFile}: export → up → snapshot → import → down gives the same rules and scenario results`, { timeout: 300_000 }, () => {
      const topo = join(root, 'topologies', topoFile);
      const prefix = `nfi-${process.pid}-${i}`;
      const dir = join(tmp, topoFile.replace(/\.yaml$/, ''));
      const script = join(tmp, `${i}-lab.sh`);
      const exp = nflab('export', topo, '--format', 'netns');
      expect(exp.code, exp.stderr).toBe(0);
      writeFileSync(script, exp.stdout);
      made.push({ script, prefix });
      let bundle: ReturnType<typeof sh>;
      try {
        const up = sh('bash', [script, 'up'], { NFLAB_PREFIX: prefix });
        expect(up.code, up.stderr).toBe(0);
        bundle = sh('sh', [snapshot, '--netns-prefix', `${prefix}-`, '--no-root']);
      } finally {
        sh('bash', [script, 'down'], { NFLAB_PREFIX: prefix });
      }
      expect(bundle.code, bundle.stderr).toBe(0);
      const bundleFile = join(tmp, `${i}.nflab`);
      writeFileSync(bundleFile, bundle.stdout);
      const imp = nflab('import', bundleFile, '-o', dir, '--strip-prefix', `${prefix}-`);
      expect(imp.code, imp.stderr).toBe(0);
      expect(imp.stderr).toMatch(/nflab import: imported .*topology\.yaml: \d+ nodes/);
      const imported = join(dir, 'topology.yaml');
      const chk = nflab('check', imported);
      expect(chk.code, chk.stderr).toBe(0);

      const nodes = nodesOf(topo);
      expect(nodes.length).toBeGreaterThan(0);
      expect(nodesOf(imported).sort()).toEqual(nodes.map((n) => n.replace('/', '-')).sort());
      for (const n of nodes) {
        const a = nflab('save', topo, '--node', n);
        const b = nflab('save', imported, '--node', n.replace('/', '-'));
        expect(a.code, a.stderr).toBe(0);
        expect(b.code, b.stderr).toBe(0);
        expect(b.stdout, `nflab save --node ${n}`).toBe(a.stdout);
      }

      const scenario = scenarioFor.get(topo);
      // Rule-update timing (rule_updates:) is a setting of the lab, not state of a host: a snapshot cannot carry it.
      if (!scenario || /^rule_updates:/m.test(readFileSync(topo, 'utf8'))) return;
      const mapped = join(dir, 'scenario.yaml');
      writeFileSync(mapped, mapScenario(readFileSync(scenario, 'utf8'), imported, nodes));
      const ra = nflab('run', scenario, '--json');
      const rb = nflab('run', mapped, '--json');
      expect(ra.code, ra.stdout.slice(0, 2000)).toBe(0);
      expect(rb.code, rb.stdout.slice(-4000) + rb.stderr).toBe(0);
      const slash = (s: string) => s.replace('/', '-');
      expect(steps(rb.stdout, (s) => s)).toEqual(steps(ra.stdout, slash));
    });
  }
});
