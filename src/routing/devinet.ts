/**
 * A namespace's IPv4 devices, their addresses and the per-device conf sysctls,
 * as the kernel's devinet keeps them. Routes are not kept here: address and
 * link changes are announced to a listener (the routing tables, as
 * fib_frontend listens to the kernel's inetaddr and netdev notifiers), which
 * maintains the local, broadcast and connected routes.
 */
import { cidrContains, isLoopback, makeCidr, type Ipv4 } from '../packet/ipv4.js';
import { SCOPE_HOST, SCOPE_LINK, SCOPE_UNIVERSE } from './types.js';

export interface Address {
  addr: Ipv4;
  len: number;
  /** A further address in a subnet the device already has an address in. */
  secondary: boolean;
}

export interface Device {
  name: string;
  up: boolean;
  loopback: boolean;
  /** Primaries first (in the order added), then secondaries, as the kernel keeps ifa_list. */
  addrs: Address[];
}

/** Why an address change failed: the line iproute2 prints and its exit status. */
export interface DevinetError {
  stderr: string;
  exitCode: number;
}

/** What the routing tables hear of address and link changes. */
export interface DevinetListener {
  addressAdded(d: Device, a: Address): void;
  /** `gone` left the device (a primary takes its secondaries along unless promote_secondaries). */
  addressesRemoved(d: Device, gone: readonly Address[]): void;
  linkChanged(d: Device): void;
}

export const CONF_KEYS = ['rp_filter', 'accept_local', 'route_localnet', 'forwarding', 'promote_secondaries', 'src_valid_mark'] as const;
export type ConfKey = (typeof CONF_KEYS)[number];

/** 127/8 addresses have host scope; the rest global. */
const addrScope = (a: Ipv4): number => (isLoopback(a) ? SCOPE_HOST : SCOPE_UNIVERSE);

const noDevice = (dev: string): DevinetError => ({ stderr: `Cannot find device "${dev}"\n`, exitCode: 1 });

export class Devinet {
  private readonly devices = new Map<string, Device>();
  private readonly conf = new Map<string, Map<ConfKey, number>>();

  constructor(private readonly listener: DevinetListener) {}

  addDevice(name: string, opts: { up?: boolean; loopback?: boolean } = {}): void {
    if (this.devices.has(name)) return;
    this.devices.set(name, { name, up: opts.up ?? true, loopback: opts.loopback ?? false, addrs: [] });
  }

  device(name: string): Device | undefined {
    return this.devices.get(name);
  }

  deviceNames(): string[] {
    return [...this.devices.keys()];
  }

  setLinkUp(name: string, up: boolean): boolean {
    const d = this.devices.get(name);
    if (!d) return false;
    if (d.up === up) return true;
    d.up = up;
    this.listener.linkChanged(d);
    return true;
  }

  /** `ip addr add ADDR/LEN dev DEV`. Returns the kernel's error, or null. */
  addAddress(dev: string, addr: Ipv4, len: number): DevinetError | null {
    const d = this.devices.get(dev);
    if (!d) return noDevice(dev);
    if (d.addrs.some((a) => a.addr === addr && a.len === len)) return { stderr: 'RTNETLINK answers: File exists\n', exitCode: 2 };
    const mask = makeCidr(addr, len).mask;
    const secondary = d.addrs.some((a) => a.len === len && ((a.addr ^ addr) & mask) === 0);
    const entry: Address = { addr, len, secondary };
    if (secondary) d.addrs.push(entry);
    else {
      const firstSecondary = d.addrs.findIndex((a) => a.secondary);
      d.addrs.splice(firstSecondary < 0 ? d.addrs.length : firstSecondary, 0, entry);
    }
    this.listener.addressAdded(d, entry);
    return null;
  }

  /** `ip addr del ADDR/LEN dev DEV`. Deleting a primary deletes its secondaries (promote_secondaries=0, the kernel default). */
  delAddress(dev: string, addr: Ipv4, len: number): DevinetError | null {
    const d = this.devices.get(dev);
    if (!d) return noDevice(dev);
    const a = d.addrs.find((x) => x.addr === addr && x.len === len);
    if (!a) return { stderr: 'RTNETLINK answers: Cannot assign requested address\n', exitCode: 2 };
    const mask = makeCidr(addr, len).mask;
    const promote = this.confOr(dev, 'promote_secondaries') > 0;
    const sameSubnet = (x: Address) => x !== a && x.secondary && x.len === len && ((x.addr ^ addr) & mask) === 0;
    let gone = [a];
    if (!a.secondary) {
      const subs = d.addrs.filter(sameSubnet);
      if (promote && subs.length > 0) subs[0].secondary = false;
      else gone = gone.concat(subs);
    }
    d.addrs = d.addrs.filter((x) => !gone.includes(x));
    d.addrs.sort((x, y) => Number(x.secondary) - Number(y.secondary));
    this.listener.addressesRemoved(d, gone);
    return null;
  }

