/** Reading `listen:` entries: `PROTO:PORT` or `{ socket, uid, addr, app, source }`. User names resolve later, against the host's `users`. */
import { isMap } from 'yaml';
import { parseIpv4 } from '../packet/ipv4.js';
import type { ListenSpec } from './model.js';
import type { ListenDraft } from './draft.js';
import { describe, entries, items, scalar, type YamlNode, type YamlSrc } from './yaml-src.js';

const LISTEN_KEYS = ['socket', 'uid', 'addr', 'app', 'source'];
const APPS: readonly ListenSpec['app'][] = ['echo', 'sink', 'proxy'];
export const MAX_ID = 4294967294;

export function readListen(src: YamlSrc, node: YamlNode | null, nodeName: string): ListenDraft[] {
  const out: ListenDraft[] = [];
  for (const item of items(src, node, `listen of ${nodeName}`) ?? []) {
    const spec: ListenSpec = { proto: 'tcp', port: 0, uid: 0, addr: 0, app: 'echo', source: null, pos: src.pos(item) };
    const d: ListenDraft = { spec, uidName: null, addrNode: null, sourceNode: null };
    let ok: boolean;
    if (!isMap(item)) ok = readSocket(src, item, spec);
    else {
      const es = entries(src, item, `a listen entry of ${nodeName}`, LISTEN_KEYS) ?? [];
      const sock = es.find((e) => e.key === 'socket');
      if (!sock) {
        src.error(item, 'a listen entry needs `socket: PROTO:PORT` (for example socket: tcp:80)');
        ok = false;
      } else ok = readSocket(src, sock.value, spec);
      for (const e of es) {
        const v = scalar(e.value);
        if (e.key === 'uid') {
          if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_ID) spec.uid = v;
          else if (typeof v === 'string' && v.length > 0 && !/^\d+$/.test(v)) d.uidName = { name: v, node: e.value! };
          else {
            src.error(
              e.value,
              `uid must be a number from 0 to ${MAX_ID} or a user name from the host's \`users\`, not ${describe(e.value)}`,
            );
            ok = false;
          }
        } else if (e.key === 'app') {
          if (typeof v === 'string' && (APPS as readonly string[]).includes(v)) spec.app = v as ListenSpec['app'];
          else {
            src.error(e.value, `app must be one of ${APPS.join(', ')}, not ${describe(e.value)}`);
            ok = false;
          }
        } else if (e.key === 'addr' || e.key === 'source') {
          const a = typeof v === 'string' ? parseIpv4(v.trim()) : null;
          if (a === null) {
            src.error(e.value, `${e.key} must be an IPv4 address, not ${describe(e.value)}`);
            ok = false;
          } else if (e.key === 'addr') {
            spec.addr = a;
            d.addrNode = e.value;
          } else {
            spec.source = a;
            d.sourceNode = e.value;
          }
        }
      }
      if (d.sourceNode && spec.app !== 'proxy') {
        src.error(d.sourceNode, '`source` is the upstream bind address of a proxy; it needs app: proxy');
        ok = false;
      }
    }
    if (ok) out.push(d);
  }
  return out;
}

function readSocket(src: YamlSrc, node: YamlNode | null, spec: ListenSpec): boolean {
  const v = scalar(node);
  const text = typeof v === 'string' ? v.trim() : '';
  const colon = text.indexOf(':');
  const proto = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (colon < 0 || !/^\d{1,5}$/.test(portText)) {
    src.error(node, `a listen socket is PROTO:PORT such as tcp:80 or udp:53, not ${describe(node)}`);
    return false;
  }
  if (proto !== 'tcp' && proto !== 'udp') {
    src.error(node, `listen protocol must be tcp or udp, not "${proto}"`);
    return false;
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    src.error(node, `listen port must be from 1 to 65535, not ${port}`);
    return false;
  }
  spec.proto = proto;
  spec.port = port;
  return true;
}
