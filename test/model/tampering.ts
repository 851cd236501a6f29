/**
 * The tampering actor: principals of the account outside the library's trust
 * (level 3 of the trust model, /work/shared/design.md) who try to widen what the
 * functions do to a key.
 *
 * - A principal with dynamodb:PutItem only rewrites the group's ledger entry
 *   (one field, `version` kept, the old stateSeal kept or dropped), then runs
 *   of the functions read it: each must be refused before any KMS write, and
 *   report it. Then an operator restores the entry exactly as it was (the actor
 *   kept the original item), the seals verify again, and the history goes on.
 * - A CloudFormation-shaped event of another stack is sent to the lifecycle
 *   entry point: refused at parse, before any read or KMS call.
 * - A principal with kms:TagResource on * labels a victim key (or a generation)
 *   with the group's tags: no function may act on a key because of a tag.
 */
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { ATTACKER_ACCOUNT, TamperEvidence } from './checks';
import { Acted, Cmd, phaseIs, Step, updateEvent } from './commands';
import { ModelEnv } from './env';
import { History, InvocationResult, invoke, recordBefore, scheduleEvent } from './history';
import { SealGateway } from '../../lambda/rotation/seal-gateway';
import { sealMessage } from '../../lambda/rotation/seal-messages';
import { TAG } from '../../lambda/rotation/tags';
import { cfnEvent } from '../rotation/fixtures';
import { SCHEDULE_PERIOD_MS } from '../rotation/harness';

export const LEDGER_EDITS = [
  'policy-foreign', 'escrow', 'validity-days', 'retention', 'material-source', 'interval', 'generation-victim', 'lock', 'chain-head',
] as const;
export type LedgerEdit = typeof LEDGER_EDITS[number];

/** How the edited entry is stored: with the old stateSeal, without one, or sealed again (only where the seal keys' policies let the account seal). */
export type SealChoice = 'kept' | 'dropped' | 'resealed';

/** The function runs that read the tampered entry. A deploy accepts an unsealed entry (trust on first use), so it reads only entries with a seal. */
export type TamperReader = 'scheduled' | 'rotate-now' | 'update';

