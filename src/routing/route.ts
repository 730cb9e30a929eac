/**
 * A namespace's routing: the FIB (routing tables and policy rules) and the
 * kernel's output and input route lookups, over the devices, addresses and conf
 * sysctls of devinet.ts. Address and link changes there maintain the kernel's
 * own routes here (local, broadcast, connected) as Linux 6.x does. The device,
 * address and sysctl methods pass through to devinet, so one object answers
 * `ip` and the packet path.
 */
import { isLoopback, isMulticast, LIMITED_BROADCAST, makeCidr, type Cidr, type Ipv4 } from '../packet/ipv4.js';
import { Devinet, type Address, type ConfKey, type Device, type DevinetListener } from './devinet.js';
import { FibTable, type TableHit } from './fib-table.js';
import {
  PROTO_BOOT,
  PROTO_KERNEL,
  SCOPE_HOST,
  SCOPE_LINK,
  SCOPE_UNIVERSE,
  TABLE_DEFAULT,
  TABLE_LOCAL,
  TABLE_MAIN,
  type Errno,
  type LookupKey,
  type Route,
  type RouteError,
  type RouteErrorReason,
  type RouteResult,
  type RouteSpec,
  type Rule,
  type RuleSpec,
} from './types.js';

/** Why a route or rule change failed: the line iproute2 prints and its exit status. */
export interface IpError {
  stderr: string;
  exitCode: number;
}

const rtnl = (e: keyof typeof ERRNO_LINES): IpError => ({ stderr: `RTNETLINK answers: ${ERRNO_LINES[e]}\n`, exitCode: 2 });
const extack = (msg: string): IpError => ({ stderr: `Error: ${msg}.\n`, exitCode: 2 });
const ERRNO_LINES = {
  EEXIST: 'File exists',
  ESRCH: 'No such process',
  ENOENT: 'No such file or directory',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
} as const;

export type AddMode = 'add' | 'append' | 'prepend' | 'replace' | 'change';

type Flow = { dst: Ipv4; src: Ipv4; mark: number; iif: string; oif: string | null; tos: number };
type FibAnswer = { hit: NonNullable<TableHit>; table: number } | { errno: Errno };

const ERROR_TYPE_ERRNO = { blackhole: 'EINVAL', unreachable: 'EHOSTUNREACH', prohibit: 'EACCES' } as const;

export type { Address, Device } from './devinet.js';

export class RoutingTables {
  /** Devices, addresses and conf sysctls; tells this FIB of changes (see DevinetListener). */
  readonly devinet: Devinet;
  private readonly tables = new Map<number, FibTable>();
  private ruleList: Rule[] = [];
  /** Once any rule is added the kernel stops merging local into main (route get then names the local table). */
  private customRules = false;
  private customLocalRoutes = false;

  constructor(opts: { loopback?: boolean } = {}) {
    const fib: DevinetListener = {
      addressAdded: (d, a) => (d.up ? this.addKernelRoutes(d, a) : this.addLocalRoute(d, a)),
      addressesRemoved: (d, gone) => this.removeAddressRoutes(d, gone),
      linkChanged: (d) => this.linkChanged(d),
    };
    this.devinet = new Devinet(fib);
    for (const id of [TABLE_LOCAL, TABLE_MAIN]) this.tables.set(id, new FibTable(id));
    this.ruleList = [defaultRule(0, TABLE_LOCAL), defaultRule(32766, TABLE_MAIN), defaultRule(32767, TABLE_DEFAULT)];
    if (opts.loopback !== false) {
      this.addDevice('lo', { loopback: true });
      this.addAddress('lo', 0x7f000001, 8);
    }
  }

  // ---- devinet, passed through ----

  addDevice(name: string, opts: { up?: boolean; loopback?: boolean } = {}): void {
    this.devinet.addDevice(name, opts);
  }

  device(name: string): Device | undefined {
    return this.devinet.device(name);
  }

  deviceNames(): string[] {
    return this.devinet.deviceNames();
  }

  setLinkUp(name: string, up: boolean): boolean {
    return this.devinet.setLinkUp(name, up);
  }