  addresses(dev: string): readonly Address[] {
    return this.devices.get(dev)?.addrs ?? [];
  }

  /** Whether `a` is one of this namespace's addresses (what __ip_dev_find answers). */
  isLocalAddress(a: Ipv4): boolean {
    for (const d of this.devices.values()) for (const x of d.addrs) if (x.addr === a) return true;
    return false;
  }

  /** The device an address is configured on, or null. */
  deviceOfAddress(a: Ipv4): string | null {
    for (const d of this.devices.values()) for (const x of d.addrs) if (x.addr === a) return d.name;
    return null;
  }

  /** The primary address of `a`'s subnet on `d` (`a` itself when it is a primary). */
  primaryFor(d: Device, a: Address): Ipv4 {
    if (!a.secondary) return a.addr;
    const mask = makeCidr(a.addr, a.len).mask;
    const p = d.addrs.find((x) => !x.secondary && x.len === a.len && ((x.addr ^ a.addr) & mask) === 0);
    return p ? p.addr : a.addr;
  }

  /** Applies an IPv4 routing sysctl (`net.ipv4.ip_forward`, `net.ipv4.conf.IF.rp_filter`, ...); false when not one of ours. */
  setSysctl(name: string, value: string | number): boolean {
    const v = Number(value);
    if (!Number.isFinite(v)) return false;
    if (name === 'net.ipv4.ip_forward') {
      // Writing ip_forward sets forwarding on "all", "default" and every device.
      for (const scope of ['all', 'default', ...this.devices.keys()]) this.setConf(scope, 'forwarding', v);
      return true;
    }
    const m = /^net\.ipv4\.conf\.([^.]+)\.([a-z_]+)$/.exec(name);
    if (!m || !(CONF_KEYS as readonly string[]).includes(m[2])) return false;
    this.setConf(m[1], m[2] as ConfKey, v);
    return true;
  }

  private setConf(scope: string, key: ConfKey, v: number): void {
    let c = this.conf.get(scope);
    if (!c) this.conf.set(scope, (c = new Map<ConfKey, number>()));
    c.set(key, v);
  }

  private confOf(scope: string, key: ConfKey): number {
    return this.conf.get(scope)?.get(key) ?? this.conf.get('default')?.get(key) ?? 0;
  }

  /** The value the kernel uses: rp_filter is the max of "all" and the device, the flags are ORed. */
  confOr(dev: string, key: ConfKey): number {
    const all = this.conf.get('all')?.get(key) ?? 0;
    const own = this.confOf(dev, key);
    return key === 'rp_filter' ? Math.max(all, own) : all || own;
  }

  forwarding(dev: string): boolean {
    return (this.conf.get(dev)?.get('forwarding') ?? this.conf.get('default')?.get('forwarding') ?? 0) !== 0;
  }

  /**
   * inet_select_addr: a primary address of the device, preferring one in the
   * subnet of `near` (the gateway); else the first suitable address of any
   * device, loopback first.
   */
  selectAddress(dev: string, near: Ipv4, scope: number): Ipv4 {
    const d = this.devices.get(dev);
    const localnetScope = d && this.confOr(dev, 'route_localnet') ? SCOPE_LINK : SCOPE_HOST;
    let found = 0;
    for (const a of d?.addrs ?? []) {
      if (a.secondary) continue;
      if (Math.min(addrScope(a.addr), localnetScope) > scope) continue;
      if (near === 0 || cidrContains(makeCidr(a.addr, a.len), near)) return a.addr;
      if (found === 0) found = a.addr;
    }
    if (found !== 0) return found;
    for (const other of this.devices.values()) {
      for (const a of other.addrs) {
        if (a.secondary) continue;
        const s = addrScope(a.addr);
        if (s <= scope && s !== SCOPE_LINK) return a.addr;
      }
    }
    return 0;
  }
}
