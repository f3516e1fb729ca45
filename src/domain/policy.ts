import { z } from 'zod';
import { DRILL_CHECK_TYPES, drillPlanCrossChecks, drillPlanSchema } from './drills.js';
import { ENGINES, type Engine } from './engines.js';
import { parseCidr } from './network.js';

/** Thrown when a policy document is invalid; `problems` lists every problem, each naming the rule and the field. */
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    readonly problems: readonly string[],
    source = 'policy',
  ) {
    super(
      `Invalid ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

/**
 * A rule's mode, the same word as SWEEP_MODE and `sweep --dry-run|--enforce`: `dry-run` reports what the rule would do
 * (as skips in the plan) and changes nothing; `enforce` does it. `audit`, the name of earlier policies, is read as `dry-run`.
 */
const mode = z.preprocess((value) => (value === 'audit' ? 'dry-run' : value), z.enum(['dry-run', 'enforce']));

/**
 * Any rule may be scoped to engines: `"engines": ["mysql-flexible"]` applies it to MySQL clones only; without
 * `engines` it applies to every engine. Two rules of one type are allowed when their engines do not overlap.
 */
const engines = z
  .array(z.enum(ENGINES), { error: `must be an array of engines (${ENGINES.join(', ')})` })
  .min(1, 'must name at least one engine; leave engines out to apply the rule to every engine')
  .optional();

const TAG_KEY_FORBIDDEN = /[<>%&\\?/]/;
const tagKey = z
  .string()
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters (Azure limit)')
  .refine((k) => !TAG_KEY_FORBIDDEN.test(k), { message: 'must not contain < > % & \\ ? / (Azure limit)' });

const days = (min: number) =>
  z
    .number()
    .int(`must be a whole number of days`)
    .min(min, `must be at least ${min}`)
    .max(3650, 'must be at most 3650');

const cidr = z.string().refine((s) => parseCidr(s) !== undefined, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a CIDR range`,
});

const subnetId = z
  .string()
  .refine(
    (s) =>
      /^\/?subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.network\/virtualnetworks\/[^/]+(\/subnets\/[^/]+)?\/?$/i.test(
        s.trim(),
      ),
    {
      error: (issue) => `${JSON.stringify(issue.input)} is not a virtual network or subnet resource id`,
    },
  );

const mailDomain = z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a mail domain such as contoso.com');

const tagKeysSchema = z.strictObject({
  owner: tagKey.default('Owner'),
  incident: tagKey.default('Incident'),
  purpose: tagKey.default('Purpose'),
  expiresOn: tagKey.default('ExpiresOn'),
  restoredFrom: tagKey.default('RestoredFrom'),
  restorePointUtc: tagKey.default('RestorePointUtc'),
  restoredBy: tagKey.default('RestoredBy'),
  legalHold: tagKey.default('LegalHold'),
});

const requiredTagsRule = z.strictObject({
  type: z.literal('required-tags'),
  mode,
  engines,
  /** What every clone must carry: an owner, an incident or a purpose, an expiry. */
  require: z
    .array(z.enum(['owner', 'incident-or-purpose', 'expires-on']))
    .default(['owner', 'incident-or-purpose', 'expires-on']),
});

const stampLineageRule = z.strictObject({
  type: z.literal('stamp-lineage'),
  mode,
  engines,
});

const expiryRule = z
  .strictObject({
    type: z.literal('expiry'),
    mode,
    engines,
    defaultLifetimeDays: days(1).default(7),
    maxLifetimeDays: days(1).default(30),
  })
  .refine((r) => r.maxLifetimeDays >= r.defaultLifetimeDays, {
    message: 'must not be shorter than defaultLifetimeDays',
    path: ['maxLifetimeDays'],
  });

const replaceInheritedOwnershipRule = z.strictObject({
  type: z.literal('replace-inherited-ownership'),
  mode,
  engines,
  /** Inherited values move to `<prefix><Key>` (SourceOwner) before the clone's own values are written. */
  sourceKeyPrefix: tagKey.default('Source'),
  /** Other inherited tags to replace, with the value a clone gets (e.g. { "Environment": "restore-clone" }). */
  alsoReplace: z.record(tagKey, z.string().max(256, 'must be at most 256 characters (Azure limit)')).default({}),
});

const networkFirewallRule = z.strictObject({
  type: z.literal('network-firewall'),
  mode,
  engines,
  /** `disabled`: public access must be off; `allow-listed`: public access may stay on with rules inside allowedRanges only. */
  publicAccess: z.enum(['disabled', 'allow-listed']).default('allow-listed'),
  allowedRanges: z.array(cidr).default([]),
  /** Stop the clone when a violation cannot be remediated. */
  quarantine: z.boolean().default(false),
});