  /** `ip addr add ADDR/LEN dev DEV`. Returns the kernel's error, or null. */
  addAddress(dev: string, addr: Ipv4, len: number): IpError | null {
    return this.devinet.addAddress(dev, addr, len);
  }

  /** `ip addr del ADDR/LEN dev DEV`. */
  delAddress(dev: string, addr: Ipv4, len: number): IpError | null {
    return this.devinet.delAddress(dev, addr, len);
  }

  addresses(dev: string): readonly Address[] {
    return this.devinet.addresses(dev);
  }

  isLocalAddress(a: Ipv4): boolean {
    return this.devinet.isLocalAddress(a);
  }

  deviceOfAddress(a: Ipv4): string | null {
    return this.devinet.deviceOfAddress(a);
  }

  setSysctl(name: string, value: string | number): boolean {
    return this.devinet.setSysctl(name, value);
  }

  forwarding(dev: string): boolean {
    return this.devinet.forwarding(dev);
  }

  selectAddress(dev: string, near: Ipv4, scope: number): Ipv4 {
    return this.devinet.selectAddress(dev, near, scope);
  }

  private confOr(dev: string, key: ConfKey): number {
    return this.devinet.confOr(dev, key);
  }

  /**
   * Whether a socket may use `a` as its source: one of our addresses, or one a
   * `local` route covers (__ip_dev_find falls back to the local table, which is
   * how Istio's proxy binds 127.0.0.6 with only 127.0.0.1/8 on lo).
   */
  isLocalSource(a: Ipv4): boolean {
    if (this.isLocalAddress(a)) return true;
    return (
      this.tables
        .get(TABLE_LOCAL)
        ?.covering(a)
        .some((r) => r.type === 'local') ?? false
    );
  }

  // ---- the kernel's own routes (fib_frontend's notifier side) ----

  private linkChanged(d: Device): void {
    if (d.up) {
      for (const a of d.addrs) this.addKernelRoutes(d, a);
    } else {
      // Everything through the device goes, for good; local routes of its addresses stay usable.
      for (const t of this.tables.values()) t.removeWhere((r) => r.dev === d.name && r.type !== 'local');
    }
  }

  private removeAddressRoutes(d: Device, gone: readonly Address[]): void {
    const goneAddrs = new Set(gone.map((g) => g.addr));
    for (const t of this.tables.values()) {
      t.removeWhere((r) => (r.auto && r.dev === d.name) || (r.src !== null && goneAddrs.has(r.src) && !this.isLocalAddress(r.src)));
    }
    if (d.addrs.length === 0) {
      // The last address gone disables IPv4 on the device: every route through it is flushed.
      for (const t of this.tables.values()) t.removeWhere((r) => r.dev === d.name);
    } else {
      for (const x of d.addrs) {
        if (d.up) this.addKernelRoutes(d, x);
        else this.addLocalRoute(d, x);
      }
    }
  }

  private addLocalRoute(d: Device, a: Address): void {
    this.kernelRoute('local', makeCidr(a.addr, 32), d.name, this.devinet.primaryFor(d, a), TABLE_LOCAL, SCOPE_HOST);
  }

  /** fib_add_ifaddr: a local route always; for a primary also the subnet route and the subnet broadcast route. */
  private addKernelRoutes(d: Device, a: Address): void {
    this.addLocalRoute(d, a);
    if (a.secondary) return;
    const net = makeCidr(a.addr, a.len);
    if (net.network !== 0 && (net.network !== a.addr || a.len < 32)) {
      if (d.loopback) this.kernelRoute('local', net, d.name, a.addr, TABLE_LOCAL, SCOPE_HOST);
      else this.kernelRoute('unicast', net, d.name, a.addr, TABLE_MAIN, SCOPE_LINK);
      if (a.len < 31) this.kernelRoute('broadcast', makeCidr((net.network | ~net.mask) >>> 0, 32), d.name, a.addr, TABLE_LOCAL, SCOPE_LINK);
    }
  }

  private kernelRoute(type: Route['type'], dst: Cidr, dev: string, src: Ipv4, table: number, scope: number): void {
    const r: Route = {
      type,
      dst,
      tos: 0,
      table,
      dev,
      via: null,
      onlink: false,
      src,
      metric: 0,
      proto: PROTO_KERNEL,
      scope,
      nhScope: SCOPE_HOST,
      mtu: null,
      auto: true,
    };
    this.insert(r, 'append');
  }

