import { readFileSync } from 'node:fs';
import type { TokenCredential } from '@azure/core-auth';
import type { CommonClientOptions } from '@azure/core-client';
import { DefaultAzureCredential } from '@azure/identity';
import type { Config } from '../../config.js';
import { unsignedTokenCredential } from '../../unsignedJwt.js';

/**
 * Credential for the local emulator, which accepts any bearer token and reads the caller from its claims: an unsigned
 * token naming the warden as a service principal, so the emulator's Activity Log shows who acted. Never for Azure.
 */
export const emulatorCredential: TokenCredential = unsignedTokenCredential((aud) => ({
  aud,
  appid: 'a5c1a0de-0000-4000-8000-00000000fade',
  oid: '0b7e1d2c-0000-4000-8000-00000000fade',
  idtyp: 'app',
  name: 'pitr-warden',
  sub: 'pitr-warden',
}));

/** DefaultAzureCredential in Azure (the user-assigned identity when AZURE_CLIENT_ID is set); the any-token one locally. */
export function credentialFor(config: Config): TokenCredential {
  if (config.arm.credential === 'emulator') return emulatorCredential;
  return new DefaultAzureCredential(
    config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : {},
  );
}

/** Options every ARM SDK client gets: the endpoint, and the local emulator's CA when one is configured. */
export function armClientOptions(config: Config): CommonClientOptions & { endpoint: string } {
  return { endpoint: config.arm.endpoint, ...tlsOptions(config) };
}

export function tlsOptions(config: Config): Pick<CommonClientOptions, 'tlsOptions'> {
  return config.arm.caCertPath ? { tlsOptions: { ca: readFileSync(config.arm.caCertPath, 'utf8') } } : {};
}
