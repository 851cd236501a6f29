/**
 * A lost ledger is an incident, not data loss: the group's entry is rebuilt
 * from its generation aliases and the keys' tags, through the library and
 * through the shipped command-line tool, and rotation carries on. Ambiguous
 * findings are refused.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, UpdateAliasCommand } from '@aws-sdk/client-kms';
import { cfnEvent, groupProps, rotateIfDue, rotateNow } from './fixtures';
import { Functions, Harness, REGION } from './harness';
import { reportGroup } from '../../lambda/report';
import { generationAlias } from '../../lambda/rotation/aliases';
import { Deps } from '../../lambda/rotation/context';
import { verifyChain } from '../../lambda/rotation/event-chain';
import { KmsGateway } from '../../lambda/rotation/kms-gateway';
import { Ledger } from '../../lambda/rotation/ledger';
import { GroupRecord } from '../../lambda/rotation/ledger-model';
import { recoverLedger, STACK_DEFAULTS } from '../../lambda/rotation/recover';

const CLI = path.join(__dirname, '..', '..', 'assets', 'lambda', 'cli', 'index.js');
const HOUR = 3_600_000;

describe('recovering a lost ledger', () => {
  let h: Harness;
  let f: Functions;
  beforeEach(async () => {
    h = await Harness.start();
    f = h.functions();
  });
  afterEach(async () => h.stop());

  async function loseLedger(groupId = 'telemetry-group'): Promise<void> {
    await h.db.client().send(new DeleteItemCommand({ TableName: h.tableName, Key: { pk: { S: `group#${groupId}` }, sk: { S: 'state' } } }));
  }

  function deps(): Deps {
    return {
      kms: new KmsGateway(h.sim.client(), h.sim.taggingClient()),
      // As the command-line tool: the operator cannot seal, so the rebuilt entry is unsealed until a deploy confirms it.
      ledger: new Ledger(h.db.client(), h.tableName),
      now: () => h.sim.clock.now(),
      log: h.log,
      runId: 'recovery',
      leaseMs: 60_000,
      sleep: (ms: number) => h.sleep(ms),
      remainingMs: () => Number.MAX_SAFE_INTEGER,
    };
  }

  /** What the operator does after a recovery: a deploy of the stack (any change of the group's props makes one), which seals the entry. */
  async function confirmByDeploy(): Promise<void> {
    await expect(f.rotation(rotateIfDue())).rejects.toMatchObject({ name: 'LedgerTamperedError', tampering: 'ledger-unsealed' });
    await f.lifecycle(cfnEvent('Update', groupProps({ Description: 'Telemetry data key (ledger recovered)' }), { OldResourceProperties: groupProps() }));
    expect(h.log.lines.some((l) => l.level === 'warn' && l.message.includes('this deploy seals it'))).toBe(true);
  }

  const summary = (r: GroupRecord) => r.generations.map((g) => [g.n, g.keyId, g.stage, g.fencedAt !== undefined]);

  test('a rebuilt entry starts a new event chain with what recovery found, and the report passes it', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR);
    const oldEvents = (await h.ledger.events('telemetry-group')).length;
    await loseLedger();
    await recoverLedger(deps(), 'telemetry-group', 'alias/telemetry', STACK_DEFAULTS);
    await confirmByDeploy();
    // The next scheduled runs write the labels from the rebuilt entry (its due date counts from the activation
    // recovery found), and a report after the propagation window sees them.
    await h.runSchedule(f, 20 * 60_000);
    const r = await reportGroup({ kms: h.kms, dynamodb: h.db.client(), tableName: h.tableName, aliasName: 'alias/telemetry', now: h.sim.clock.now() });
    // The recovery's three events, and the confirming deploy's settings change.
    expect(r.chain).toEqual({ verified: true, events: 4, outside: oldEvents });
    expect(r.findings.map((x) => [x.severity, x.code, x.message])).toEqual([['warning', 'events-outside-chain', expect.any(String)]]);
    const v = verifyChain(await h.ledger.events('telemetry-group'), (await h.group()).chain);
    expect(v.events.map((e) => [e.type, e.generation])).toEqual([['ledger-recovered', undefined], ['generation-recovered', 1], ['generation-recovered', 2], ['settings-updated', undefined]]);
  });

  test('rebuilds generations, stages and fences; the next rotation carries on', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR);
    const before = await h.group();
    await loseLedger();
    await expect(f.rotation(rotateIfDue())).rejects.toThrow(/recover the ledger/);
    const r = await recoverLedger(deps(), 'telemetry-group', 'alias/telemetry', STACK_DEFAULTS);
    expect(summary(r.record)).toEqual(summary(before));
    expect(r.record.settings).toMatchObject({ intervalMonths: 6, description: 'Telemetry data key', userTags: { team: 'platform' } });
    expect(r.record.rotation).toBeUndefined();
    expect(r.unregistered).toEqual([]);
    await confirmByDeploy();
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR);
    expect((await h.group()).generations.map((g) => g.stage)).toEqual(['retired', 'retired', 'current']);
  });

  test('a rotation lost half-way is rebuilt as under way and finished', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    await loseLedger();
    const r = await recoverLedger(deps(), 'telemetry-group', 'alias/telemetry', STACK_DEFAULTS);
    expect(r.record.rotation).toMatchObject({ n: 2, phase: 'test' });
    await confirmByDeploy();
    await h.runSchedule(f, HOUR);
    const rec = await h.group();
    expect(summary(rec).map(([n, , stage, fenced]) => [n, stage, fenced])).toEqual([[1, 'retired', true], [2, 'current', false]]);
  });

  test('refuses an existing entry, and ambiguous findings', async () => {
    await h.deploy(f);
    await expect(recoverLedger(deps(), 'telemetry-group', 'alias/telemetry')).rejects.toThrow(/never overwrites/);
    await loseLedger();
    const stranger = await h.kms.send(new CreateKeyCommand({}));
    await h.kms.send(new UpdateAliasCommand({ AliasName: 'alias/telemetry', TargetKeyId: stranger.KeyMetadata!.KeyId! }));
    await expect(recoverLedger(deps(), 'telemetry-group', 'alias/telemetry')).rejects.toThrow(/no generation alias of telemetry-group registers/);
    await h.kms.send(new UpdateAliasCommand({ AliasName: generationAlias('telemetry-group', 1), TargetKeyId: stranger.KeyMetadata!.KeyId! }));
    await expect(recoverLedger(deps(), 'telemetry-group', 'alias/telemetry')).rejects.toThrow(/whose tags do not say it is generation 1/);
    expect(await h.ledger.get('telemetry-group')).toBeUndefined();
  });

  test('the shipped command-line tool rebuilds it too', async () => {
    await h.deploy(f);
    await f.rotation(rotateNow());
    await h.runSchedule(f, HOUR);
    const before = await h.group();
    await loseLedger();
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'recover-ledger', '--table', h.tableName, '--group', 'telemetry-group', '--alias', 'alias/telemetry', '--schedule-hour', '3'], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'simulator-secret-access-key',
        AWS_ENDPOINT_URL_KMS: h.sim.endpoint,
        AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: h.sim.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: h.db.endpoint,
      },
    });
    const out = JSON.parse(stdout);
    expect(out.generations.map((g: { generation: number; stage: string; fenced: boolean }) => [g.generation, g.stage, g.fenced])).toEqual([[1, 'retired', true], [2, 'current', false]]);
    await confirmByDeploy();
    expect(summary(await h.group())).toEqual(summary(before));
  });

  test('the command-line tool refuses a bad argument with a clear message', async () => {
    await expect(promisify(execFile)(process.execPath, [CLI, 'recover-ledger', '--table', 't', '--group', 'bad id!', '--alias', 'alias/x'])).rejects.toMatchObject({
      stderr: expect.stringContaining('--group must match'),
    });
  });
});