  // ---- tables and routes ----

  table(id: number): FibTable | undefined {
    return this.tables.get(id);
  }

  tableIds(): number[] {
    return [...this.tables.keys()];
  }

  private ensureTable(id: number): FibTable {
    let t = this.tables.get(id);
    if (!t) this.tables.set(id, (t = new FibTable(id)));
    return t;
  }

  /** `ip route add|append|prepend|replace|change`. */
  addRoute(spec: RouteSpec, mode: AddMode = 'add'): IpError | null {
    const type = spec.type ?? 'unicast';
    if (spec.dev !== null && !this.devinet.device(spec.dev)) return { stderr: `Cannot find device "${spec.dev}"\n`, exitCode: 1 };
    if ((spec.dst.addr & ~spec.dst.mask) !== 0) return extack('Invalid prefix for given prefix length');
    const table = spec.table ?? (type === 'local' || type === 'broadcast' ? TABLE_LOCAL : TABLE_MAIN);
    let scope = spec.scope;
    if (scope === null) {
      if (type === 'local') scope = SCOPE_HOST;
      else if (type === 'broadcast') scope = SCOPE_LINK;
      else if (type === 'unicast' && spec.via === null) scope = SCOPE_LINK;
      else scope = SCOPE_UNIVERSE;
    }
    const r: Route = {
      type,
      dst: makeCidr(spec.dst.network, spec.dst.len),
      tos: spec.tos,
      table,
      dev: spec.dev,
      via: spec.via,
      onlink: spec.onlink,
      src: spec.src,
      metric: spec.metric ?? 0,
      proto: spec.proto ?? PROTO_BOOT,
      scope,
      nhScope: SCOPE_HOST,
      mtu: spec.mtu,
      auto: false,
    };
    if (type === 'blackhole' || type === 'unreachable' || type === 'prohibit' || type === 'throw') {
      if (spec.via !== null || spec.dev !== null) return extack('Gateway, device and multipath can not be specified for this route type');
    } else {
      const e = this.checkNexthop(r);
      if (e) return e;
    }
    if (r.src !== null && !(type === 'local' && r.dst.len === 32 && r.dst.network === r.src) && !this.isLocalAddress(r.src)) {
      return extack('Invalid prefsrc address');
    }
    const res = this.insert(r, mode);
    if (res) return res;
    if (type === 'local') this.customLocalRoutes = true;
    return null;
  }

  /** fib_check_nh: a gateway must be reachable through a link- or host-scope route; a device must be up. */
  private checkNexthop(r: Route): IpError | null {
    if (r.via === null) {
      if (r.dev === null) return rtnl('ENODEV');
      if (!this.devinet.device(r.dev)!.up) return extack('Device for nexthop is not up');
      return null;
    }
    if (r.onlink) {
      if (r.dev === null) return extack('Nexthop device required for onlink');
      if (!this.devinet.device(r.dev)!.up) return extack('Nexthop device is not up');
      if (isMulticast(r.via) || r.via === LIMITED_BROADCAST || r.via === 0 || this.isLocalAddress(r.via))
        return extack('Nexthop has invalid gateway');
      r.nhScope = SCOPE_LINK;
      return null;
    }
    const flow: Flow = { dst: r.via, src: 0, mark: 0, iif: 'lo', oif: r.dev, tos: 0 };
    const minScope = r.scope + 1;
    // The route's own table first; failing that (or for main) the full policy lookup.
    const t = r.table !== TABLE_MAIN ? this.tables.get(r.table) : undefined;
    const hit = t?.lookup(r.via, { tos: 0, minScope, oif: r.dev });
    const ans: FibAnswer = hit && t ? { hit, table: t.id } : this.fibLookup(flow, minScope);
    if ('errno' in ans || (ans.hit.route.type !== 'unicast' && ans.hit.route.type !== 'local'))
      return extack('Nexthop has invalid gateway');
    const gw = ans.hit.route;
    if (gw.dev === null || !this.devinet.device(gw.dev)?.up) return extack('Nexthop has invalid gateway');
    r.dev = gw.dev;
    r.nhScope = gw.scope;
    return null;
  }

