/** The names iproute2 prints and accepts for tables, protocols and scopes (its rt_tables, rt_protos, rt_scopes). */
import { TABLE_DEFAULT, TABLE_LOCAL, TABLE_MAIN } from './types.js';

const TABLE_NAMES = new Map<number, string>([
  [TABLE_DEFAULT, 'default'],
  [TABLE_MAIN, 'main'],
  [TABLE_LOCAL, 'local'],
]);

const PROTO_NAMES = new Map<number, string>([
  [0, 'unspec'],
  [1, 'redirect'],
  [2, 'kernel'],
  [3, 'boot'],
  [4, 'static'],
  [8, 'gated'],
  [9, 'ra'],
  [10, 'mrt'],
  [11, 'zebra'],
  [12, 'bird'],
  [13, 'dnrouted'],
  [14, 'xorp'],
  [15, 'ntk'],
  [16, 'dhcp'],
  [18, 'keepalived'],
  [42, 'babel'],
  [99, 'openr'],
  [186, 'bgp'],
  [187, 'isis'],
  [188, 'ospf'],
  [189, 'rip'],
  [192, 'eigrp'],
]);

const SCOPE_NAMES = new Map<number, string>([
  [0, 'global'],
  [200, 'site'],
  [253, 'link'],
  [254, 'host'],
  [255, 'nowhere'],
]);

function reverse(m: Map<number, string>): Map<string, number> {
  return new Map([...m].map(([k, v]) => [v, k]));
}
const TABLE_IDS = reverse(TABLE_NAMES);
const PROTO_IDS = reverse(PROTO_NAMES);
const SCOPE_IDS = reverse(SCOPE_NAMES);
SCOPE_IDS.set('universe', 0);

function parseNumber(text: string, max: number): number | null {
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^[0-9]+$/.test(text)) n = Number(text);
  else return null;
  return n <= max ? n : null;
}

export const tableName = (id: number): string => TABLE_NAMES.get(id) ?? String(id);
export const protoName = (id: number): string => PROTO_NAMES.get(id) ?? String(id);
export const scopeName = (id: number): string => SCOPE_NAMES.get(id) ?? String(id);

export function parseTable(text: string): number | null {
  return TABLE_IDS.get(text) ?? parseNumber(text, 0xffffffff);
}
export function parseProto(text: string): number | null {
  return PROTO_IDS.get(text) ?? parseNumber(text, 255);
}
export function parseScope(text: string): number | null {
  return SCOPE_IDS.get(text) ?? parseNumber(text, 255);
}
/** iproute2's get_u32 accepts decimal, 0x hex and 0 octal. */
export function parseU32(text: string): number | null {
  if (/^0[0-7]+$/.test(text)) return parseInt(text, 8);
  return parseNumber(text, 0xffffffff);
}
