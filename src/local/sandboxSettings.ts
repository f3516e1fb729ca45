import type { AzuriteHandle } from './azurite.js';
import type { Emulator } from './emulator/index.js';

/**
 * The app settings that point the warden at a local Azurite and the local Azure emulator: storage, ARM (with the
 * emulator's CA and its any-token credential), ACS Email, Retail Prices and the emulated subscriptions. What
 * `npm start` hands the app; tests and benchmarks use the same.
 */
export function sandboxSettings(
  azurite: Pick<AzuriteHandle, 'connectionString'>,
  emulator: Pick<Emulator, 'armEndpoint' | 'caCertPath' | 'acsConnectionString' | 'pricesEndpoint' | 'subscriptionIds'>,
): Record<string, string> {
  return {
    AzureWebJobsStorage: azurite.connectionString,
    ARM_ENDPOINT: emulator.armEndpoint,
    ARM_CA_CERT_PATH: emulator.caCertPath,
    WARDEN_CREDENTIAL: 'emulator',
    ACS_ENDPOINT: '',
    ACS_CONNECTION_STRING: emulator.acsConnectionString,
    RETAIL_PRICES_ENDPOINT: emulator.pricesEndpoint,
    GOVERNED_SUBSCRIPTION_IDS: emulator.subscriptionIds.join(','),
    // No App Service authentication in front of the local host: the dashboard is open on loopback.
    DASHBOARD_AUTH: 'none',
  };
}