  private insert(r: Route, mode: AddMode): IpError | null {
    const t = mode === 'change' ? this.tables.get(r.table) : this.ensureTable(r.table);
    if (!t) return rtnl('ENOENT');
    const list = t.aliases(r.dst.network, r.dst.len) ?? [];
    // The kernel finds the first alias with the same tos whose metric is not lower.
    let i = list.findIndex((a) => a.tos < r.tos || (a.tos === r.tos && a.metric >= r.metric));
    if (i < 0) i = list.length;
    const same = i < list.length && list[i].tos === r.tos && list[i].metric === r.metric;
    if (same) {
      if (mode === 'add') return rtnl('EEXIST');
      if (mode === 'replace' || mode === 'change') {
        t.remove(list[i]);
        t.insertAt(r, i);
        return null;
      }
      let end = i;
      while (end < list.length && list[end].tos === r.tos && list[end].metric === r.metric) {
        if (sameRoute(list[end], r)) return rtnl('EEXIST');
        end++;
      }
      t.insertAt(r, mode === 'append' ? end : i);
      return null;
    }
    if (mode === 'change') return rtnl('ENOENT');
    t.insertAt(r, i);
    return null;
  }

  /** `ip route del`: the first route of that prefix matching every attribute given. */
  delRoute(spec: RouteSpec): IpError | null {
    const t = this.tables.get(spec.table ?? (spec.type === 'local' || spec.type === 'broadcast' ? TABLE_LOCAL : TABLE_MAIN));
    if (spec.dev !== null && !this.devinet.device(spec.dev)) return { stderr: `Cannot find device "${spec.dev}"\n`, exitCode: 1 };
    if (!t) return rtnl('ESRCH');
    const list = t.aliases(spec.dst.network, spec.dst.len) ?? [];
    const metric = spec.metric ?? 0;
    const start = list.findIndex((a) => a.tos < spec.tos || (a.tos === spec.tos && a.metric >= metric));
    const victim =
      start < 0
        ? undefined
        : list
            .slice(start)
            .find(
              (a) =>
                a.tos === spec.tos &&
                (spec.type === null || a.type === spec.type) &&
                (spec.scope === null || a.scope === spec.scope) &&
                (spec.src === null || a.src === spec.src) &&
                (spec.proto === null || a.proto === spec.proto) &&
                (spec.metric === null || spec.metric === 0 || a.metric === spec.metric) &&
                (spec.dev === null || a.dev === spec.dev) &&
                (spec.via === null || a.via === spec.via),
            );
    if (!victim) return rtnl('ESRCH');
    t.remove(victim);
    return null;
  }

  /** `ip route flush table T`: the table must exist. */
  flushTable(id: number): IpError | null {
    const t = this.tables.get(id);
    if (!t) return { stderr: 'Error: ipv4: FIB table does not exist.\nFlush terminated\n', exitCode: 2 };
    t.removeWhere(() => true);
    return null;
  }

  // ---- rules ----

  rules(): readonly Rule[] {
    return this.ruleList;
  }

  /** `ip rule add`: without a priority, one below the second rule's (fib_default_rule_pref). */
  addRule(spec: RuleSpec): IpError | null {
    let priority = spec.priority;
    if (priority === null) {
      const second = this.ruleList[1];
      priority = second && second.priority > 0 ? second.priority - 1 : 0;
    }
    const rule: Rule = {
      ...spec,
      priority,
      action: spec.action ?? 'lookup',
      table: spec.action === 'lookup' || spec.action === null ? (spec.table ?? TABLE_MAIN) : spec.table,
      fwmask: spec.fwmark !== null ? (spec.fwmask ?? 0xffffffff) : spec.fwmask,
    };
    if (this.ruleList.some((r) => sameRule(r, rule))) return rtnl('EEXIST');
    let at = this.ruleList.findIndex((r) => r.priority > priority);
    if (at < 0) at = this.ruleList.length;
    this.ruleList.splice(at, 0, rule);
    this.customRules = true;
    return null;
  }

