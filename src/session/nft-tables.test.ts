/** Session.nftTables: a node's native nftables tables as `nft -a list ruleset` prints them, and nothing of iptables'. */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadTopologyFile } from '../topology/load.js';
import { Session } from './session.js';

const open = (file: string): Session => {
  const t = loadTopologyFile(join(import.meta.dirname, '../../topologies', file));
  if (!t.ok) throw new Error(t.error.map((d) => d.message).join('\n'));
  const s = Session.create(t.value);
  if (!s.ok) throw new Error('session');
  return s.value;
};

it('lists native tables with handles and counters as they are now, not the tables iptables-nft made', () => {
  const s = open('iptables-and-nftables.yaml');
  const before = s.nftTables('fw')!;
  expect(before).toMatch(
    /^table inet host \{ # handle 1\n\tchain input \{ # handle 1\n\t\ttype filter hook input priority filter - 10; policy accept;\n/,
  );
  expect(before).not.toContain('table ip filter');
  s.command('client connect 198.51.100.1:80');
  s.runToQuiet();
  expect(s.nftTables('fw')).toMatch(/tcp dport \{ 80, 8080 \} counter packets [1-9]\d* bytes [1-9]\d* accept/);
  // A node with iptables rules only has no native table; an unknown node is null.
  expect(open('docker-port-mapping.yaml').nftTables('docker-host')).toBe('');
  expect(s.nftTables('nobody')).toBeNull();
});
