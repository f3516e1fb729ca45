import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appMaxOldSpaceMb } from '../../bench/report.js';
import { SETTINGS, type SettingName } from '../../src/config.js';
import {
  ARM_ACTIONS,
  REST_OPERATION_ACTIONS,
  SDK_OPERATION_ACTIONS,
} from '../../src/adapters/azure/arm/permissions.js';
import {
  allowedValues,
  balanced,
  keysOf,
  objectItems,
  paramsOf,
  pathOf,
  readBicep,
  stringItems,
  unquote,
  valueOf,
  type BicepFile,
  type ResourceDeclaration,
} from './bicepText.js';

// No Bicep compiler runs here: these tests read the templates as text and check the invariants that matter.
const root = join(import.meta.dirname, '..', '..');
const infra = join(root, 'infra');

/** Settings that exist only on a developer machine; setting them in Azure would be wrong or a secret leak. */
const LOCAL_ONLY: readonly SettingName[] = ['AzureWebJobsStorage', 'ARM_CA_CERT_PATH', 'ACS_CONNECTION_STRING'];
/** Settings Flex Consumption takes from the site itself (functionAppConfig.runtime); it rejects them as app settings. */
const PLATFORM_PROVIDED: readonly SettingName[] = ['FUNCTIONS_WORKER_RUNTIME'];
/** Host settings that are not read by src/config.ts but make identity-based storage and telemetry work. */
const HOST_SETTINGS = [
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  // The worker's Node arguments: V8's heap sized for the instance.
  'languageWorkers__node__arguments',
];
/** Built-in roles the warden must never hold: Owner, Contributor, User Access Administrator. */
const FORBIDDEN_ROLE_IDS = [
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  'b24988ac-6180-42a0-ab88-20f7382dd24c',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
];
const EVENT_TYPES = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.Resources.ResourceDeleteSuccess',
  'Microsoft.Resources.ResourceActionSuccess',
];

/** Actions the code needs that the role lacks, and actions the role grants that no call needs. */
function roleGap(role: readonly string[], needed: ReadonlySet<string>): { missing: string[]; extra: string[] } {
  return {
    missing: [...needed].filter((a) => !role.includes(a)).sort(),
    extra: role.filter((a) => !needed.has(a)).sort(),
  };
}

/** The Azure adapters' sources, with their path under src/adapters/azure. */
function azureAdapterSources(): { path: string; text: string }[] {
  const dir = join(root, 'src', 'adapters', 'azure');
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((path) => ({ path, text: readFileSync(join(dir, path), 'utf8') }));
}

function bicepFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return bicepFiles(path);
    return entry.name.endsWith('.bicep') ? [path] : [];
  });
}

const files: BicepFile[] = bicepFiles(infra).map(readBicep);
const file = (path: string): BicepFile => {
  const found = files.find((f) => relative(infra, f.path) === path);
  if (!found) throw new Error(`infra/${path} is missing`);
  return found;
};
const created = (f: BicepFile, type: string): ResourceDeclaration[] =>
  f.resources.filter((r) => r.type === type && !r.existing);
const theOne = (f: BicepFile, type: string): ResourceDeclaration => {
  const found = created(f, type);
  if (found.length !== 1) throw new Error(`${relative(root, f.path)}: expected one ${type}, found ${found.length}`);
  return found[0]!;
};
const required = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`${what} is missing`);
  return value;
};

const main = file('main.bicep');
const functionApp = file('app/function-app.bicep');
const mainParams = paramsOf(main.code);