  /** `ip rule del`: the first rule matching every selector given. */
  delRule(spec: RuleSpec): IpError | null {
    const i = this.ruleList.findIndex(
      (r) =>
        (spec.priority === null || r.priority === spec.priority) &&
        (spec.action === null || r.action === spec.action) &&
        (spec.table === null || r.table === spec.table) &&
        (!spec.not || r.not) &&
        (spec.from === null ||
          spec.from.len === 0 ||
          (r.from !== null && r.from.len === spec.from.len && r.from.network === spec.from.network)) &&
        (spec.to === null || spec.to.len === 0 || (r.to !== null && r.to.len === spec.to.len && r.to.network === spec.to.network)) &&
        (spec.tos === 0 || r.tos === spec.tos) &&
        (spec.fwmark === null || spec.fwmark === 0 || r.fwmark === spec.fwmark) &&
        (spec.iif === null || r.iif === spec.iif) &&
        (spec.oif === null || r.oif === spec.oif) &&
        (spec.suppressPrefixlength === null || r.suppressPrefixlength === spec.suppressPrefixlength),
    );
    if (i < 0) return rtnl('ENOENT');
    this.ruleList.splice(i, 1);
    this.customRules = true;
    return null;
  }

  /** Whether route answers name the local table (the kernel merges local into main until the first rule change). */
  get hasCustomRules(): boolean {
    return this.customRules;
  }

  // ---- lookups ----

  /** fib_lookup: walks the rules in priority order. */
  private fibLookup(f: Flow, minScope = SCOPE_UNIVERSE): FibAnswer {
    for (const rule of this.ruleList) {
      if (!ruleMatches(rule, f)) continue;
      if (rule.action === 'nop') continue;
      if (rule.action !== 'lookup') return { errno: ERROR_TYPE_ERRNO[rule.action] };
      const t = this.tables.get(rule.table!);
      if (!t) continue;
      const hit = t.lookup(f.dst, { tos: f.tos, minScope, oif: f.oif });
      if (!hit) continue;
      const type = hit.route.type;
      if (type === 'throw') continue;
      if (type === 'blackhole' || type === 'unreachable' || type === 'prohibit') return { errno: ERROR_TYPE_ERRNO[type] };
      if (rule.suppressPrefixlength !== null && hit.prefixLen <= rule.suppressPrefixlength) continue;
      return { hit, table: t.id };
    }
    return { errno: 'ENETUNREACH' };
  }

  /** The table `ip route get` names: local routes answer from main while the kernel keeps the two merged. */
  private shownTable(table: number): number {
    return !this.customRules && table === TABLE_LOCAL ? TABLE_MAIN : table;
  }

  /**
   * The kernel's route lookup. Without `iif`: a locally generated packet
   * (ip_route_output); with `iif`: a received one (ip_route_input), including
   * the martian and reverse-path checks.
   */
  lookup(key: LookupKey): RouteResult {
    return key.iif !== undefined ? this.inputRoute(key, key.iif) : this.outputRoute(key);
  }

  private outputRoute(key: LookupKey): RouteResult {
    const src = key.src ?? 0;
    const oif = key.oif ?? null;
    if (src !== 0) {
      if (isMulticast(src) || src === LIMITED_BROADCAST) return fail('EINVAL', 'bad-source');
      if (!key.anySrc && !this.isLocalSource(src)) return fail('ENETUNREACH', 'bad-source');
    }
    if (oif !== null) {
      const d = this.devinet.device(oif);
      if (!d) return fail('ENODEV', 'no-route');
      if (!d.up) return fail('ENETUNREACH', 'no-route');
    }
    if (key.dst === 0) {
      const d = src || 0x7f000001;
      return { kind: 'local', dev: 'lo', src: d, table: null, route: null };
    }
    const ans = this.fibLookup({ dst: key.dst, src, mark: key.mark ?? 0, iif: 'lo', oif, tos: key.tos ?? 0 });
    if ('errno' in ans) {
      // With a bound device and no usable route, the kernel assumes the destination is on that link.
      if (oif !== null) {
        const s = src || this.selectAddress(oif, 0, SCOPE_LINK);
        return {
          kind: key.dst === LIMITED_BROADCAST ? 'broadcast' : 'unicast',
          dev: oif,
          via: null,
          src: s,
          table: null,
          mtu: null,
          route: null,
        };
      }
      return fail(ans.errno, reasonOf(ans.errno));
    }
    const r = ans.hit.route;
    const table = this.shownTable(ans.table);
    if (r.type === 'local') return { kind: 'local', dev: 'lo', src: src || r.src || key.dst, table, route: r };
    const s = src || this.prefSrc(r);
    // __mkroute_output: a loopback source may not leave by a real device unless route_localnet allows it.
    if (isLoopback(s) && !this.device(r.dev!)?.loopback && this.confOr(r.dev!, 'route_localnet') === 0) return fail('EINVAL', 'bad-source');
    if (r.type === 'broadcast' || key.dst === LIMITED_BROADCAST) return { kind: 'broadcast', dev: r.dev!, src: s, table, route: r };
    return { kind: 'unicast', dev: r.dev!, via: r.via, src: s, table, mtu: r.mtu, route: r };
  }

