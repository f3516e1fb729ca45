import type { Engine } from './engines.js';
import type { RuleType } from './policy.js';

export type { Engine } from './engines.js';

/**
 * The warden's own view of the things it governs. Adapters translate ARM and Table shapes into these;
 * every decision in src/domain is made on them.
 */

export interface FirewallRule {
  readonly name: string;
  readonly startIpAddress: string;
  readonly endIpAddress: string;
}

/**
 * The network of a parent resource through which a governed resource is reachable (a SQL database's logical server:
 * its public access and firewall rules), shared with production: reported in the plan and the notices, never changed.
 * @example { via: 'logical server', parentId: '/subscriptions/…/servers/sql-shop', publicNetworkAccess: 'Enabled', firewallRules: [{ name: 'office', … }] }
 */
export interface Exposure {
  /** The parent's kind, e.g. "logical server". */
  readonly via: string;
  readonly parentId: string;
  readonly publicNetworkAccess?: 'Enabled' | 'Disabled';
  /** The parent's firewall rules; absent when they were not read. */
  readonly firewallRules?: readonly FirewallRule[];
}

export type LockLevel = 'CanNotDelete' | 'ReadOnly';

export interface ManagementLock {
  readonly name: string;
  readonly level: LockLevel;
  readonly notes?: string;
}

/**
 * A governed resource as read from ARM (live), normalised: a PostgreSQL or MySQL flexible server, or a SQL database (whose
 * network fields, `publicNetworkAccess` and `firewallRules`, are its logical server's: the copy's exposure, never changed).
 */
export interface Server {
  /** ARM id as ARM returned it. */
  readonly id: string;
  /** Lower-case id: the identity used everywhere else (inventory keys, comparisons). */
  readonly key: string;
  /** Which engine's resource this is (from the id's provider and type). */
  readonly engine: Engine;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly skuName?: string;
  readonly skuTier?: string;
  readonly version?: string;
  readonly administratorLogin?: string;
  readonly storageSizeGb?: number;
  /** ARM `properties.state`: Ready, Provisioning, Stopped, Starting, Stopping, Updating, Disabled, Dropping. */
  readonly state?: string;
  /** `systemData.createdAt` (ISO). */
  readonly createdAt?: string;
  readonly publicNetworkAccess?: 'Enabled' | 'Disabled';
  /** Set for VNet-integrated servers. */
  readonly delegatedSubnetId?: string;
  /** Set for servers that ARM reports as read replicas or restores with a source (rarely filled for restores). */
  readonly sourceServerId?: string;
  /** ARM `properties.backup.earliestRestoreDate` (ISO): the start of the point-in-time restore window. */
  readonly earliestRestoreDate?: string;
  /** Firewall rules; undefined when not read (they are read only for servers that may be governed). */
  readonly firewallRules?: readonly FirewallRule[];
  /** Management locks at the server or above; undefined when not read. */
  readonly locks?: readonly ManagementLock[];
}

export type Classification = 'clone' | 'probable-clone' | 'not-a-clone';

/**
 * How well the warden knows a server is a restored copy. Only `proven` servers are ever modified or deleted.
 * - `proven`: the Activity Log's record of the create carries the restore, the warden made the restore itself, or an
 *   operator confirmed it;
 * - `claimed`: lineage tags without any of that (anyone who can write tags can write them);
 * - `suspected`: resemblance to an earlier server (same login, version, region, storage and tags);
 * - `none`: not a clone (or dismissed by an operator).
 */
export type ProofLevel = 'proven' | 'claimed' | 'suspected' | 'none';

/** What proved a `proven` server. */
export type ProofBasis = 'activity-log' | 'governed-restore' | 'operator';

/** The proof recorded with every classification. */
export interface Proof {
  readonly level: ProofLevel;
  readonly basis?: ProofBasis;
  /** One line per fact behind the level. */
  readonly evidence: readonly string[];
  /** Why a claim proves nothing: it contradicts itself (source is the server itself, restore point after creation, ...). */
  readonly contradictions: readonly string[];
  /** When the warden first recorded the server proven (ISO): a late-discovered clone's notice schedule starts there. */
  readonly provenAt?: string;
}

/**
 * An operator's word on one server, bound to that server's creation time (a server recreated under the same name is
 * another server). `governed-restore`: written by `pitr-warden restore`; `confirmed-clone` / `dismissed`: by
 * `pitr-warden confirm`; `promoted`: by `pitr-warden promote`.
 */
export interface OperatorDecision {
  readonly kind: 'governed-restore' | 'confirmed-clone' | 'dismissed' | 'promoted';
  readonly by: string;
  readonly at: string;
  readonly reason: string;
  /** `createdAt` of the server the decision was made on; absent for a governed restore made before ARM had it. */
  readonly serverCreatedAt?: string;
  readonly sourceServerId?: string;
  readonly restorePointUtc?: string;
}

/** Who did something, from event claims. Service principals have no mailbox. */
export interface Actor {
  readonly type: 'user' | 'service-principal' | 'unknown';
  readonly upn?: string;
  readonly name?: string;
  readonly objectId?: string;
  readonly appId?: string;
}

export type OwnerSource = 'tag-at-restore' | 'claims' | 'fallback';

export type NoticeStage = 'new-clone' | 'reminder' | 'final-notice' | 'deleted' | 'noncompliant';

export interface NoticeSent {
  readonly stage: NoticeStage;
  /** For reminders: the lead time in days the reminder was for (so each lead time is sent once). */
  readonly leadDays?: number;
  readonly sentAt: string;
  readonly to: string;
}

