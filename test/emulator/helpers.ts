import { ManagementLockClient } from '@azure/arm-locks';
import { MonitorClient } from '@azure/arm-monitor';
import { PostgreSQLManagementFlexibleServerClient } from '@azure/arm-postgresql-flexible';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import { request } from 'node:https';
import { armClientOptions, type Emulator, type EmulatorSnapshot } from '../../src/local/emulator/index.js';
import type { ArmServer } from '../../src/local/emulator/types.js';

/** Parsed wire JSON, read freely in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON is asserted on, not modelled
export type Json = any;

export const SUB1 = '00000000-0000-4000-8000-000000000001';
export const SUB2 = '00000000-0000-4000-8000-000000000002';
/** The emulator's clock in these tests. */
export const NOW = new Date('2026-11-21T12:00:00Z');
export const now = (): Date => new Date(NOW);

export const serverIdOf = (sub: string, rg: string, name: string): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.DBforPostgreSQL/flexibleServers/${name}`;

/** A minimal seed server; the emulator completes the rest. */
export function seedServer(
  sub: string,
  rg: string,
  name: string,
  extra: Partial<ArmServer> & { properties?: ArmServer['properties'] } = {},
): ArmServer {
  return {
    id: serverIdOf(sub, rg, name),
    name,
    type: 'Microsoft.DBforPostgreSQL/flexibleServers',
    location: 'eastus',
    sku: { name: 'Standard_D4ds_v5', tier: 'GeneralPurpose' },
    systemData: { createdAt: '2026-01-10T08:00:00Z' },
    ...extra,
    properties: {
      administratorLogin: 'ordersadmin',
      version: '16',
      storage: { storageSizeGB: 512 },
      backup: { backupRetentionDays: 14 },
      ...extra.properties,
    },
  };
}

export const VNET_NETWORK = {
  publicNetworkAccess: 'Disabled',
  delegatedSubnetResourceId: `/subscriptions/${SUB1}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/pg`,
  privateDnsZoneArmResourceId: `/subscriptions/${SUB1}/resourceGroups/rg-net/providers/Microsoft.Network/privateDnsZones/pg.private.postgres.database.azure.com`,
};

/** Production server in rg-prod with two firewall rules, a VNet server, and one in another resource group. */
export function baseSnapshot(): EmulatorSnapshot {
  const prod = seedServer(SUB1, 'rg-prod', 'pg-prod', {
    tags: { Environment: 'Production', Owner: 'orders-team@contoso.com', CostCenter: 'CC-1001' },
  });
  return {
    servers: [
      prod,
      seedServer(SUB1, 'rg-prod', 'pg-vnet', {
        tags: { Environment: 'Production' },
        properties: { network: VNET_NETWORK },
      }),
      seedServer(SUB1, 'rg-other', 'pg-other'),
      seedServer(SUB2, 'rg-two', 'pg-two', { location: 'uksouth' }),
    ],
    firewallRules: {
      [prod.id]: [
        { name: 'office', properties: { startIpAddress: '203.0.113.0', endIpAddress: '203.0.113.255' } },
        {
          name: 'AllowAllAzureServicesAndResourcesWithinAzureIps',
          properties: { startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' },
        },
      ],
    },
  };
}

export function clients(emulator: Emulator, credential: TokenCredential = emulator.credential, subscriptionId = SUB1) {
  const options = armClientOptions(emulator);
  return {
    postgres: new PostgreSQLManagementFlexibleServerClient(credential, subscriptionId, options),
    resources: new ResourceManagementClient(credential, subscriptionId, options),
    locks: new ManagementLockClient(credential, subscriptionId, options),
    monitor: new MonitorClient(credential, subscriptionId, options),
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Json;
}

/** One HTTPS request to the emulator, trusting only its certificate; `path` may be a full URL it handed out. */
function send(
  emulator: Emulator,
  method: string,
  url: URL,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        ca: emulator.caCertPem,
        headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Plain HTTPS call (admin endpoints, the Retail Prices API), trusting only the emulator's certificate. */
export function call(emulator: Emulator, method: string, path: string, body?: unknown): Promise<Answer> {
  return send(emulator, method, new URL(`${emulator.armEndpoint}${path}`), body);
}

/**
 * One ARM request with a bearer token, `api-version` added unless the path has one; `path` may be a full polling URL
 * the emulator handed out.
 */
export function armRequest(
  emulator: Emulator,
  method: string,
  path: string,
  body: unknown,
  apiVersion: string,
): Promise<Answer> {
  const url = new URL(path.startsWith('https://') ? path : `${emulator.armEndpoint}${path}`);
  if (!url.searchParams.has('api-version') && apiVersion) url.searchParams.set('api-version', apiVersion);
  return send(emulator, method, url, body, { authorization: 'Bearer any' });
}

/** Dotted key paths of a JSON value; arrays contribute their first element; `tags` and `claims` are leaves (their keys are data). */
export function keyPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    if (value.length > 0) keyPaths(value[0], `${prefix}[]`, out);
    return out;
  }
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      if (key !== 'tags' && key !== 'claims') keyPaths(child, path, out);
    }
  }
  return out;
}

/** Paths the sample has and the emulator's answer lacks. */
export function missingKeys(sample: unknown, actual: unknown, ignore: string[] = []): string[] {
  const have = keyPaths(actual);
  return [...keyPaths(sample)].filter((k) => !have.has(k) && !ignore.includes(k));
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