  private inputRoute(key: LookupKey, iif: string): RouteResult {
    const { dst } = key;
    const src = key.src ?? 0;
    const mark = key.mark ?? 0;
    const tos = key.tos ?? 0;
    const localnet = this.confOr(iif, 'route_localnet') !== 0;
    if (isMulticast(src) || src === LIMITED_BROADCAST) return fail('EINVAL', 'martian-source');
    if (dst === LIMITED_BROADCAST || (src === 0 && dst === 0)) return this.broadcastInput(key, iif, null, null);
    if (src >>> 24 === 0) return fail('EINVAL', 'martian-source');
    if (dst >>> 24 === 0) return fail('EINVAL', 'martian-destination');
    if (isLoopback(dst) && !localnet) return fail('EINVAL', 'martian-destination');
    if (isLoopback(src) && !localnet) return fail('EINVAL', 'martian-source');
    const fwd = this.forwarding(iif);
    const ans = this.fibLookup({ dst, src, mark, iif, oif: null, tos });
    if ('errno' in ans) {
      if (!fwd) return { kind: 'error', errno: 'EHOSTUNREACH', reason: 'not-forwarding', icmpCode: null };
      return { kind: 'error', errno: ans.errno, reason: reasonOf(ans.errno), icmpCode: icmpCodeFor(ans.errno) };
    }
    const r = ans.hit.route;
    const table = this.shownTable(ans.table);
    if (r.type === 'broadcast') return this.broadcastInput(key, iif, r, table);
    if (r.type === 'local') {
      const v = this.validateSource(src, dst, iif, null, mark, tos);
      if (v) return v;
      return { kind: 'local', dev: 'lo', src, table, route: r };
    }
    if (!fwd) return { kind: 'error', errno: 'EHOSTUNREACH', reason: 'not-forwarding', icmpCode: null };
    if (r.type !== 'unicast') return fail('EINVAL', 'martian-destination');
    const v = this.validateSource(src, dst, iif, r.dev, mark, tos);
    if (v) return v;
    return { kind: 'unicast', dev: r.dev!, via: r.via, src, table, mtu: r.mtu, route: r };
  }

  private broadcastInput(key: LookupKey, iif: string, r: Route | null, table: number | null): RouteResult {
    const src = key.src ?? 0;
    if (src !== 0) {
      const v = this.validateSource(src, key.dst, iif, null, key.mark ?? 0, key.tos ?? 0);
      if (v) return v;
    }
    return { kind: 'broadcast', dev: 'lo', src, table, route: r };
  }

  /**
   * fib_validate_source: a received packet's source must not be one of our own
   * addresses (unless accept_local), and with rp_filter 1 (strict) the route back
   * to it must leave through the arrival device, with 2 (loose) through any device.
   * `fwdDev` is the device the packet will leave by (null for local delivery).
   * Returns null when the source is acceptable.
   */
  validateSource(src: Ipv4, dst: Ipv4, iif: string, fwdDev: string | null, mark = 0, tos = 0): RouteError | null {
    const rpf = this.confOr(iif, 'rp_filter');
    const acceptLocal = this.confOr(iif, 'accept_local') !== 0;
    if (rpf === 0) {
      if (acceptLocal) return null;
      if (!this.customLocalRoutes && !this.customRules) {
        return this.isLocalAddress(src) ? fail('EINVAL', 'martian-source') : null;
      }
    }
    const lastResort = rpf ? fail('EINVAL', 'rp-filter') : null;
    const ans = this.fibLookup({
      dst: src,
      src: dst,
      mark: this.confOr(iif, 'src_valid_mark') ? mark : 0,
      iif: fwdDev ?? 'lo',
      oif: null,
      tos,
    });
    if ('errno' in ans) return lastResort;
    const r = ans.hit.route;
    if (r.type !== 'unicast' && (r.type !== 'local' || !acceptLocal)) return fail('EINVAL', 'martian-source');
    if (r.dev === iif) return null;
    if (this.addresses(iif).length === 0) return lastResort;
    if (rpf === 1) return fail('EINVAL', 'rp-filter');
    return null;
  }

