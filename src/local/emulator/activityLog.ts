import { randomUUID } from 'node:crypto';
import type { Caller } from './caller.js';
import { HttpError } from './http.js';
import { resourceFacts, ticksOf } from './resourceIds.js';
import type { ActivityLogEntry } from './types.js';

export type ActivityStatus = 'Started' | 'Accepted' | 'Succeeded' | 'Failed';

export interface ActivityInput {
  readonly resourceId: string;
  readonly operationName: string;
  readonly status: ActivityStatus;
  /** HTTP status of the request, for `subStatus` and `properties.statusCode`. */
  readonly httpStatus: number;
  readonly caller: Caller;
  readonly correlationId: string;
  readonly operationId: string;
  readonly at: Date;
  readonly httpRequest: { clientRequestId: string; clientIpAddress: string; method: string };
  /** The request body as a JSON string (PUT/PATCH), as ARM puts it in `properties.requestbody`. */
  readonly requestBody?: string;
  readonly error?: { code: string; message: string };
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'NoContent',
  400: 'BadRequest',
  409: 'Conflict',
  500: 'InternalServerError',
};
const localized = (value: string) => ({ value, localizedValue: value });

/** One Activity Log record in the shape of `Microsoft.Insights/eventtypes/management/values` (Administrative). */
export function activityEntry(input: ActivityInput): ActivityLogEntry {
  const facts = resourceFacts(input.resourceId);
  const eventDataId = randomUUID();
  const statusText = STATUS_TEXT[input.httpStatus] ?? String(input.httpStatus);
  const ended = input.status !== 'Started';
  return {
    authorization: { action: input.operationName, role: 'Owner', scope: input.resourceId },
    caller: input.caller.caller,
    channels: 'Operation',
    claims: input.caller.claims,
    correlationId: input.correlationId,
    description: '',
    eventDataId,
    eventName: ended
      ? { value: 'EndRequest', localizedValue: 'End request' }
      : { value: 'BeginRequest', localizedValue: 'Begin request' },
    category: localized('Administrative'),
    eventTimestamp: input.at.toISOString(),
    httpRequest: input.httpRequest,
    id: `${input.resourceId}/events/${eventDataId}/ticks/${ticksOf(input.at)}`,
    level: input.status === 'Failed' ? 'Error' : 'Informational',
    operationId: input.operationId,
    operationName: localized(input.operationName),
    resourceGroupName: facts.resourceGroup ?? '',
    resourceProviderName: localized(facts.provider ?? 'Microsoft.Resources'),
    resourceType: localized(facts.resourceType ?? 'Microsoft.Resources/subscriptions'),
    resourceId: input.resourceId,
    status: localized(input.status),
    subStatus: ended
      ? { value: statusText, localizedValue: `${statusText} (HTTP Status Code: ${input.httpStatus})` }
      : localized(''),
    submissionTimestamp: new Date(input.at.getTime() + 12_000).toISOString(),
    subscriptionId: facts.subscriptionId,
    tenantId: input.caller.identity.tenantId,
    properties: {
      statusCode: statusText,
      serviceRequestId: randomUUID(),
      eventCategory: 'Administrative',
      entity: input.resourceId,
      message: input.operationName,
      hierarchy: '',
      responseBody: '',
      requestbody: input.requestBody ?? '',
      ...(input.error ? { statusMessage: JSON.stringify({ error: input.error }) } : {}),
    },
    relatedEvents: [],
  };
}

/** The `$filter` forms the Activity Log API accepts; anything else is a 400. */
export interface ActivityFilter {
  readonly from: number;
  readonly to: number;
  readonly field?: 'resourcegroupname' | 'resourceuri' | 'resourceprovider' | 'correlationid';
  readonly value?: string;
}

const FILTER =
  /^\s*eventTimestamp\s+ge\s+'([^']+)'(?:\s+and\s+eventTimestamp\s+le\s+'([^']+)')?(?:\s+and\s+eventChannels\s+eq\s+'[^']*')?(?:\s+and\s+(resourceGroupName|resourceUri|resourceProvider|correlationId)\s+eq\s+'([^']*)')?\s*$/i;

export function parseActivityFilter(filter: string | null, now: Date): ActivityFilter {
  const usage =
    "The $filter is not supported. Use eventTimestamp ge '<start>' and eventTimestamp le '<end>', optionally followed by " +
    "and resourceGroupName|resourceUri|resourceProvider|correlationId eq '<value>'.";
  if (!filter) throw new HttpError(400, 'BadRequest', `The $filter parameter is required. ${usage}`);
  const match = FILTER.exec(filter);
  if (!match) throw new HttpError(400, 'BadRequest', `${usage} Got: ${filter}`);
  const from = Date.parse(match[1]!);
  const to = match[2] ? Date.parse(match[2]) : now.getTime();
  if (Number.isNaN(from) || Number.isNaN(to))
    throw new HttpError(400, 'BadRequest', `The eventTimestamp values of the $filter are not valid dates: ${filter}`);
  if (from > to)
    throw new HttpError(400, 'BadRequest', `The start time of the $filter is after its end time: ${filter}`);
  return {
    from,
    to,
    ...(match[3] ? { field: match[3].toLowerCase() as ActivityFilter['field'], value: match[4] ?? '' } : {}),
  };
}

function fieldOf(entry: ActivityLogEntry, field: NonNullable<ActivityFilter['field']>): string {
  const value = (v: unknown): string =>
    typeof v === 'string'
      ? v
      : typeof (v as { value?: unknown })?.value === 'string'
        ? (v as { value: string }).value
        : '';
  switch (field) {
    case 'resourcegroupname':
      return value(entry.resourceGroupName);
    case 'resourceuri':
      return value(entry.resourceId);
    case 'resourceprovider':
      return value(entry.resourceProviderName);
    case 'correlationid':
      return value(entry.correlationId);
  }
}

/** Activity Log records by subscription, newest first on read. */
export class ActivityLog {
  private readonly bySubscription = new Map<string, ActivityLogEntry[]>();

  add(entry: ActivityLogEntry): void {
    const key = entry.subscriptionId.toLowerCase();
    let list = this.bySubscription.get(key);
    if (!list) this.bySubscription.set(key, (list = []));
    list.push(entry);
  }

  query(subscriptionId: string, filter: ActivityFilter): ActivityLogEntry[] {
    const value = filter.value?.toLowerCase();
    // Newest first; entries with equal timestamps (a pinned clock) keep the later-recorded one first.
    return [...(this.bySubscription.get(subscriptionId.toLowerCase()) ?? [])]
      .reverse()
      .filter((e) => {
        const at = Date.parse(e.eventTimestamp);
        if (at < filter.from || at > filter.to) return false;
        return filter.field === undefined || fieldOf(e, filter.field).toLowerCase() === value;
      })
      .sort((a, b) => Date.parse(b.eventTimestamp) - Date.parse(a.eventTimestamp));
  }

  all(): ActivityLogEntry[] {
    return [...this.bySubscription.values()].flat();
  }

  clear(): void {
    this.bySubscription.clear();
  }
}