const FOREIGN_STATEMENT = {
  Sid: 'Tampered', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ATTACKER_ACCOUNT}:root` }, Action: ['kms:Decrypt', 'kms:Encrypt'], Resource: '*',
};
const ATTACKER_ESCROW = {
  bucket: 'attacker-bucket',
  prefix: 'stolen/',
  wrapping: 'RSAES_OAEP_SHA_256',
  publicKey: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEattackerattackerattackerattackerattacker\n-----END PUBLIC KEY-----\n',
};

type Item = Record<string, any>;

/** The edited copy of the entry (`version` kept). */
export function editEntry(item: Item, edit: LedgerEdit, victim: { keyId: string; keyArn: string }, now: number): Item {
  const e = JSON.parse(JSON.stringify(item)) as Item;
  const s = e.settings;
  switch (edit) {
    case 'policy-foreign':
      s.policy = { ...s.policy, Statement: [...(s.policy.Statement ?? []), FOREIGN_STATEMENT] };
      break;
    case 'escrow':
      if (s.escrow) s.escrow = { ...s.escrow, publicKey: ATTACKER_ESCROW.publicKey };
      else s.escrow = ATTACKER_ESCROW;
      break;
    case 'validity-days':
      s.materialValidityDays = 1;
      break;
    case 'retention':
      s.retention = { policy: 'delete-after', afterDays: 1, quietDays: 0, pendingWindowDays: 7 };
      break;
    case 'material-source':
      if (s.materialSource) delete s.materialSource;
      else s.materialSource = { type: 'function', functionArn: `arn:aws:lambda:us-east-1:${ATTACKER_ACCOUNT}:function:material` };
      break;
    case 'interval':
      s.intervalMonths = 1;
      e.nextDueAt = new Date(now - 86_400_000).toISOString();
      break;
    case 'generation-victim': {
      const g = (e.generations as Item[]).find((x) => x.stage === 'current') ?? e.generations[0];
      g.keyId = victim.keyId;
      g.keyArn = victim.keyArn;
      break;
    }
    case 'lock':
      e.lock = { owner: 'attacker', until: new Date(now + 10 * 365 * 86_400_000).toISOString(), purpose: 'rotate' };
      break;
    case 'chain-head':
      e.chain = { seq: Number(e.chain?.seq ?? 0) + 1, hash: 'f'.repeat(64) };
      break;
  }
  return e;
}

/** The victim key: EXTERNAL, made by someone else, never the group's (made once per history, when first needed). */
async function victimKey(env: ModelEnv, m: History): Promise<{ keyId: string; keyArn: string }> {
  if (!m.victimKeyId) {
    const r = await env.admin.call<{ KeyMetadata: { KeyId: string } }>('CreateKey', { Origin: 'EXTERNAL', Description: 'victim: another team\'s key' });
    m.victimKeyId = r.KeyMetadata.KeyId;
    const k = env.h.sim.state.key(m.victimKeyId)!;
    m.victimFingerprint = JSON.stringify([k.state, k.policy, k.description, k.hasMaterial]);
  }
  return { keyId: m.victimKeyId, keyArn: env.h.sim.state.key(m.victimKeyId)!.arn };
}

function tamperingLinesSince(env: ModelEnv, from: number): number {
  return env.h.log.lines.slice(from).filter((l) => l.level === 'error' && l.attributes?.tampering !== undefined).length;
}

function tamperingMetricsSince(env: ModelEnv, from: number): number[] {
  return env.h.emf.slice(from).map((l) => Number((JSON.parse(l) as Record<string, unknown>).TamperingDetected));
}

function keysNamingAttacker(env: ModelEnv): string[] {
  return env.h.sim.state.keys().filter((k) => k.policy.includes(ATTACKER_ACCOUNT)).map((k) => k.id);
}

export class LedgerTampering extends Step {
  constructor(readonly edit: LedgerEdit, readonly seal: SealChoice, readonly reader: TamperReader) { super(); }
  protected allowed(m: Readonly<History>): boolean {
    return phaseIs(m, 'live') && (this.reader !== 'update' || this.seal !== 'dropped');
  }
  toString(): string { return `tampering: the ledger entry edited (${this.edit}, seal ${this.seal}), then ${this.reader}, then restored`; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const g = m.group;
    const doc = DynamoDBDocumentClient.from(env.h.db.client(), { marshallOptions: { removeUndefinedValues: true } });
    const key = { pk: `group#${g.groupId}`, sk: 'state' };
    const original = (await doc.send(new GetCommand({ TableName: env.h.tableName, Key: key, ConsistentRead: true }))).Item!;
    const now = env.h.sim.clock.now().getTime();
    const edited = editEntry(original, this.edit, await victimKey(env, m), now);
    if (this.seal === 'dropped') delete edited.stateSeal;
    if (this.seal === 'resealed') await reseal(env, edited);
    // The attacker holds dynamodb:PutItem: version kept, so a function's conditional write would still match.
    await doc.send(new PutCommand({ TableName: env.h.tableName, Item: edited }));
    const logFrom = env.h.log.lines.length;
    const emfFrom = env.h.emf.length;
    let r: InvocationResult;
    switch (this.reader) {
      case 'scheduled':
        env.h.sim.clock.advance(SCHEDULE_PERIOD_MS);
        r = await invoke(env, m, { label: 'rotate-if-due', entry: 'rotation', event: scheduleEvent(g) });
        break;
      case 'rotate-now':
        r = await invoke(env, m, { label: 'rotate-now', entry: 'rotation', event: { action: 'rotate-now', aliasName: g.aliasName } });
        break;
      case 'update':
        r = await invoke(env, m, { label: 'update', entry: 'lifecycle', event: updateEvent(g.props, g.props) });
        break;
    }
    const stored = (await doc.send(new GetCommand({ TableName: env.h.tableName, Key: key, ConsistentRead: true }))).Item;
    const evidence: TamperEvidence = {
      what: `the ledger edit ${this.edit} (seal ${this.seal})`,
      mustRefuse: [r],
      tamperingLines: tamperingLinesSince(env, logFrom),
      tamperingMetrics: r.entry === 'rotation' ? tamperingMetricsSince(env, emfFrom) : [],
      entryRewritten: JSON.stringify(stored) !== JSON.stringify(edited),
      foreignPolicyKeys: keysNamingAttacker(env),
      repairProblem: await repair(env, doc, original),
    };
    return { kind: 'tampering', invocations: [r], tampered: evidence, note: 'restored' };
  }
}