  /** Whether a received packet's source is martian or fails rp_filter on `iif`. */
  isMartianSource(src: Ipv4, dst: Ipv4, iif: string): boolean {
    const r = this.inputRoute({ dst, src, iif }, iif);
    return r.kind === 'error' && (r.reason === 'martian-source' || r.reason === 'rp-filter');
  }

  private prefSrc(r: Route): Ipv4 {
    if (r.src !== null) return r.src;
    return this.selectAddress(r.dev!, r.via ?? 0, r.nhScope);
  }
}

function defaultRule(priority: number, table: number): Rule {
  return {
    priority,
    not: false,
    from: null,
    to: null,
    tos: 0,
    fwmark: null,
    fwmask: null,
    iif: null,
    oif: null,
    action: 'lookup',
    table,
    suppressPrefixlength: null,
  };
}

function ruleMatches(r: Rule, f: Flow): boolean {
  let m = true;
  if (r.iif !== null && r.iif !== f.iif) m = false;
  else if (r.oif !== null && r.oif !== f.oif) m = false;
  else if (r.fwmark !== null && ((r.fwmark ^ f.mark) & (r.fwmask ?? 0xffffffff)) !== 0) m = false;
  else if (r.from !== null && r.from.len > 0 && ((f.src ^ r.from.network) & r.from.mask) !== 0) m = false;
  else if (r.to !== null && r.to.len > 0 && ((f.dst ^ r.to.network) & r.to.mask) !== 0) m = false;
  else if (r.tos !== 0 && r.tos !== f.tos) m = false;
  return m !== r.not;
}

function sameCidr(a: Cidr | null, b: Cidr | null): boolean {
  const la = a?.len ?? 0;
  const lb = b?.len ?? 0;
  return la === lb && (la === 0 || a!.network === b!.network);
}

function sameRule(a: Rule, b: Rule): boolean {
  return (
    a.priority === b.priority &&
    a.action === b.action &&
    a.table === b.table &&
    a.not === b.not &&
    sameCidr(a.from, b.from) &&
    sameCidr(a.to, b.to) &&
    a.tos === b.tos &&
    (a.fwmark ?? 0) === (b.fwmark ?? 0) &&
    (a.fwmask ?? 0) === (b.fwmask ?? 0) &&
    a.iif === b.iif &&
    a.oif === b.oif &&
    a.suppressPrefixlength === b.suppressPrefixlength
  );
}

function sameRoute(a: Route, b: Route): boolean {
  return (
    a.type === b.type &&
    a.dev === b.dev &&
    a.via === b.via &&
    a.src === b.src &&
    a.scope === b.scope &&
    a.proto === b.proto &&
    a.mtu === b.mtu &&
    a.onlink === b.onlink
  );
}

function fail(errno: Errno, reason: RouteErrorReason): RouteError {
  return { kind: 'error', errno, reason, icmpCode: null };
}

function reasonOf(errno: Errno): RouteErrorReason {
  return errno === 'EINVAL' ? 'blackhole' : errno === 'EHOSTUNREACH' ? 'unreachable' : errno === 'EACCES' ? 'prohibit' : 'no-route';
}

/** ip_error: what a forwarding router answers when the route lookup failed. */
function icmpCodeFor(errno: Errno): number | null {
  if (errno === 'EHOSTUNREACH') return 1;
  if (errno === 'ENETUNREACH') return 0;
  if (errno === 'EACCES') return 13;
  return null;
}
