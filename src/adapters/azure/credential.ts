import { readFileSync } from 'node:fs';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { CommonClientOptions } from '@azure/core-client';
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

/**
 * DefaultAzureCredential in Azure (the user-assigned identity when AZURE_CLIENT_ID is set); the any-token one locally.
 * `@azure/identity` (about 20 MB of code with MSAL) is loaded on the first token asked for, so a process that never
 * signs in (the local sandbox, the emulator's tests) does not load it.
 */
export function credentialFor(config: Config): TokenCredential {
  if (config.arm.credential === 'emulator') return emulatorCredential;
  const options = config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : {};
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken | null> {
      credential ??= import('./sdk/identity.js').then(
        ({ DefaultAzureCredential }) => new DefaultAzureCredential(options),
        (error: unknown) => {
          credential = undefined;
          throw error;
        },
      );
      return (await credential).getToken(scopes, getTokenOptions);
    },
  };
}

/** Options every ARM SDK client gets: the endpoint, and the local emulator's CA when one is configured. */
export function armClientOptions(config: Config): CommonClientOptions & { endpoint: string } {
  return { endpoint: config.arm.endpoint, ...tlsOptions(config) };
}

export function tlsOptions(config: Config): Pick<CommonClientOptions, 'tlsOptions'> {
  return config.arm.caCertPath ? { tlsOptions: { ca: readFileSync(config.arm.caCertPath, 'utf8') } } : {};
}
