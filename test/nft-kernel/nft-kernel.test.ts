/**
 * The bundled nftables labs built twice, in nflab and in real namespaces (from
 * `nflab export --format netns`, which loads their `nftables:` with `nft -f`):
 * the listing after load, probe results, and refusals must agree. Trace order
 * and text are compared with `nft monitor trace` in src/nftables/trace.test.ts,
 * from the kernel's answers kept in the repository. Skips without root.
 */
import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runStep } from '../../src/scenario/runner.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { KernelLab, kernelAvailable } from '../kernel/harness.js';

const k = kernelAvailable();
let n = 0;
const prefix = () => `nfn${process.pid}x${++n}`;

/**
 * `bad`: a command both must refuse with the same message and place. (Misspelt names are
 * left out: nft suggests a name from every table the kernel has, iptables-nft's included,
 * which nflab's nft does not list.)
 */
const LABS = [
  { scenario: 'scenarios/iptables-and-nftables.yaml', node: 'fw', bad: 'delete rule inet host input handle 999' },
  { scenario: 'scenarios/kube-proxy-nftables.yaml', node: 'node', bad: 'add rule ip kube-proxy services tcp dport 99999 accept' },
  { scenario: 'scenarios/docker-nftables.yaml', node: 'docker-host', bad: 'add rule ip docker-bridges raw-PREROUTING jump nowhere' },
];

describe.skipIf(!k.ok)(`nftables labs against the kernel (${k.why})`, () => {
  for (const l of LABS) {
    it(`${l.scenario}: listing after load, probe results, a refused command`, { timeout: 120_000 }, () => {
      const sc = loadScenarioFile(l.scenario);
      if (!sc.ok) throw new Error(sc.error.map(formatDiagnostic).join('\n'));
      const built = Lab.build(sc.value.topology, { seed: sc.value.seed, record: true });
      if (!built.ok) throw new Error(built.error.map(formatDiagnostic).join('\n'));
      const lab = built.value;
      const kl = KernelLab.up(sc.value.topology, { prefix: prefix() });
      try {
        const kernelListing = kl.exec(l.node, ['nft', 'list', 'ruleset']).stdout;
        // The tables iptables-nft made are listed too, as the kernel lists them.
        expect(lab.exec(l.node, 'nft list ruleset').stdout).toBe(kernelListing);

        const disagree: string[] = [];
        sc.value.steps.forEach((step, i) => {
          const r = runStep(lab, step, i + 1);
          if (step.kind === 'exec') {
            for (const cmd of step.cmds) {
              const kr = kl.exec(step.on, ['sh', '-c', cmd], { stdin: step.stdin ?? undefined });
              if (kr.code !== 0) disagree.push(`step ${i + 1}: the kernel refused ${cmd}: ${kr.stderr}`);
            }
            return;
          }
          if (step.kind !== 'connect') return;
          const [ip, port] = step.to.split(':');
          const kr = kl.connect(step.from, ip, Number(port));
          const seen = (r as { result?: string }).result;
          if (kr.result !== seen) disagree.push(`step ${i + 1} ${step.from} → ${step.to}: kernel ${kr.result}, nflab ${seen}`);
        });
        expect(disagree).toEqual([]);

        const bad = l.bad;
        const kbad = kl.exec(l.node, ['nft', ...bad.split(' ')]);
        const nbad = lab.exec(l.node, `nft ${bad}`);
        expect(nbad.exitCode).toBe(kbad.code);
        expect(nbad.stderr).toBe(kbad.stderr);
        // After traffic, counters are left aside: the kernel's client closes with one segment more or less
        // from run to run, and its segment sizes are python's, not nflab's echo line.
        const bytesAside = (t: string) => t.replace(/counter packets \d+ bytes \d+/g, 'counter');
        expect(bytesAside(lab.exec(l.node, 'nft list ruleset').stdout)).toBe(
          bytesAside(kl.exec(l.node, ['nft', 'list', 'ruleset']).stdout),
        );
      } finally {
        kl.down();
      }
    });
  }
});