/** `deleting`: the sweep recorded its intent to delete and may have called ARM; the next sweep finishes it. */
export type CloneState =
  'detected' | 'governed' | 'quarantined' | 'held' | 'deleting' | 'deleted' | 'listed' | 'promoted';

/** What a violation breaks: a policy rule, or Azure's limit of tags on a resource. */
export type ViolationRule = RuleType | 'tag-limit';

/** What a violation is about: a tag (by key), a firewall rule (by name), the server's public access, its subnet, its tag count. */
export interface ViolationSubject {
  readonly kind: 'tag' | 'firewall-rule' | 'public-network-access' | 'subnet' | 'tag-count';
  readonly name?: string;
}

/**
 * One broken rule on one server: the rule, what it is about, and the prose owners read. Rows written before
 * `subject` existed read without it.
 * @example { rule: 'network-firewall', subject: { kind: 'firewall-rule', name: 'allow-all' }, detail: 'firewall rule "allow-all" opens 0.0.0.0-255.255.255.255' }
 */
export interface Violation {
  readonly rule: ViolationRule;
  readonly subject?: ViolationSubject;
  readonly detail: string;
}

/** Why the plan deletes no server now: the safety belts of lifecycle's deletionCheck, in the order it checks them. */
export type DeletionBlock =
  | 'expiry-unparseable'
  | 'not-a-clone'
  | 'unproven'
  | 'legal-hold'
  | 'locks-not-read'
  | 'locked'
  | 'not-announced'
  | 'expiry-changing'
  | 'final-notice-not-sent'
  | 'grace-period';

/** Every reason the plan skips an action: shared by plan, jobs and CLI, so a typo does not compile. */
export type SkipReason =
  | DeletionBlock
  | 'dry-run'
  | 'network-report-only'
  | 'firewall-rules-not-read'
  | 'server-stopped'
  | 'already-stopped'
  | 'tag-limit'
  | 'promoted'
  | 'not-found'
  | 'deleted';

export interface Lineage {
  readonly sourceServerId?: string;
  readonly restorePointUtc?: string;
  readonly restoredBy?: string;
  readonly correlationId?: string;
}

/** One inventory row per server the warden has seen: what it knows and has done. */
export interface InventoryRecord {
  readonly key: string;
  readonly id: string;
  /** Rows written before engines existed have none in the table and read as PostgreSQL. */
  readonly engine: Engine;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly classification: Classification;
  /** Why the classification was made, one line per fact. */
  readonly classificationEvidence: readonly string[];
  /** Absent on rows written before the warden recorded proof (see `proofOfRecord`: they are migrated on read). */
  readonly proof?: Proof;
  /** Operator decisions on this server (confirm, dismiss, promote, governed restore), oldest first. */
  readonly decisions?: readonly OperatorDecision[];
  readonly lineage: Lineage;
  readonly owner?: string;
  readonly ownerSource?: OwnerSource;
  /** Parsed `ExpiresOn` (ISO), or undefined when absent or unparseable. */
  readonly expiresOn?: string;
  /** The raw `ExpiresOn` tag value as last seen. */
  readonly expiresOnTag?: string;
  readonly violations: readonly Violation[];
  readonly compliant: boolean;
  readonly skuName?: string;
  readonly skuTier?: string;
  readonly storageSizeGb?: number;
  readonly createdAt?: string;
  readonly noticesSent: readonly NoticeSent[];
  readonly state: CloneState;
  readonly serverState?: string;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * How the clone is reachable through a parent shared with production (a SQL database's logical server), as last read:
   * what notices report; the firewall rules are those of the last read that listed them. Absent for flexible servers.
   */
  readonly exposure?: Exposure;
  /**
   * The locks on the server when it was last read with them (`lockSignature`: `level:name`, comma-separated, empty for
   * none); undefined when they were never read. Reconcile compares it with the subscription's lock listing.
   */
  readonly lockSignature?: string;
  /**
   * When the warden last read the server with its firewall rules and locks and finished acting on it: Activity Log
   * entries up to this time (its own remediations included) are already reflected in the row.
   */
  readonly checkedAt?: string;
  readonly firstSeenAt: string;
  /** Time of the newest event or read applied: older events never overwrite newer state. */
  readonly observedAt: string;
  readonly updatedAt: string;
  readonly deletedAt?: string;
  readonly deletedBy?: string;
  readonly deleteReason?: string;
}

/** One append-only evidence entry: a decision or an action, with who, what, when, why, before and after. */
export interface EvidenceEntry {
  readonly serverKey: string;
  /** Unique and deterministic for the fact recorded, so a replay writes nothing new. */
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly kind: string;
  readonly summary: string;
  readonly reason?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly details?: unknown;
}

/**
 * A restore seen in the Activity Log (or another audit source), normalised: the facts that prove lineage.
 * @example { key: 'eventDataId', serverId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-restore',
 *   createMode: 'PointInTimeRestore', sourceServerId: '.../flexibleServers/pg', pointInTimeUtc: '2026-11-20T08:00:00Z',
 *   actor: { type: 'user', upn: 'alice@contoso.com' }, at: '2026-11-20T09:00:00Z', operationName: 'Microsoft.DBforPostgreSQL/flexibleServers/write', status: 'Succeeded' }
 */
export interface RestoreEvidence {
  /** Unique per entry (the Activity Log eventDataId), so the same entry seen twice counts once. */
  readonly key: string;
  readonly serverId: string;
  readonly createMode?: string;
  readonly sourceServerId?: string;
  readonly pointInTimeUtc?: string;
  readonly actor: Actor;
  readonly at: string;
  readonly correlationId?: string;
  readonly operationName: string;
  readonly status: string;
}