const networkSubnetRule = z.strictObject({
  type: z.literal('network-subnet'),
  mode,
  engines,
  /** Subnet ids, or VNet ids meaning any of their subnets. */
  allowedSubnets: z.array(subnetId).default([]),
  quarantine: z.boolean().default(false),
});

const noticesRule = z
  .strictObject({
    type: z.literal('notices'),
    mode,
    engines,
    reminderLeadDays: z.array(days(1)).default([3, 1]),
    /** Deletion no earlier than this many days after the final notice. */
    graceDays: days(1).default(2),
  })
  .refine((r) => new Set(r.reminderLeadDays).size === r.reminderLeadDays.length, {
    message: 'must not repeat a lead time',
    path: ['reminderLeadDays'],
  });

const sweepRule = z.strictObject({
  type: z.literal('sweep'),
  /** `dry-run`: the plan shows what would be deleted as skips; `enforce`: it proposes deletions (the job still needs SWEEP_MODE=enforce). */
  mode,
  engines,
});

const ruleSchema = z.discriminatedUnion('type', [
  requiredTagsRule,
  stampLineageRule,
  expiryRule,
  replaceInheritedOwnershipRule,
  networkFirewallRule,
  networkSubnetRule,
  noticesRule,
  sweepRule,
]);

const restoreSchema = z.strictObject({
  /** Resource groups the operator CLI may restore into; empty means the source's own resource group only. */
  allowedTargetResourceGroups: z.array(z.string().min(1)).default([]),
  /** Mail domains an owner given at restore may have; empty means the ALLOWED_RECIPIENT_DOMAINS setting. */
  allowedOwnerDomains: z.array(mailDomain).default([]),
});

const DEFAULT_TAG_KEYS = tagKeysSchema.parse({});

export const RULE_TYPES = [
  'required-tags',
  'stamp-lineage',
  'expiry',
  'replace-inherited-ownership',
  'network-firewall',
  'network-subnet',
  'notices',
  'sweep',
] as const;

/** The built-in rules. `network-subnet` is left out: only a site knows its allowed subnets (see examples/policy.json). */
export const DEFAULT_RULES = [
  { type: 'required-tags', mode: 'enforce', require: ['owner', 'incident-or-purpose', 'expires-on'] },
  { type: 'stamp-lineage', mode: 'enforce' },
  { type: 'expiry', mode: 'enforce', defaultLifetimeDays: 7, maxLifetimeDays: 30 },
  { type: 'replace-inherited-ownership', mode: 'enforce', sourceKeyPrefix: 'Source', alsoReplace: {} },
  { type: 'network-firewall', mode: 'enforce', publicAccess: 'allow-listed', allowedRanges: [], quarantine: false },
  { type: 'notices', mode: 'enforce', reminderLeadDays: [3, 1], graceDays: 2 },
  { type: 'sweep', mode: 'enforce' },
] as const satisfies readonly z.input<typeof ruleSchema>[];

const policySchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  version: z.literal(1).default(1),
  tagKeys: tagKeysSchema.default(() => ({ ...DEFAULT_TAG_KEYS })),
  /** The complete rule list: a rule type left out is switched off. Omit `rules` for the built-in set. */
  rules: z.array(ruleSchema).default(() => DEFAULT_RULES.map((r) => ruleSchema.parse(r))),
  restore: restoreSchema.default(() => restoreSchema.parse({})),
  /** Restore drills: scheduled, measured, validated restores of production servers (see src/domain/drills.ts). */
  drills: z.array(drillPlanSchema).default([]),
});

/**
 * The policy the warden applies to clones, with defaults filled in.
 * @example
 *   const policy = parsePolicy({ rules: [{ type: 'network-firewall', mode: 'enforce', allowedRanges: ['10.0.0.0/8'] }] });
 *   ruleOf(policy, 'network-firewall')?.allowedRanges // ['10.0.0.0/8']
 */
export type Policy = Omit<z.output<typeof policySchema>, '$schema' | 'description'>;
export type Rule = z.output<typeof ruleSchema>;
export type RuleType = Rule['type'];
export type RuleOf<T extends RuleType> = Extract<Rule, { type: T }>;
export type TagKeys = Policy['tagKeys'];
export type Mode = z.output<typeof mode>;

/** Whether a rule applies to an engine (a rule without `engines` applies to all). */
export function appliesTo(rule: Rule, engine: Engine): boolean {
  return rule.engines === undefined || rule.engines.includes(engine);
}

/** The rules that apply to one engine's servers, in policy order. */
export function rulesFor(policy: Policy, engine: Engine): Rule[] {
  return policy.rules.filter((rule) => appliesTo(rule, engine));
}

/**
 * The rule of a type that applies to the engine (without an engine: the first of the type), or undefined when the
 * policy switches it off there.
 */
