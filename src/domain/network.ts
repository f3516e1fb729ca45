/** IPv4 ranges and CIDR blocks, as flexible-server firewall rules use them (IPv4 only). */

export interface IpRange {
  /** First address as an unsigned 32-bit number. */
  readonly start: number;
  /** Last address, inclusive. */
  readonly end: number;
}

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as an unsigned number, or undefined when it is not a dotted IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const match = OCTETS.exec(text.trim());
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

/**
 * A CIDR block as a range; undefined when malformed (prefix over 32, bad address, host bits set are allowed).
 * @example parseCidr('10.0.0.0/8') // { start: 167772160, end: 184549375 }
 */
export function parseCidr(text: string): IpRange | undefined {
  const [address, prefixText, extra] = text.trim().split('/');
  if (address === undefined || prefixText === undefined || extra !== undefined || !/^\d{1,2}$/.test(prefixText))
    return undefined;
  const prefix = Number(prefixText);
  const base = parseIpv4(address);
  if (base === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const start = Math.floor(base / size) * size;
  return { start, end: start + size - 1 };
}

/** A firewall rule's range; undefined when either end is not an IPv4 address or start is after end. */
export function parseIpRange(startIpAddress: string, endIpAddress: string): IpRange | undefined {
  const start = parseIpv4(startIpAddress);
  const end = parseIpv4(endIpAddress);
  if (start === undefined || end === undefined || start > end) return undefined;
  return { start, end };
}

/** True when `inner` lies entirely inside `outer`. */
export function rangeWithin(inner: IpRange, outer: IpRange): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}

/** The 0.0.0.0-0.0.0.0 rule: "allow public access from any Azure service", an open door to every tenant. */
export function isAzureServicesRule(startIpAddress: string, endIpAddress: string): boolean {
  return startIpAddress.trim() === '0.0.0.0' && endIpAddress.trim() === '0.0.0.0';
}

export function rangeSize(range: IpRange): number {
  return range.end - range.start + 1;
}

/**
 * Why a firewall rule is not allowed, or undefined when it lies inside one allow-listed CIDR block.
 * @example firewallRuleProblem('0.0.0.0', '255.255.255.255', ['10.0.0.0/8']) // 'opens 0.0.0.0-255.255.255.255 (4294967296 addresses), outside the allowed ranges 10.0.0.0/8'
 */
export function firewallRuleProblem(
  startIpAddress: string,
  endIpAddress: string,
  allowedCidrs: readonly string[],
): string | undefined {
  if (isAzureServicesRule(startIpAddress, endIpAddress))
    return 'allows every Azure service (0.0.0.0-0.0.0.0), including other tenants';
  const range = parseIpRange(startIpAddress, endIpAddress);
  if (!range) return `has an invalid range ${startIpAddress}-${endIpAddress}`;
  const allowed = allowedCidrs.map(parseCidr).filter((r): r is IpRange => r !== undefined);
  if (allowed.some((outer) => rangeWithin(range, outer))) return undefined;
  const where =
    allowedCidrs.length === 0 ? 'and no range is allowed' : `outside the allowed ranges ${allowedCidrs.join(', ')}`;
  return `opens ${startIpAddress}-${endIpAddress} (${rangeSize(range)} addresses), ${where}`;
}

/**
 * True when the subnet id is allow-listed: equal to an entry, or inside a VNet named by an entry (case-insensitive).
 * @example subnetAllowed('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a', ['/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v']) // true
 */
export function subnetAllowed(subnetId: string, allowed: readonly string[]): boolean {
  const id = subnetId.trim().replace(/^\/?/, '/').toLowerCase();
  return allowed.some((entry) => {
    const e = entry.trim().replace(/^\/?/, '/').replace(/\/+$/, '').toLowerCase();
    return id === e || id.startsWith(`${e}/subnets/`);
  });
}

/** The address of an unsigned number, dotted. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The widest entry a drill opens a clone to: the app's outbound addresses are single addresses or a small prefix. */
export const MAX_CLIENT_RANGE_ADDRESSES = 256;

/**
 * The app's outbound addresses as firewall-rule ranges (DRILL_CLIENT_ADDRESSES): a comma-separated list of IPv4
 * addresses, ranges (`a.b.c.d-e.f.g.h`) and CIDR blocks, merged where they touch or overlap, sorted. Each entry
 * that is not one of these, is the "allow Azure services" address 0.0.0.0, or spans more than 256 addresses is a
 * problem naming it: the drill opens its clone to the app, never to a network.
 * @example parseClientAddresses('20.1.2.3, 20.1.2.4,52.0.0.0/31') // { ranges: [{ start: '20.1.2.3', end: '20.1.2.4' }, { start: '52.0.0.0', end: '52.0.0.1' }], problems: [] }
 */
export function parseClientAddresses(text: string): { ranges: { start: string; end: string }[]; problems: string[] } {
  const problems: string[] = [];
  const ranges: IpRange[] = [];
  for (const entry of text
    .split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [from, to, extra] = entry.split('-');
    const range = entry.includes('/')
      ? parseCidr(entry)
      : extra === undefined && from !== undefined
        ? to === undefined
          ? parseIpRange(from, from)
          : parseIpRange(from, to)
        : undefined;
    if (!range) problems.push(`"${entry}" is not an IPv4 address, range (a.b.c.d-e.f.g.h) or CIDR block`);
    else if (range.start === 0)
      problems.push(
        `"${entry}" includes 0.0.0.0, the "allow every Azure service" address: name the app's own outbound addresses`,
      );
    else if (rangeSize(range) > MAX_CLIENT_RANGE_ADDRESSES)
      problems.push(
        `"${entry}" spans ${rangeSize(range)} addresses; at most ${MAX_CLIENT_RANGE_ADDRESSES} per entry (the app's outbound addresses, not a network)`,
      );
    else ranges.push(range);
  }
  const merged: IpRange[] = [];
  for (const range of ranges.sort((a, b) => a.start - b.start)) {
    const last = merged.at(-1);
    if (last && range.start <= last.end + 1)
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, range.end) };
    else merged.push(range);
  }
  return { ranges: merged.map((r) => ({ start: formatIpv4(r.start), end: formatIpv4(r.end) })), problems };
}
