import { isIPv4 } from 'node:net';
import type { Reply, RequestContext } from '../http.js';
import { HttpError, isRecord, ok } from '../http.js';
import type { FaultDecision } from '../faults.js';
import type { Route } from '../route.js';
import type { ArmFirewallRule } from '../types.js';
import type { ArmServices } from './common.js';
import { AZURE_DURATIONS_MS } from '../durations.js';
import { acceptOperation, assertNotLocked, pageOf, resourceNotFound } from './common.js';
import { POSTGRES_PROVIDER, type FlexibleProvider } from './providers.js';
import { assertNotBusy, findServer } from './servers.js';
import { isVnetServer } from './serverShape.js';

const RULE_NAME = /^[-\w.]{1,128}$/;

const ipToNumber = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);

function getRule(
  services: ArmServices,
  provider: FlexibleProvider,
  [sub, rg, server, rule]: string[],
): ArmFirewallRule {
  const record = findServer(services, sub!, rg!, server!, provider);
  const found = record.rules.get(rule!.toLowerCase());
  if (!found) throw resourceNotFound(`${provider.serverType}/${server}/firewallRules`, rule!, rg!);
  return found;
}

function putRule(
  services: ArmServices,
  provider: FlexibleProvider,
  ctx: RequestContext,
  fault: FaultDecision,
  [sub, rg, server, name]: string[],
): Reply {
  const record = findServer(services, sub!, rg!, server!, provider);
  if (!RULE_NAME.test(name!))
    throw new HttpError(
      400,
      'InvalidParameterValue',
      `Firewall rule name '${name}' of server '${server}' is not valid.`,
    );
  if (isVnetServer(record.server)) {
    throw new HttpError(
      400,
      'FirewallRuleNotSupportedForVnetServer',
      `Server '${server}' is integrated with a virtual network; firewall rules do not apply to it.`,
    );
  }
  const properties = isRecord(ctx.body) && isRecord(ctx.body.properties) ? ctx.body.properties : {};
  const start = properties.startIpAddress;
  const end = properties.endIpAddress;
  if (
    typeof start !== 'string' ||
    typeof end !== 'string' ||
    !isIPv4(start) ||
    !isIPv4(end) ||
    ipToNumber(start) > ipToNumber(end)
  ) {
    throw new HttpError(
      400,
      'InvalidParameterValue',
      `Firewall rule '${name}' of server '${server}' needs IPv4 properties.startIpAddress <= properties.endIpAddress; got ${String(start)}-${String(end)}.`,
    );
  }
  const id = `${record.server.id}/firewallRules/${name}`;
  assertNotBusy(record);
  assertNotLocked(services.store, id, 'write');
  const request = services.audit.request(ctx, true);
  return acceptOperation(services, ctx, fault, {
    request,
    resourceId: id,
    provider: provider.namespace,
    location: record.server.location,
    operationName: `${provider.ruleType}/write`,
    kind: 'write',
    managementOperation: 'UpsertServerFirewallRulesManagementOperation',
    durationMs: AZURE_DURATIONS_MS.pgFirewallRule,
    apply: () => {
      record.rules.set(name!.toLowerCase(), {
        id,
        name: name!,
        type: provider.ruleType,
        properties: { startIpAddress: start, endIpAddress: end },
      });
    },
    result: () => ruleView(record.rules.get(name!.toLowerCase())!),
  });
}

function deleteRule(
  services: ArmServices,
  provider: FlexibleProvider,
  ctx: RequestContext,
  fault: FaultDecision,
  [sub, rg, server, name]: string[],
): Reply {
  const record = findServer(services, sub!, rg!, server!, provider);
  const rule = record.rules.get(name!.toLowerCase());
  if (!rule) return { status: 204 };
  assertNotBusy(record);
  assertNotLocked(services.store, rule.id, 'delete');
  const request = services.audit.request(ctx, false);
  return acceptOperation(services, ctx, fault, {
    request,
    resourceId: rule.id,
    provider: provider.namespace,
    location: record.server.location,
    operationName: `${provider.ruleType}/delete`,
    kind: 'delete',
    managementOperation: 'DropServerFirewallRulesManagementOperation',
    durationMs: AZURE_DURATIONS_MS.pgFirewallRule,
    apply: () => {
      record.rules.delete(name!.toLowerCase());
    },
  });
}

/** A rule as ARM answers it (the samples show no systemData on rules). */
const ruleView = (rule: ArmFirewallRule) => ({
  id: rule.id,
  name: rule.name,
  type: rule.type,
  properties: rule.properties,
});

export function firewallRuleRoutes(services: ArmServices, provider: FlexibleProvider = POSTGRES_PROVIDER): Route[] {
  const arm = { kind: 'arm' as const, apiVersions: provider.apiVersions };
  const RULES = `^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/${provider.pathNamespace}/flexibleservers/([^/]+)/firewallrules`;
  return [
    {
      ...arm,
      operation: 'FirewallRules_ListByServer',
      method: 'GET',
      pattern: new RegExp(`${RULES}$`, 'i'),
      handle: (ctx, [sub, rg, server]) => {
        const rules = [...findServer(services, sub!, rg!, server!, provider).rules.values()].map(ruleView);
        return ok(pageOf(rules, ctx, services.pageSize));
      },
    },
    {
      ...arm,
      operation: 'FirewallRules_Get',
      method: 'GET',
      pattern: new RegExp(`${RULES}/([^/]+)$`, 'i'),
      handle: (_ctx, params) => ok(ruleView(getRule(services, provider, params))),
    },
    {
      ...arm,
      operation: 'FirewallRules_CreateOrUpdate',
      method: 'PUT',
      pattern: new RegExp(`${RULES}/([^/]+)$`, 'i'),
      handle: (ctx, params, fault) => putRule(services, provider, ctx, fault, params),
    },
    {
      ...arm,
      operation: 'FirewallRules_Delete',
      method: 'DELETE',
      pattern: new RegExp(`${RULES}/([^/]+)$`, 'i'),
      handle: (ctx, params, fault) => deleteRule(services, provider, ctx, fault, params),
    },
  ];
}