/** Seals the edited entry as the functions would (possible only where the seal keys' policies let the account seal). */
async function reseal(env: ModelEnv, item: Item): Promise<void> {
  const gw = new SealGateway(env.h.kms, env.h.sealKeys);
  const { pk: _pk, sk: _sk, stateSeal: _state, settingsSeal: _settings, ...record } = item;
  const groupId = String(record.groupId);
  const settingsSeal = await gw.seal('settings', sealMessage('settings', env.h.tableName, groupId, record.settings));
  item.settingsSeal = settingsSeal;
  item.stateSeal = await gw.seal('state', sealMessage('state', env.h.tableName, groupId, { ...record, settingsSeal }));
}

/** The operator puts the original item back; the verifying ledger must accept it again. */
async function repair(env: ModelEnv, doc: DynamoDBDocumentClient, original: Item): Promise<string | undefined> {
  await doc.send(new PutCommand({ TableName: env.h.tableName, Item: original }));
  return env.h.ledger.get(String(original.groupId)).then(() => undefined, (e: Error) => `${e.name}: ${e.message}`);
}

export class ForeignStackEvent extends Step {
  constructor(readonly type: 'Update' | 'Delete') { super(); }
  protected allowed(m: Readonly<History>): boolean { return phaseIs(m, 'live'); }
  toString(): string { return `tampering: a CloudFormation ${this.type} of another stack sent to the lifecycle entry point`; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const g = m.group;
    const props = { ...g.props, IntervalMonths: '1', RemovalPolicy: 'destroy', KeyPolicyStatements: JSON.stringify([FOREIGN_STATEMENT]) };
    const extra = { StackId: `arn:aws:cloudformation:us-east-1:${ATTACKER_ACCOUNT}:stack/attacker/1`, ...(this.type === 'Update' ? { OldResourceProperties: g.props } : {}) };
    const simFrom = env.h.sim.calls.count();
    const readsFrom = env.h.db.reads.length;
    const logFrom = env.h.log.lines.length;
    const r = await invoke(env, m, { label: `foreign ${this.type}`, entry: 'lifecycle', event: cfnEvent(this.type, props, extra) });
    const evidence: TamperEvidence = {
      what: `a ${this.type} of another stack`,
      mustRefuse: [r],
      tamperingLines: tamperingLinesSince(env, logFrom),
      tamperingMetrics: [],
      entryRewritten: false,
      untouched: { reads: env.h.db.reads.length - readsFrom, kmsCalls: env.h.sim.calls.count() - simFrom },
      foreignPolicyKeys: keysNamingAttacker(env),
    };
    return { kind: 'tampering', invocations: [r], tampered: evidence };
  }
}

export type RelabelTarget = 'victim' | 'current' | 'retired';

/** Tags a key with the group's labels (stage pending, the next generation) as a principal with kms:TagResource on *; the history goes on. */
export class RelabelKey extends Step {
  constructor(readonly target: RelabelTarget) { super(); }
  protected allowed(m: Readonly<History>): boolean {
    return phaseIs(m, 'live') && (this.target !== 'retired' || (recordBefore(m)?.generations.some((x) => x.stage === 'retired') ?? false));
  }
  toString(): string { return `tampering: the ${this.target} key tagged as the group's pending generation`; }
  protected async act(m: History, env: ModelEnv): Promise<Acted> {
    const rec = recordBefore(m);
    const keyId = this.target === 'victim'
      ? (await victimKey(env, m)).keyId
      : rec!.generations.filter((x) => x.stage === this.target).pop()!.keyId;
    const next = Math.max(0, ...(rec?.generations ?? []).map((x) => x.n)) + 1;
    const tags = { [TAG.group]: m.group.groupId, [TAG.stage]: 'pending', [TAG.generation]: String(next) };
    const answer = await env.tagger.call('TagResource', { KeyId: keyId, Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })) })
      .then(() => 'tagged', (e: Error) => e.name);
    return { kind: 'tampering', invocations: [], note: answer };
  }
}

export function tamperingArbitrary(): fc.Arbitrary<Cmd> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.tuple(fc.constantFrom(...LEDGER_EDITS), fc.constantFrom<SealChoice>('kept', 'dropped'), fc.constantFrom<TamperReader>('scheduled', 'rotate-now', 'update'))
        .map(([e, s, r]): Cmd => new LedgerTampering(e, s, r)),
    },
    { weight: 1, arbitrary: fc.constantFrom<'Update' | 'Delete'>('Update', 'Delete').map((t): Cmd => new ForeignStackEvent(t)) },
    { weight: 2, arbitrary: fc.constantFrom<RelabelTarget>('victim', 'current', 'retired').map((t): Cmd => new RelabelKey(t)) },
  );
}
