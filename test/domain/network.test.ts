import { describe, expect, it } from 'vitest';
import {
  firewallRuleProblem,
  isAzureServicesRule,
  parseCidr,
  parseIpv4,
  subnetAllowed,
} from '../../src/domain/network.js';

describe('IPv4 and CIDR', () => {
  it('parses addresses and blocks', () => {
    expect(parseIpv4('10.0.0.1')).toBe(167772161);
    expect(parseIpv4('256.0.0.1')).toBeUndefined();
    expect(parseCidr('10.0.0.0/8')).toEqual({ start: 167772160, end: 184549375 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ start: 0, end: 4294967295 });
    expect(parseCidr('203.0.113.7/32')).toEqual({ start: parseIpv4('203.0.113.7'), end: parseIpv4('203.0.113.7') });
    for (const bad of ['10.0.0.0/33', '10.0.0.0', '10.0.0/8', 'x/8', '10.0.0.0/8/1'])
      expect(parseCidr(bad)).toBeUndefined();
  });
});

describe('firewall rules against the allow list', () => {
  const allowed = ['203.0.113.0/24', '10.0.0.0/8'];

  it('accepts a rule inside one allowed block', () => {
    expect(firewallRuleProblem('203.0.113.10', '203.0.113.20', allowed)).toBeUndefined();
    expect(firewallRuleProblem('10.1.0.0', '10.1.255.255', allowed)).toBeUndefined();
  });

  it('flags the Azure services rule and wide ranges (Microsoft sample rules)', () => {
    expect(isAzureServicesRule('0.0.0.0', '0.0.0.0')).toBe(true);
    expect(firewallRuleProblem('0.0.0.0', '0.0.0.0', ['0.0.0.0/0'])).toContain('every Azure service');
    expect(firewallRuleProblem('0.0.0.0', '255.255.255.255', allowed)).toContain('4294967296 addresses');
    expect(firewallRuleProblem('1.0.0.0', '255.0.0.0', allowed)).toContain('outside the allowed ranges');
    // Straddling two allowed blocks is still wider than either.
    expect(firewallRuleProblem('203.0.113.250', '203.0.114.5', allowed)).toBeDefined();
    expect(firewallRuleProblem('203.0.113.10', '203.0.113.20', [])).toContain('no range is allowed');
    expect(firewallRuleProblem('9.9.9.9', '1.1.1.1', allowed)).toContain('invalid range');
  });

  it('allows subnets by subnet id or VNet id, any casing', () => {
    const subnet =
      '/subscriptions/s/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-shared/subnets/snet-restores';
    expect(subnetAllowed(subnet, [subnet.toUpperCase()])).toBe(true);
    expect(
      subnetAllowed(subnet, [
        '/subscriptions/s/resourcegroups/rg-network/providers/microsoft.network/virtualnetworks/vnet-shared',
      ]),
    ).toBe(true);
    expect(
      subnetAllowed(subnet, [
        '/subscriptions/s/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-share',
      ]),
    ).toBe(false);
    expect(subnetAllowed(subnet, [])).toBe(false);
  });
});
