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
  if (address === undefined || prefixText === undefined || extra !== undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
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
export function firewallRuleProblem(startIpAddress: string, endIpAddress: string, allowedCidrs: readonly string[]): string | undefined {
  if (isAzureServicesRule(startIpAddress, endIpAddress)) return 'allows every Azure service (0.0.0.0-0.0.0.0), including other tenants';
  const range = parseIpRange(startIpAddress, endIpAddress);
  if (!range) return `has an invalid range ${startIpAddress}-${endIpAddress}`;
  const allowed = allowedCidrs.map(parseCidr).filter((r): r is IpRange => r !== undefined);
  if (allowed.some((outer) => rangeWithin(range, outer))) return undefined;
  const where = allowedCidrs.length === 0 ? 'and no range is allowed' : `outside the allowed ranges ${allowedCidrs.join(', ')}`;
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