describe('app settings of the Function App', () => {
  const config = theOne(functionApp, 'Microsoft.Web/sites/config');
  const settingsText = required(valueOf(config.body, 'properties'), 'appsettings properties');
  const settings = new Map(keysOf(settingsText).map((key) => [key, required(valueOf(settingsText, key), key)]));

  it('is the appsettings config of the site', () => {
    expect(unquote(required(valueOf(config.body, 'name'), 'name'))).toBe('appsettings');
    expect(settings.size).toBeGreaterThan(20);
  });

  it('sets every setting the code reads in Azure, and every catalogue entry is accounted for', () => {
    const inAzure = (Object.keys(SETTINGS) as SettingName[]).filter(
      (name) => !LOCAL_ONLY.includes(name) && !PLATFORM_PROVIDED.includes(name),
    );
    const missing = inAzure.filter((name) => !settings.has(name));
    expect(missing).toEqual([]);
  });

  it('sets no local-only setting (no connection strings, no emulator CA)', () => {
    for (const name of [...LOCAL_ONLY, ...PLATFORM_PROVIDED]) expect(Object.keys(SETTINGS)).toContain(name);
    expect([...settings.keys()].filter((name) => (LOCAL_ONLY as string[]).includes(name))).toEqual([]);
  });

  it('sets nothing outside the catalogue but the identity-based host settings', () => {
    const unknown = [...settings.keys()].filter((name) => !(name in SETTINGS) && !HOST_SETTINGS.includes(name));
    expect(unknown).toEqual([]);
  });

  it("runs the Node worker with V8's old space at half the instance's memory, as the benchmarks run the warden", () => {
    expect(settings.get('languageWorkers__node__arguments')).toBe("'--max-old-space-size=${instanceMemoryMB / 2}'");
    const instance = Number(
      required(paramsOf(functionApp.code).get('instanceMemoryMB'), 'instanceMemoryMB').defaultValue,
    );
    expect(instance).toBe(2048);
    // bench/report.ts reads the setting from the template: `npm run bench` measures the warden as deployed.
    expect(appMaxOldSpaceMb(functionApp.path)).toBe(instance / 2);
  });

  it('leaves the worker runtime to Flex Consumption (node), not to FUNCTIONS_WORKER_RUNTIME', () => {
    const site = theOne(functionApp, 'Microsoft.Web/sites');
    expect(settings.has('FUNCTIONS_WORKER_RUNTIME')).toBe(false);
    expect(
      unquote(required(pathOf(site.body, 'properties', 'functionAppConfig', 'runtime', 'name'), 'runtime name')),
    ).toBe(SETTINGS.FUNCTIONS_WORKER_RUNTIME.local);
    expect(unquote(required(pathOf(site.body, 'kind'), 'kind'))).toBe('functionapp,linux');
    const plan = theOne(functionApp, 'Microsoft.Web/serverfarms');
    expect(pathOf(plan.body, 'sku', 'tier')).toBe("'FlexConsumption'");
  });

  it('uses the managed identity for storage, ARM and ACS, with no key or connection string anywhere', () => {
    expect(settings.get('AzureWebJobsStorage__accountName')).toBe('storageAccountName');
    expect(settings.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(settings.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
    expect(settings.get('AZURE_CLIENT_ID')).toBe('identityClientId');
    expect(settings.get('WARDEN_CREDENTIAL')).toBe("'default'");
    expect(settings.get('ACS_ENDPOINT')).toBe('acsEndpoint');
    for (const f of files) {
      expect(f.code, relative(root, f.path)).not.toMatch(/listKeys\(|listConnectionStrings\(|AccountKey=|accesskey=/i);
    }
  });

  it('deploys the package from blob storage with the user-assigned identity', () => {
    const site = theOne(functionApp, 'Microsoft.Web/sites');
    const storage = required(
      pathOf(site.body, 'properties', 'functionAppConfig', 'deployment', 'storage'),
      'deployment storage',
    );
    expect(unquote(required(valueOf(storage, 'type'), 'type'))).toBe('blobContainer');
    expect(pathOf(storage, 'authentication', 'type')).toBe("'UserAssignedIdentity'");
    expect(pathOf(site.body, 'identity', 'type')).toBe("'UserAssigned'");
  });
});

describe('parameters', () => {
  it('defaults the sweep to dry-run and allows only dry-run and enforce, all the way to the setting', () => {
    const sweepMode = required(mainParams.get('sweepMode'), 'main.bicep param sweepMode');
    expect(unquote(required(sweepMode.defaultValue, 'sweepMode default'))).toBe('dry-run');
    expect(allowedValues(sweepMode)).toEqual(['dry-run', 'enforce']);
    expect(SETTINGS.SWEEP_MODE.local).toBe('dry-run');
    const appModule = moduleParams(main, 'app/function-app.bicep');
    expect(appModule.get('sweepMode')).toBe('sweepMode');
    const appConfig = theOne(functionApp, 'Microsoft.Web/sites/config');
    expect(pathOf(appConfig.body, 'properties', 'SWEEP_MODE')).toBe('sweepMode');
    const parametersFile = JSON.parse(readFileSync(join(infra, 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const override = parametersFile.parameters.sweepMode?.value;
    if (override !== undefined) expect(override).toMatch(/^\$\{SWEEP_MODE=dry-run\}$/);
  });

  it('defaults schedules, caps and names to the values of src/config.ts', () => {
    const expected: Record<string, SettingName> = {
      reconcileSchedule: 'RECONCILE_SCHEDULE',
      noticesSchedule: 'NOTICES_SCHEDULE',
      finopsSummarySchedule: 'FINOPS_SUMMARY_SCHEDULE',
      sweepSchedule: 'SWEEP_SCHEDULE',
      sweepMaxDeletionsPerRun: 'SWEEP_MAX_DELETIONS_PER_RUN',
      sweepMaxDeletionPercent: 'SWEEP_MAX_DELETION_PERCENT',
      sweepMaxDisagreementPercent: 'SWEEP_MAX_DISAGREEMENT_PERCENT',
      mailLimitPerMinute: 'MAIL_LIMIT_PER_MINUTE',
      mailLimitPerHour: 'MAIL_LIMIT_PER_HOUR',
      tablePrefix: 'TABLE_PREFIX',
      eventsQueueName: 'EVENTS_QUEUE_NAME',
    };
    const appModule = moduleParams(main, 'app/function-app.bicep');
    const appConfig = theOne(functionApp, 'Microsoft.Web/sites/config');
    for (const [param, setting] of Object.entries(expected)) {
      const declared = required(mainParams.get(param), `main.bicep param ${param}`);
      expect(unquote(required(declared.defaultValue, `${param} default`)), param).toBe(SETTINGS[setting].local);
      expect(appModule.get(param), `function-app module param ${param}`).toBe(param);
      const value = required(pathOf(appConfig.body, 'properties', setting), setting);
      expect(value === param || value === `string(${param})`, `${setting}: ${value}`).toBe(true);
    }
  });

  it('takes governed subscriptions, location, name prefix, sender domain, recipient domains and mailboxes', () => {
    for (const name of [
      'governedSubscriptionIds',
      'location',
      'namePrefix',
      'environmentName',
      'senderDomain',
      'allowedRecipientDomains',
      'fallbackMailbox',
      'finopsMailbox',
    ]) {
      expect(mainParams.has(name), name).toBe(true);
    }
    expect(mainParams.get('governedSubscriptionIds')?.type).toBe('array');
    expect(main.code).toMatch(/^targetScope = 'subscription'$/m);
  });
});

describe('least privilege', () => {
  const wardenRole = theOne(file('app/warden-role.bicep'), 'Microsoft.Authorization/roleDefinitions');
  const permissions = objectItems(required(pathOf(wardenRole.body, 'properties', 'permissions'), 'permissions'));

  it('gives the warden role exactly the ARM actions the code calls', () => {
    expect(permissions).toHaveLength(1);
    const actions = stringItems(required(valueOf(permissions[0]!, 'actions'), 'actions'));
    expect(new Set(actions).size).toBe(actions.length);
    expect([...actions].sort()).toEqual([...ARM_ACTIONS].sort());
    expect(stringItems(required(valueOf(permissions[0]!, 'dataActions'), 'dataActions'))).toEqual([]);
  });

  it('grants exactly the actions of the SDK calls the adapters make: a missing and an extra action both fail', () => {
    const calls: { path: string; pkg: string; call: string }[] = [];
    for (const { path, text } of azureAdapterSources()) {
      for (const [pkg, operations] of Object.entries(SDK_OPERATION_ACTIONS)) {
        if (!text.includes(`from '${pkg}'`)) continue;
        const groups = [...new Set(Object.keys(operations).map((op) => op.split('.')[0]!))];
        for (const [, group, method] of text.matchAll(new RegExp(`\\.(${groups.join('|')})\\.(\\w+)\\(`, 'g'))) {
          calls.push({ path, pkg, call: `${group}.${method!.replace(/AndWait$/, '')}` });
        }
      }
    }
    expect(new Set(calls.map((c) => c.pkg)).size, 'every SDK package of the map is used').toBe(
      Object.keys(SDK_OPERATION_ACTIONS).length,
    );
    const unlisted = calls
      .filter(({ pkg, call }) => !(call in SDK_OPERATION_ACTIONS[pkg]!))
      .map(({ path, pkg, call }) => `${path}: ${pkg} ${call}`);
    expect(
      unlisted,
      'new SDK calls: list their RBAC actions in SDK_OPERATION_ACTIONS (src/adapters/azure/arm/permissions.ts)',
    ).toEqual([]);
    const needed = new Set(calls.flatMap(({ pkg, call }) => SDK_OPERATION_ACTIONS[pkg]![call] ?? []));
    const sources = azureAdapterSources();
    for (const [path, actions] of Object.entries(REST_OPERATION_ACTIONS)) {
      expect(
        sources.some(({ text }) => text.includes(path)),
        `a REST call of ${path} in src/adapters/azure`,
      ).toBe(true);
      for (const action of actions) needed.add(action);
    }
    expect(roleGap(ARM_ACTIONS, needed)).toEqual({ missing: [], extra: [] });
  });

  it('would catch an extra and a missing action (the same comparison, on a role with one of each)', () => {
    const needed = new Set<string>([
      ...Object.values(SDK_OPERATION_ACTIONS).flatMap((ops) => Object.values(ops).flat()),
      ...Object.values(REST_OPERATION_ACTIONS).flat(),
    ]);
    // MySQL rule writes: no call makes one (drills connect to PostgreSQL only), so granting it is an extra action.
    const role = [
      ...ARM_ACTIONS.filter((a) => a !== 'Microsoft.Resources/tags/write'),
      'Microsoft.DBforMySQL/flexibleServers/firewallRules/write',
    ];
    expect(roleGap(role, needed)).toEqual({
      missing: ['Microsoft.Resources/tags/write'],
      extra: ['Microsoft.DBforMySQL/flexibleServers/firewallRules/write'],
    });
  });

  it('has no wildcard action in any role the templates define, nor in ARM_ACTIONS', () => {
    expect(ARM_ACTIONS.filter((a) => a.includes('*'))).toEqual([]);
    const definitions = files.flatMap((f) => created(f, 'Microsoft.Authorization/roleDefinitions'));
    expect(definitions.length).toBeGreaterThanOrEqual(2);
    for (const definition of definitions) {
      for (const permission of objectItems(
        required(pathOf(definition.body, 'properties', 'permissions'), 'permissions'),
      )) {
        const granted = ['actions', 'dataActions'].flatMap((key) => stringItems(valueOf(permission, key) ?? '[]'));
        expect(granted.length).toBeGreaterThan(0);
        expect(
          granted.filter((a) => a.includes('*')),
          definition.symbol,
        ).toEqual([]);
      }
    }
  });

  it('assigns the warden role in every governed subscription, to the app identity only', () => {
    const governed = file('app/governed-subscription.bicep');
    const assignment = theOne(governed, 'Microsoft.Authorization/roleAssignments');
    expect(pathOf(assignment.body, 'properties', 'roleDefinitionId')).toContain('wardenRoleDefinitionName');
    expect(pathOf(assignment.body, 'properties', 'principalId')).toBe('appPrincipalId');
    expect(main.code).toMatch(
      /module governedSubscriptions 'app\/governed-subscription\.bicep' = \[\s*for subscriptionId in governed:/,
    );
    expect(main.code).toMatch(/scope: subscription\(subscriptionId\)/);
  });

  it('never assigns Owner, Contributor or User Access Administrator, and names every role id it uses', () => {
    const named = namedRoleIds();
    for (const f of files) {
      for (const id of FORBIDDEN_ROLE_IDS) expect(f.code.toLowerCase(), relative(root, f.path)).not.toContain(id);
      const guids = f.code.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? [];
      expect(
        guids.filter((g) => !named.has(g.toLowerCase())),
        relative(root, f.path),
      ).toEqual([]);
    }
    expect(named.size).toBeGreaterThanOrEqual(6);
  });

  it('scopes storage data roles to the storage account, queue or container, never wider', () => {
    const rbac = file('rbac.bicep');
    const scopes = created(rbac, 'Microsoft.Authorization/roleAssignments').map((a) => valueOf(a.body, 'scope'));
    expect(scopes).toHaveLength(7);
    const existing = new Map(rbac.resources.filter((r) => r.existing).map((r) => [r.symbol, r.type]));
    for (const scope of scopes) expect(existing.get(required(scope, 'scope'))).toBeDefined();
    expect(scopes).toEqual(
      expect.arrayContaining(['storage', 'eventsQueue', 'deadLetterContainer', 'communication', 'appInsights']),
    );
  });

  it('turns shared-key access, public blob access and old TLS off on the storage account', () => {
    const account = theOne(file('core/storage/storage-account.bicep'), 'Microsoft.Storage/storageAccounts');
    expect(pathOf(account.body, 'properties', 'allowSharedKeyAccess')).toBe('false');
    expect(pathOf(account.body, 'properties', 'allowBlobPublicAccess')).toBe('false');
    expect(pathOf(account.body, 'properties', 'minimumTlsVersion')).toBe("'TLS1_2'");
  });
});

describe('storage the app uses', () => {
  const storageModule = moduleParams(main, 'core/storage/storage-account.bicep');

  it('creates the events queue and its poison queue', () => {
    expect(storageModule.get('queueNames')).toBe("[eventsQueueName, '${eventsQueueName}-poison']");
    expect(SETTINGS.EVENTS_QUEUE_NAME.local).toBe('resource-events');
  });

  it('creates the five warden tables from the table prefix', () => {
    const tables = stringItems(required(/var tableNames = (\[.*\])/.exec(main.code)?.[1], 'var tableNames'));
    const prefix = SETTINGS.TABLE_PREFIX.local;
    expect(tables.map((t) => t.replace('${tablePrefix}', prefix)).sort()).toEqual(
      ['wardenCheckpoints', 'wardenDrills', 'wardenEvidence', 'wardenInventory', 'wardenRuns'].map((t) =>
        t.replace('warden', prefix),
      ),
    );
  });
});

describe('Event Grid on each governed subscription', () => {
  const events = file('app/events.bicep');

  it('has a system topic on the subscription with the delivery identity', () => {
    const topic = theOne(events, 'Microsoft.EventGrid/systemTopics');
    expect(pathOf(topic.body, 'properties', 'topicType')).toBe("'Microsoft.Resources.Subscriptions'");
    expect(pathOf(topic.body, 'properties', 'source')).toBe('subscription().id');
    expect(valueOf(topic.body, 'location')).toBe("'global'");
  });

  it('filters the three resource event types to flexible-server operations', () => {
    const subscription = theOne(events, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
    const filter = required(pathOf(subscription.body, 'properties', 'filter'), 'filter');
    expect(stringItems(required(valueOf(filter, 'includedEventTypes'), 'includedEventTypes')).sort()).toEqual(
      [...EVENT_TYPES].sort(),
    );
    const advanced = objectItems(required(valueOf(filter, 'advancedFilters'), 'advancedFilters'));
    const onOperation = advanced.filter((f) => unquote(valueOf(f, 'key') ?? '') === 'data.operationName');
    expect(onOperation).toHaveLength(1);
    expect(['StringBeginsWith', 'StringContains']).toContain(unquote(valueOf(onOperation[0]!, 'operatorType') ?? ''));
    expect(stringItems(valueOf(onOperation[0]!, 'values') ?? '[]')).toContain(
      'Microsoft.DBforPostgreSQL/flexibleServers',
    );
    expect(stringItems(valueOf(onOperation[0]!, 'values') ?? '[]')).toContain('Microsoft.Sql/servers/databases');
    expect(stringItems(valueOf(onOperation[0]!, 'values') ?? '[]')).toContain('Microsoft.DBforMySQL/flexibleServers');
  });

  it('delivers to the app queue and dead-letters to the blob container, with a 24-hour retry policy', () => {
    const subscription = theOne(events, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
    const properties = required(valueOf(subscription.body, 'properties'), 'properties');
    const destination = required(pathOf(properties, 'deliveryWithResourceIdentity', 'destination'), 'destination');
    expect(valueOf(destination, 'endpointType')).toBe("'StorageQueue'");
    expect(pathOf(destination, 'properties', 'queueName')).toBe('eventsQueueName');
    const deadLetter = required(
      pathOf(properties, 'deadLetterWithResourceIdentity', 'deadLetterDestination'),
      'dead letter',
    );
    expect(valueOf(deadLetter, 'endpointType')).toBe("'StorageBlob'");
    expect(pathOf(deadLetter, 'properties', 'blobContainerName')).toBe('deadLetterContainerName');
    expect(pathOf(properties, 'retryPolicy', 'eventTimeToLiveInMinutes')).toBe('1440');
    expect(pathOf(properties, 'retryPolicy', 'maxDeliveryAttempts')).toBeDefined();
  });
});

describe('Activity Log alert', () => {
  it('watches administrative operations on flexible servers in each governed subscription', () => {
    const alert = theOne(file('app/events.bicep'), 'Microsoft.Insights/activityLogAlerts');
    expect(valueOf(alert.body, 'location')).toBe("'global'");
    const conditions = objectItems(required(pathOf(alert.body, 'properties', 'condition', 'allOf'), 'allOf'));
    const leaves = conditions.flatMap((c) => [c, ...objectItems(valueOf(c, 'anyOf') ?? '[]')]);
    const equals = (field: string) =>
      leaves
        .filter((c) => unquote(valueOf(c, 'field') ?? '') === field)
        .map((c) => unquote(valueOf(c, 'equals') ?? ''));
    expect(equals('category')).toEqual(['Administrative']);
    expect(equals('resourceType')).toContain('microsoft.dbforpostgresql/flexibleservers');
    expect(equals('resourceType')).toContain('microsoft.sql/servers/databases');
    expect(equals('resourceType')).toEqual(
      expect.arrayContaining([
        'microsoft.dbformysql/flexibleservers',
        'microsoft.dbformysql/flexibleservers/firewallrules',
      ]),
    );
    expect(pathOf(alert.body, 'properties', 'actions', 'actionGroups')).toContain('actionGroupId');
  });

  it('calls onActivityLogAlert on its route with a function key and the common alert schema', () => {
    const group = theOne(file('app/alerts.bicep'), 'Microsoft.Insights/actionGroups');
    const receivers = objectItems(required(pathOf(group.body, 'properties', 'azureFunctionReceivers'), 'receivers'));
    expect(receivers).toHaveLength(1);
    const receiver = receivers[0]!;
    expect(unquote(valueOf(receiver, 'functionName') ?? '')).toBe('onActivityLogAlert');
    expect(valueOf(receiver, 'useCommonAlertSchema')).toBe('true');
    const url = unquote(required(valueOf(receiver, 'httpTriggerUrl'), 'httpTriggerUrl'));
    expect(url).toMatch(/^https:\/\/\$\{functionAppHostName\}\/api\/activity-log-alert\?code=\$\{functionKey\}$/);
    const trigger = join(root, 'functions', 'onActivityLogAlert.ts');
    if (existsSync(trigger)) {
      const registration =
        /app\.http\('onActivityLogAlert',\s*\{([^}]*)\}/.exec(readFileSync(trigger, 'utf8'))?.[1] ?? '';
      expect(registration).toContain("route: 'activity-log-alert'");
      expect(registration).toContain("authLevel: 'function'");
    }
  });
});

describe('restore drills: how the app reaches a clone and signs in', () => {
  const site = theOne(functionApp, 'Microsoft.Web/sites');
  const settings = required(
    valueOf(theOne(functionApp, 'Microsoft.Web/sites/config').body, 'properties'),
    'appsettings',
  );
  const appModule = moduleParams(main, 'app/function-app.bicep');
  const appParams = paramsOf(functionApp.code);

  it("joins the app to the drill subnet when one is given (VNet clones land in the source's delegated subnet), and only then", () => {
    const declared = required(mainParams.get('drillSubnetId'), 'main.bicep param drillSubnetId');
    expect(declared.type).toBe('string');
    expect(unquote(required(declared.defaultValue, 'drillSubnetId default'))).toBe('');
    expect(appModule.get('drillSubnetId')).toBe('drillSubnetId');
    expect(appParams.get('drillSubnetId')?.type).toBe('string');
    expect(pathOf(site.body, 'properties', 'virtualNetworkSubnetId')).toBe(
      'empty(drillSubnetId) ? null : drillSubnetId',
    );
    expect(pathOf(site.body, 'properties', 'vnetRouteAllEnabled')).toBe('!empty(drillSubnetId)');
  });

  it("feeds DRILL_CLIENT_ADDRESSES from the parameter, else the site's possible outbound addresses (none behind a drill subnet)", () => {
    expect(
      unquote(required(mainParams.get('drillClientAddresses')?.defaultValue, 'drillClientAddresses default')),
    ).toBe('');
    expect(appModule.get('drillClientAddresses')).toBe('drillClientAddresses');
    expect(valueOf(settings, 'DRILL_CLIENT_ADDRESSES')).toBe(
      "!empty(drillClientAddresses) ? drillClientAddresses : empty(drillSubnetId) ? functionApp.properties.possibleOutboundIpAddresses : ''",
    );
    expect(SETTINGS.DRILL_CLIENT_ADDRESSES.local).toBe('');
  });

  it("gives the app identity Key Vault Secrets User on the drill password's vault, only when a vault is named", () => {
    expect(unquote(required(mainParams.get('drillKeyVaultName')?.defaultValue, 'drillKeyVaultName default'))).toBe('');
    const rbacModule = moduleParams(main, 'rbac.bicep');
    expect(rbacModule.get('drillKeyVaultName')).toBe('drillKeyVaultName');
    expect(rbacModule.get('drillKeyVaultResourceGroup')).toBe(
      'empty(drillKeyVaultResourceGroup) ? appGroup.name : drillKeyVaultResourceGroup',
    );
    expect(namedRoleIds().has('4633458b-17de-408a-b874-0445c86b69e6')).toBe(true);
    const rbac = file('rbac.bicep');
    expect(rbac.code).toMatch(
      /^module drillKeyVaultAccess 'app\/drill-key-vault-access\.bicep' = if \(!empty\(drillKeyVaultName\)\) \{/m,
    );
    const vaultModule = moduleParams(rbac, 'app/drill-key-vault-access.bicep');
    expect(Object.fromEntries(vaultModule)).toEqual({
      keyVaultName: 'drillKeyVaultName',
      principalId: 'appPrincipalId',
      roleDefinitionGuid: 'roles.keyVaultSecretsUser',
    });
    expect(/var roles = \{[\s\S]*?keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'/.test(rbac.code)).toBe(
      true,
    );

    const access = file('app/drill-key-vault-access.bicep');
    const vault = required(
      access.resources.find((r) => r.existing && r.type === 'Microsoft.KeyVault/vaults'),
      'existing vault',
    );
    expect(valueOf(vault.body, 'name')).toBe('keyVaultName');
    const assignment = theOne(access, 'Microsoft.Authorization/roleAssignments');
    expect(valueOf(assignment.body, 'scope')).toBe(vault.symbol);
    expect(pathOf(assignment.body, 'properties', 'roleDefinitionId')).toBe(
      "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionGuid)",
    );
    expect(pathOf(assignment.body, 'properties', 'principalId')).toBe('principalId');
  });

  it('sets the drill sign-in settings from the parameters, and azd fills every drill parameter from its environment', () => {
    for (const [param, setting] of [
      ['drillDbAuth', 'DRILL_DB_AUTH'],
      ['drillDbUser', 'DRILL_DB_USER'],
      ['drillDbPasswordSecretUri', 'DRILL_DB_PASSWORD_SECRET_URI'],
    ] as const) {
      expect(appModule.get(param), param).toBe(param);
      expect(valueOf(settings, setting), setting).toBe(param);
    }
    const parametersFile = JSON.parse(readFileSync(join(infra, 'main.parameters.json'), 'utf8')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const drillParams = [...mainParams.keys()].filter((name) => name.startsWith('drill') && name !== 'drillsSchedule');
    expect(drillParams.sort()).toEqual([
      'drillClientAddresses',
      'drillDbAuth',
      'drillDbPasswordSecretUri',
      'drillDbUser',
      'drillKeyVaultName',
      'drillKeyVaultResourceGroup',
      'drillSubnetId',
    ]);
    for (const name of drillParams)
      expect(parametersFile.parameters[name]?.value, name).toMatch(/^\$\{DRILL_[A-Z_]+=[a-z-]*\}$/);
  });
});

describe('README "Deploy to Azure"', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = /<!-- deploy:start -->([\s\S]*)<!-- deploy:end -->/.exec(readme)?.[1] ?? '';

  it('names every resource type the templates create', () => {
    const types = new Set(files.flatMap((f) => f.resources.filter((r) => !r.existing).map((r) => r.type)));
    expect(types.size).toBeGreaterThanOrEqual(20);
    const unnamed = [...types].filter((type) => !section.toLowerCase().includes(`\`${type.toLowerCase()}\``));
    expect(unnamed).toEqual([]);
  });

  it('covers prerequisites, azd up, widening, enforce, rollback and cost', () => {
    for (const heading of [
      'Prerequisites',
      '`azd up`',
      'What gets created',
      'Govern more subscriptions',
      'dry-run to enforce',
      'Roll back',
      'Cost',
    ]) {
      expect(section, heading).toContain(heading);
    }
    expect(section).toContain('azd env set SWEEP_MODE enforce');
    expect(section).toMatch(/as of \d{4}-\d{2}/);
  });
});

/** `name: value` pairs of the params of the module declared from `path` in `f`. */
function moduleParams(f: BicepFile, path: string): Map<string, string> {
  const declaration = new RegExp(
    `^module \\w+ '${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' = (\\[\\s*for [^:]+:\\s*)?`,
    'm',
  ).exec(f.code);
  if (!declaration) throw new Error(`${relative(root, f.path)} declares no module ${path}`);
  const body = balanced(f.code, f.code.indexOf('{', declaration.index));
  const params = required(valueOf(body, 'params'), `params of ${path}`);
  return new Map(keysOf(params).map((key) => [key, required(valueOf(params, key), key)]));
}

/** Role definition ids written in infra/rbac.bicep's `roles` table, lower case. */
function namedRoleIds(): Set<string> {
  const table = required(/var roles = (\{[\s\S]*?\n\})/.exec(file('rbac.bicep').code)?.[1], 'var roles in rbac.bicep');
  return new Set(keysOf(table).map((name) => unquote(required(valueOf(table, name), name)).toLowerCase()));
}
