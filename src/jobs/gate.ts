/**
 * The one door to every change the warden (or an operator command) makes to a server in Azure: tag writes, tag
 * removal (ExpiresOn of a promoted server), firewall-rule deletion, a restore drill's temporary firewall rule on its
 * own clone, public-access change, stop (quarantine) and deletion. It lets an action through only for a proven clone, and names the proof in what it returns. No other
 * module of src/jobs calls the modifying methods of ServersPort (test/jobs/gate.test.ts checks the source).
 */
import type { Proof, Server } from '../domain/model.js';
import type { ModifyingAction } from '../domain/plan.js';
import { mayModify, reviewCommands } from '../domain/proof.js';
import type { DeleteOutcome, ServersPort } from '../ports/servers.js';

/**
 * A restore drill's temporary rule for the app's outbound addresses on the drill's own clone: the only rule the warden
 * ever adds, never part of a plan, and through the gate like every change (a clone proven by its governed restore).
 */
export interface AllowFirewallRuleAction {
  readonly type: 'allow-firewall-rule';
  readonly rule: string;
  readonly startIpAddress: string;
  readonly endIpAddress: string;
  readonly reason: string;
}

/** Every change the gate performs. */
export type GateAction = ModifyingAction | AllowFirewallRuleAction;

/**
 * Thrown when a modifying action is asked for a server that is not proven a clone; nothing reached Azure. The CLI
 * reports it as refused input (exit status 2). `command` names what was asked (`extend`), else the action is named.
 */
export class UnprovenError extends Error {
  override name = 'UnprovenError';
  constructor(
    readonly server: string,
    readonly action: GateAction['type'],
    readonly level: Proof['level'] | 'unknown',
    readonly command?: string,
  ) {
    const commands = reviewCommands(server);
    super(
      `Refused to ${command ?? action} ${command ? '' : 'on '}${server}: it is not proven a clone (${level}); the warden changes only proven clones. ` +
        `If it is a restored copy: ${commands.confirm}; if it is not: ${commands.dismiss}`,
    );
  }
}

/** What the gate is shown: the server and the proof the decision rests on. */
export interface GateTarget {
  readonly server: Pick<Server, 'id' | 'name'>;
  readonly proof: Pick<Proof, 'level'> | undefined;
}

export type ModifyOutcome = 'done' | DeleteOutcome | 'already-gone';

/**
 * Performs one modifying action on a proven clone; throws UnprovenError (before any call) for anything else.
 * @example await modify(deps.servers, { server: live, proof: plan.proof }, { type: 'tag', set: { Owner: 'a@contoso.com' }, reason })
 */
export async function modify(
  servers: ServersPort,
  target: GateTarget,
  action: Extract<ModifyingAction, { type: 'delete-server' }>,
  /** A delete's: `wait: false` asks ARM and does not wait for the operation (see ServersPort.delete). */
  options?: { wait?: boolean },
): Promise<DeleteOutcome>;
export async function modify(servers: ServersPort, target: GateTarget, action: GateAction): Promise<ModifyOutcome>;
export async function modify(
  servers: ServersPort,
  target: GateTarget,
  action: GateAction,
  options: { wait?: boolean } = {},
): Promise<ModifyOutcome> {
  if (!mayModify(target.proof))
    throw new UnprovenError(target.server.name, action.type, target.proof?.level ?? 'unknown');
  const id = target.server.id;
  switch (action.type) {
    case 'tag':
      await servers.mergeTags(id, action.set);
      return 'done';
    case 'remove-tags':
      await servers.deleteTags(id, action.tags);
      return 'done';
    case 'delete-firewall-rule':
      return (await servers.deleteFirewallRule(id, action.rule)) === 'deleted' ? 'done' : 'already-gone';
    case 'allow-firewall-rule':
      await servers.upsertFirewallRule(id, {
        name: action.rule,
        startIpAddress: action.startIpAddress,
        endIpAddress: action.endIpAddress,
      });
      return 'done';
    case 'disable-public-access':
      await servers.disablePublicAccess(id);
      return 'done';
    case 'stop-server':
      await servers.stop(id);
      return 'done';
    case 'delete-server':
      return servers.delete(id, options);
  }
}