export function ruleOf<T extends RuleType>(policy: Policy, type: T, engine?: Engine): RuleOf<T> | undefined {
  return policy.rules.find(
    (rule): rule is RuleOf<T> => rule.type === type && (engine === undefined || appliesTo(rule, engine)),
  );
}

export type PolicyValidation =
  { readonly ok: true; readonly policy: Policy } | { readonly ok: false; readonly problems: string[] };

/** Validates a policy document (parsed JSON); every problem names the rule and the field. */
export function validatePolicy(document: unknown): PolicyValidation {
  const result = policySchema.safeParse(document);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((issue) => describeIssue(issue, document))),
    ...crossChecks(document),
  ];
  if (result.success && problems.length === 0) {
    const { $schema: _s, description: _d, ...policy } = result.data;
    return { ok: true, policy };
  }
  return { ok: false, problems };
}

/** Checks across fields, run on the raw document so they are reported alongside every field problem. */
function crossChecks(document: unknown): string[] {
  if (!isObject(document)) return [];
  const problems: string[] = [];
  if (Array.isArray(document.rules)) {
    // One rule of a type per engine: a second rule of the type must name engines the first does not cover.
    const seen = new Map<string, number>();
    document.rules.forEach((rule: unknown, index) => {
      const type = isObject(rule) ? rule.type : undefined;
      if (typeof type !== 'string') return;
      const scoped =
        isObject(rule) && Array.isArray(rule.engines)
          ? rule.engines.filter((e): e is Engine => (ENGINES as readonly unknown[]).includes(e))
          : [...ENGINES];
      const clash = scoped
        .map((engine) => ({ engine, first: seen.get(`${type}|${engine}`) }))
        .find((c) => c.first !== undefined);
      if (clash) {
        problems.push(
          `rules[${index}] (${type}).type: duplicate rule type for engine ${clash.engine}; already given at rules[${clash.first}] (scope rules to engines with "engines")`,
        );
        return;
      }
      for (const engine of scoped) seen.set(`${type}|${engine}`, index);
    });
  }
  problems.push(...drillPlanCrossChecks(document.drills));
  if (isObject(document.tagKeys)) {
    const keys = Object.entries({ ...DEFAULT_TAG_KEYS, ...document.tagKeys }).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    );
    keys.forEach(([name, key], index) => {
      const twin = keys.slice(0, index).find(([, other]) => other.toLowerCase() === key.toLowerCase());
      if (twin)
        problems.push(`tagKeys.${name}: "${key}" is also tagKeys.${twin[0]}; tag keys are compared case-insensitively`);
    });
  }
  return problems;
}

/** Validates a policy document and returns it with defaults filled in; throws PolicyError listing every problem. */
export function parsePolicy(document: unknown, source = 'policy'): Policy {
  const result = validatePolicy(document);
  if (!result.ok) throw new PolicyError(result.problems, source);
  return result.policy;
}

/** Parses policy JSON text; a syntax error is a PolicyError too. */
export function parsePolicyText(text: string, source = 'policy'): Policy {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PolicyError([`not valid JSON: ${(error as Error).message}`], source);
  }
  return parsePolicy(document, source);
}

/** The built-in policy (every rule with its default settings). */
export const DEFAULT_POLICY: Policy = parsePolicy({});

function describeIssue(issue: z.core.$ZodIssue, document: unknown): string {
  const path = issue.path;
  let where = '';
  let node: unknown = document;
  for (const [i, part] of path.entries()) {
    if (typeof part === 'number') where += `[${part}]`;
    else where += where === '' ? String(part) : `.${String(part)}`;
    node =
      isObject(node) || Array.isArray(node)
        ? (node as Record<string | number, unknown>)[part as string | number]
        : undefined;
    if (i === 1 && path[0] === 'rules' && isObject(node) && typeof node.type === 'string') where += ` (${node.type})`;
    if (i === 1 && path[0] === 'drills' && isObject(node) && typeof node.name === 'string') where += ` (${node.name})`;
  }
  return `${where || '(policy)'}: ${issueMessage(issue, node, path[0] === 'drills')}`;
}

function issueMessage(issue: z.core.$ZodIssue, value: unknown, inDrills = false): string {
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    const types = inDrills ? DRILL_CHECK_TYPES : RULE_TYPES;
    const expected = `expected one of ${types.map((t) => `"${t}"`).join(', ')}`;
    return value === undefined
      ? `is required; ${expected}`
      : `unknown ${inDrills ? 'check' : 'rule'} type ${JSON.stringify(value)}; ${expected}`;
  }
  if (issue.code === 'invalid_value') {
    const options = issue.values.map((v) => JSON.stringify(v)).join(', ');
    return value === undefined ? `is required; one of ${options}` : `${JSON.stringify(value)} is not one of ${options}`;
  }
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type')
    return issue.message.replace(/^Invalid input: expected (\w+), received undefined$/, 'is required ($1)');
  return issue.message;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
