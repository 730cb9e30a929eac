/**
 * The `matrix` command in the real program, in tmux, as a user meets it: the
 * grid pane on the kube-proxy lab, moving between cells, Enter for a cell's
 * trace and Esc back to the grid, a rule change and the grid again; then the
 * biggest bundled lab (kube-proxy-5000), a grid taller than its pane, with the
 * time from each key to its screen printed (no timing assertion: speed goals
 * live in the benchmarks), and its 40,000-cell auto matrix counted in the
 * status bar while keys still work, stopped with Esc.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { median, skipReason, sleep, TmuxTui } from './testing/tmux.js';

const terms: TmuxTui[] = [];
afterAll(() => {
  for (const t of terms) t.kill();
});

async function command(t: TmuxTui, line: string): Promise<void> {
  t.send([':']);
  await t.waitFor((x) => x.includes(':_'));
  t.send([line], true);
  t.send(['Enter']);
}

/** The grid row of a destination: the text between the pane's borders. */
function gridRow(screen: string, dest: string): string {
  const line = screen.split('\n').find((l) => l.includes(`│${dest} `));
  if (!line) throw new Error(`no row ${dest} on screen:\n${screen}`);
  return line.slice(line.indexOf('│') + 1, line.lastIndexOf('│'));
}

describe(`matrix in the terminal UI${skipReason}`, () => {
  test.skipIf(skipReason !== '')(
    'kube-proxy: the grid, a cell’s trace and back, and the grid again after a rule change',
    async () => {
      const t = new TmuxTui('topologies/kube-proxy.yaml', 100, 30);
      terms.push(t);
      await t.ready();
      await command(t, 'matrix');
      let s = await t.waitFor((x) => x.includes('Matrix kube-proxy tcp'), 60_000);
      expect(s).toContain('6×6  row 1 col A');
      expect(s).toContain('sources: A client  B node1  C node1/web-a');
      expect(s).toMatch(/│destination +A {2}B {2}C {2}D {2}E {2}F/);
      // The cursor starts on the first cell, bracketed; every Service cell is reached through a DNAT.
      expect(gridRow(s, '10.96.0.10:80')).toMatch(/^10\.96\.0\.10:80 +\[\*\] \* {2}\* {2}\* {2}\* {2}\* +DNAT node1 KUBE-SERVICES/);
      expect(gridRow(s, '10.244.1.2:8080')).toMatch(/\+ {2}\+ {2}\+ {2}\+ {2}\+ {2}\+ +listen node1\/web-a/);
      expect(s).toContain('client → 10.96.0.10:80: connected (server node1/web-a');
      expect(s).toContain('decided by: node1 nat/KUBE-SEP-UIQK3OSOSTRHRPBX #2 DNAT');
      expect(s).toContain('+ reached  * via DNAT/REDIRECT  R refused');

      // Arrows move the cursor: two rows down, one column right.
      t.send(['Down', 'Down', 'Right']);
      s = await t.waitFor((x) => x.includes('row 3 col B'));
      expect(gridRow(s, '10.244.1.2:8080')).toMatch(/^10\.244\.1\.2:8080 + \+ \[\+\] \+/);
      expect(s).toContain('node1 → 10.244.1.2:8080: connected');

      // Enter: the cell's trace in the packet pane; ] its next packet; Esc back to the grid, cursor kept.
      t.send(['Up', 'Up']);
      await t.waitFor((x) => x.includes('row 1 col B'));
      t.send(['Enter']);
      s = await t.waitFor((x) => x.includes('Cell node1 → 10.96.0.10:80: connected, packet 1 of'));
      expect(s).toContain('[SYN]');
      expect(s).toContain('nat/OUTPUT (OUTPUT) rule 1: JUMP:KUBE-SERVICES');
      t.send(['NPage']);
      await t.waitFor((x) => x.includes('nat/KUBE-SEP-UIQK3OSOSTRHRPBX (OUTPUT) rule 2: ACCEPT (DNAT)'));
      t.send([']']);
      await t.waitFor((x) => x.includes('connected, packet 2 of'));
      t.send(['Escape']);
      s = await t.waitFor((x) => x.includes('» Matrix kube-proxy tcp'));
      expect(s).toContain('row 1 col B');

      // A rule change, then the matrix again: the grid is of the lab as it is now.
      await command(t, 'node1 iptables -I FORWARD 1 -s 192.0.2.10 -p tcp -j REJECT');
      await t.waitFor((x) => x.includes('rules changed (iptables -I FORWARD 1'));
      await command(t, 'matrix --from client');
      s = await t.waitFor((x) => x.includes('Matrix kube-proxy tcp after 1 change'), 60_000);
      expect(s).toContain('1×6');
      expect(gridRow(s, '10.244.1.3:8080')).toMatch(/^10\.244\.1\.3:8080 + R /);
      t.send(['Down', 'Down', 'Down']);
      s = await t.waitFor((x) => x.includes('row 4 col A'));
      expect(s).toContain('client → 10.244.1.3:8080: refused');
      expect(s).toContain('decided by: node1 filter/FORWARD #1 REJECT');
      t.send(['Enter']);
      s = await t.waitFor((x) => x.includes('Cell client → 10.244.1.3:8080: refused'));
      expect(s).toContain('x outcome: rejected');
      t.send(['NPage']);
      await t.waitFor((x) => /filter\/FORWARD \(FORWARD\) rule 1: DROP \(REJECT\)/.test(x));

      // A bad option is one line of error, and the grid stays.
      t.send(['Escape']);
      await command(t, 'matrix --from nobody');
      s = await t.waitFor((x) => x.includes('error: --from: no node "nobody"'));
      expect(s).toContain('Matrix kube-proxy tcp after 1 change');
      t.send(['q']);
      expect(await t.waitFor((x) => x.includes('EXIT='))).toContain('EXIT=0');
    },
    180_000,
  );

  test.skipIf(skipReason !== '')(
    'kube-proxy-5000: a grid taller than its pane scrolls with the cursor; key-to-screen times printed',
    async () => {
      const t = new TmuxTui('topologies/kube-proxy-5000.yaml', 120, 40);
      terms.push(t);
      await t.ready('[LOADED]', 90_000);
      const to = Array.from({ length: 24 }, (_, i) => `192.168.0.1:${30000 + i}`).join(',');
      const asked = performance.now();
      await command(t, `matrix --from client --to ${to}`);
      let s = await t.waitFor((x) => x.includes('Matrix kube-proxy-5000 tcp'), 150_000);
      const computeMs = performance.now() - asked;
      expect(s).toContain('1×24  row 1 col A');
      expect(gridRow(s, '192.168.0.1:30000')).toMatch(/\[\*\]/);
      // 24 rows do not fit: the last ones are below the pane.
      expect(s).not.toContain('192.168.0.1:30023');

      const keys: number[] = [];
      for (const k of ['Down', 'Down', 'NPage', 'Down', 'NPage', 'Up', 'PPage', 'End', 'Home', 'Down']) {
        keys.push(await t.latency(k));
        await sleep(100);
      }
      t.send(['End']);
      s = await t.waitFor((x) => x.includes('row 24 col A'));
      expect(gridRow(s, '192.168.0.1:30023')).toMatch(/\[R\]/);
      expect(s).not.toContain('192.168.0.1:30000 ');
      expect(s).toContain('client → 192.168.0.1:30023: refused');

      // Enter runs the cell again on its own copy of the 40,000-rule lab.
      t.send(['Home']);
      await t.waitFor((x) => x.includes('row 1 col A'));
      const open = await t.latency('Enter', 60_000);
      s = await t.waitFor((x) => x.includes('Cell client → 192.168.0.1:30000: connected'), 60_000);
      expect(s).toContain('nat/KUBE-NODEPORTS (PREROUTING) rule 1');
      const back = await t.latency('Escape');
      await t.waitFor((x) => x.includes('» Matrix kube-proxy-5000'));

      // The whole --to auto matrix (every Service and NodePort from every node: 40,000 cells) runs beside the UI:
      // the status bar counts its cells, keys still move the grid, and Esc stops it, leaving the grid as it was.
      await command(t, 'matrix');
      await t.waitFor((x) => /matrix \d+\/\d{5} cells {2}Esc stops/.test(x), 120_000);
      // The progress count redraws the screen by itself, so a key's time is until its own effect shows.
      const busyKeys: number[] = [];
      for (const [k, row] of [
        ['Down', 2],
        ['Up', 1],
        ['Down', 2],
      ] as const) {
        const sent = performance.now();
        t.send([k]);
        await t.waitFor((x) => x.includes(`row ${row} col A`));
        busyKeys.push(performance.now() - sent);
        await sleep(100);
      }
      expect(t.screen()).toMatch(/matrix \d+\/\d{5} cells {2}Esc stops/);
      const stopAt = performance.now();
      t.send(['Escape']);
      s = await t.waitFor((x) => x.includes('matrix stopped'));
      const stop = performance.now() - stopAt;
      expect(s).not.toMatch(/\/\d{5} cells/);
      expect(s).toContain('» Matrix kube-proxy-5000 tcp');
      expect(s).toContain('1×24');
      console.log(
        JSON.stringify({
          lab: 'kube-proxy-5000',
          cells: 24,
          computeMs: Math.round(computeMs),
          keyMedianMs: Math.round(median(keys)),
          keysMs: keys.map(Math.round),
          openCellMs: Math.round(open),
          escMs: Math.round(back),
          keysWhileAutoMatrixRunsMs: busyKeys.map(Math.round),
          stopMs: Math.round(stop),
        }),
      );
      t.send(['q']);
      expect(await t.waitFor((x) => x.includes('EXIT='))).toContain('EXIT=0');
    },
    300_000,
  );
});
