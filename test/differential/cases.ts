/**
 * The suite's own cases: each a small topology and the probes that show one
 * match, target or routing behaviour changing (or not changing) a packet's fate.
 */
import { filter, pair, routed, table } from './builders.js';
import type { DiffCase } from './model.js';

const S = '10.0.0.2';

export const CASES: DiffCase[] = [
  {
    name: 'filter DROP and ACCEPT by port',
    covers: ['DROP', 'ACCEPT', '-p tcp --dport'],
    topology: pair('drop-accept', {
      server: { rules: filter(['-A INPUT -p tcp -m tcp --dport 8080 -j DROP', '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT']) },
    }),
    steps: [
      { kind: 'connect', from: 'client', to: `${S}:80` },
      { kind: 'connect', from: 'client', to: `${S}:8080` },
      { kind: 'connect', from: 'client', to: `${S}:81` },
      { kind: 'send', from: 'client', to: `${S}:53` },
      { kind: 'ping', from: 'client', to: S },
    ],
  },
];
