/**
 * Native nftables in the terminal UI, in tmux as a user meets them: the node
 * inspector lists a node's nft tables (family, table, base chains with hook,
 * priority and policy, rules with handles and live counters) beside its
 * iptables tables, and `nft` commands work on the command line, changes and
 * errors alike.
 */
import { afterAll, expect, test } from 'vitest';
import { skipReason, TmuxTui } from './testing/tmux.js';

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

/** The node inspector's column (the left one at 160 columns), its border cut off. */
const inspector = (s: string) =>
  s
    .split('\n')
    .map((l) => l.slice(1, l.indexOf('││') > 0 ? l.indexOf('││') : l.length))
    .join('\n');

test.skipIf(skipReason !== '')(
  `nft tables in the node inspector and nft commands on the command line${skipReason}`,
  async () => {
    const t = new TmuxTui('topologies/iptables-and-nftables.yaml', 160, 44);
    terms.push(t);
    await t.ready();
    // Down selects fw; the inspector follows. Into it, then section by section to the nft tables.
    t.send(['Down']);
    await t.waitFor((x) => x.includes('Node fw'));
    t.send(['Tab', 'Tab']);
    await t.waitFor((x) => x.includes('» Node fw'));
    let s = '';
    for (let i = 0; i < 6 && !s.includes('── nft -a list ruleset (native tables)'); i++) {
      t.send([']']);
      s = await t.waitFor((x) => x !== s);
    }
    s = await t.waitFor((x) => x.includes('table ip hostnat { # handle 2'));
    const view = inspector(s);
    expect(view).toContain('nft -a list ruleset (native tables)  [ ] sections');
    expect(view).toContain('table inet host { # handle 1');
    // Two spaces a nesting level (nft's tabs would push the counters out of the pane).
    expect(view).toContain('\n  chain input { # handle 1');
    expect(view).toContain('\n    type filter hook input priority filter - 10; policy accept;');
    expect(view).toContain('\n    tcp dport { 80, 8080 } counter packets 0 bytes 0 accept');
    expect(view).toContain('\n    type nat hook prerouting priority dstnat; policy accept;');
    expect(view).toContain('\n    iifname "eth0" tcp dport 2222 counter packets 0 bytes 0 redi');
    // The iptables tables are their own sections, not listed again as nft tables.
    expect(view).not.toContain('table ip filter');

    // Traffic: the counters in the inspector move, as nft list would show them now.
    await command(t, 'client connect 198.51.100.1:80');
    s = await t.waitFor((x) => x.includes('client connect 198.51.100.1:80: connected'));
    s = await t.waitFor((x) => /tcp dport \{ 80, 8080 \} counter packets [1-9]\d* bytes [1-9]\d* accept/.test(x));
    await command(t, 'client connect 198.51.100.1:9090');
    await t.waitFor((x) => x.includes('client connect 198.51.100.1:9090: timeout'), 30_000);
    s = await t.waitFor((x) => /tcp dport 9090 counter packets [1-9]\d* bytes \d+ drop/.test(x));

    // An nft command changes the rules; the inspector has the new rule with its handle.
    await command(t, 'fw nft add rule inet host input tcp dport { 7070, 7071 } counter drop');
    s = await t.waitFor((x) => inspector(x).includes('\n    tcp dport { 7070, 7071 } counter packets 0 bytes 0 drop'));
    // An nft error is nft's own, with its place.
    await command(t, 'fw nft add rule inet host nosuch drop');
    s = await t.waitFor((x) => x.includes('Error: Could not process rule: No such file or directory'));
    // nft list as a command: the output pane. One table, since the whole ruleset starts with iptables-nft's tables.
    await command(t, 'fw nft -a list table inet host');
    s = await t.waitFor((x) => x.includes('Output: fw nft -a list table inet host'));
    expect(s).toContain('table inet host { # handle 1');
    // The anonymous set took a handle of the table's too, as in the kernel.
    expect(s).toContain('tcp dport { 7070, 7071 } counter packets 0 bytes 0 drop # handle 6');
    expect(s).toMatch(/tcp dport \{ 80, 8080 \} counter packets [1-9]/);

    t.send(['q']);
    expect(await t.waitFor((x) => x.includes('EXIT='))).toContain('EXIT=0');
  },
  120_000,
);
