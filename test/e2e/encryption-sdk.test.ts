/**
 * End to end with the AWS Encryption SDK for JavaScript: during the 24-month
 * story (N = 6, daily schedule), a message is encrypted under the user alias
 * ARN on the 1st of every month, so every generation has messages. Then the
 * keyrings a user could configure for decryption are tried on all of them.
 *
 * The SDK stores, for each encrypted data key, the KeyId KMS returned from
 * GenerateDataKey: the KEY ARN of the generation the alias pointed to, never
 * the alias ARN. A decrypting keyring must accept those key ARNs.
 */
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { generationKeyArns } from './generation-key-arns';
import { simulatorClientProvider, SimulatorClientProvider } from './simulator-kms';
import { RotationOutcome } from '../../lambda/rotation/rotate';
import { TAG } from '../../lambda/rotation/tags';
import { rotateIfDue, rotateNow } from '../rotation/fixtures';
import { Harness } from '../rotation/harness';
import { runStory, STORY_GROUP, StoryResult } from '../rotation/story';

const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

const ACCOUNT = '111122223333';
const ALIAS_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/story`;
/** What the SDK throws when no keyring entry matches an encrypted data key (no KMS call is made). */
const NO_MATCHING_KEY = 'unencryptedDataKey has not been set';

interface Message {
  readonly month: string;
  readonly generation: number;
  /** ARN of the key the alias pointed to when the message was encrypted. */
  readonly keyArn: string;
  readonly plaintext: string;
  readonly ciphertext: Buffer;
}

interface RotationCheck {
  readonly day: string;
  readonly newGeneration: number;
  readonly earlierMessages: number;
  readonly decryptedByDiscovery: number;
  readonly decryptedByGenerationList: number;
}

describe('AWS Encryption SDK over the 24-month story', () => {
  let h: Harness;
  let kms: SimulatorClientProvider;
  let story: StoryResult;
  const messages: Message[] = [];
  const rotationChecks: RotationCheck[] = [];

  const aliasKeyring = () => new KmsKeyringNode({ clientProvider: kms.clientProvider, generatorKeyId: ALIAS_ARN });
  const discoveryKeyring = () => new KmsKeyringNode({
    clientProvider: kms.clientProvider,
    discovery: true,
    discoveryFilter: { accountIDs: [ACCOUNT], partition: 'aws' },
  });
  const listKeyring = (keyIds: string[]) => new KmsKeyringNode({ clientProvider: kms.clientProvider, keyIds });

  const currentGeneration = () => {
    const key = h.sim.state.key(h.aliasTarget(STORY_GROUP.aliasName)!)!;
    return { generation: Number(key.tags[TAG.generation]), keyArn: key.arn };
  };

  async function encryptMessage(): Promise<Message> {
    const month = h.sim.clock.now().toISOString().slice(0, 7);
    const plaintext = `telemetry for ${month}`;
    const { result, messageHeader } = await encrypt(aliasKeyring(), plaintext, { encryptionContext: { dataset: 'story', month } });
    const { generation, keyArn } = currentGeneration();
    expect(messageHeader.encryptedDataKeys.map((k) => k.providerInfo)).toEqual([keyArn]);
    return { month, generation, keyArn, plaintext, ciphertext: result };
  }

  async function decryptsAll(keyring: KmsKeyringNode, of: readonly Message[]): Promise<number> {
    let n = 0;
    for (const m of of) {
      const { plaintext, messageHeader } = await decrypt(keyring, m.ciphertext);
      expect(plaintext.toString()).toBe(m.plaintext);
      expect(messageHeader.encryptionContext).toMatchObject({ dataset: 'story', month: m.month });
      n++;
    }
    return n;
  }

  async function errorOf(p: Promise<unknown>): Promise<Error> {
    try {
      await p;
    } catch (e) {
      return e as Error;
    }
    throw new Error('expected a rejection');
  }

  beforeAll(async () => {
    h = await Harness.start();
    kms = simulatorClientProvider(h.sim);
    const f = h.functions();
    // The story's functions, plus what an application does around them: encrypt
    // once on the 1st of each month (deploy day included, after the schedule's
    // first run), and, right after each promotion, decrypt everything encrypted so far.
    const withApplication = async (entry: 'lifecycle' | 'rotation', event: unknown) => {
      if (entry === 'lifecycle') {
        const created = await f.lifecycle(event);
        messages.push(await encryptMessage());
        return created;
      }
      const r = await f.rotation(event);
      const now = h.sim.clock.now();
      if (now.getUTCDate() === 1 && now.getUTCMinutes() === 25) messages.push(await encryptMessage());
      if (r.outcome === 'promoted') {
        const earlier = messages.filter((m) => m.generation < r.generation);
        rotationChecks.push({
          day: h.sim.clock.now().toISOString().slice(0, 10),
          newGeneration: r.generation,
          earlierMessages: earlier.length,
          decryptedByDiscovery: await decryptsAll(discoveryKeyring(), earlier),
          decryptedByGenerationList: await decryptsAll(listKeyring(await generationKeyArns(h.kms, STORY_GROUP.groupId)), earlier),
        });
      }
      return r;
    };
    story = await runStory(h, withApplication);
  });

  afterAll(async () => {
    kms.destroy();
    await h.stop();
  });

  test('one message a month, under 5 generations; each records the KEY ARN, not the alias ARN', () => {
    expect(story.promotionDays).toEqual(['2026-07-01', '2027-01-01', '2027-07-01', '2028-01-01']);
    expect(messages).toHaveLength(25);
    expect(messages[0].month).toBe('2026-01');
    expect(messages[24].month).toBe('2028-01');
    const perGeneration = messages.reduce<Record<number, number>>((acc, m) => ({ ...acc, [m.generation]: (acc[m.generation] ?? 0) + 1 }), {});
    expect(perGeneration).toEqual({ 1: 6, 2: 6, 3: 6, 4: 6, 5: 1 });
    const keyArns = h.groupKeys(STORY_GROUP.groupId).map((k) => k.arn);
    expect(new Set(messages.map((m) => m.keyArn))).toEqual(new Set(keyArns));
    for (const m of messages) {
      expect(m.keyArn).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36}$/);
      expect(m.keyArn).not.toBe(ALIAS_ARN);
    }
    expect(new Set(kms.regions)).toEqual(new Set(['us-east-1']));
  });

  test('a discovery keyring filtered to the account decrypts every message of every generation', async () => {
    expect(await decryptsAll(discoveryKeyring(), messages)).toBe(25);

    // The filter is what keeps it from calling KMS for keys of other accounts.
    const otherAccount = new KmsKeyringNode({
      clientProvider: kms.clientProvider, discovery: true, discoveryFilter: { accountIDs: ['444455556666'], partition: 'aws' },
    });
    const decryptsBefore = h.sim.calls.count('Decrypt');
    const err = await errorOf(decrypt(otherAccount, messages[0].ciphertext));
    expect(err.message).toBe(NO_MATCHING_KEY);
    expect(h.sim.calls.count('Decrypt')).toBe(decryptsBefore);
  });

  test('an explicit keyring listing the generation key ARNs (from the generation aliases) decrypts every message', async () => {
    const arns = await generationKeyArns(h.kms, STORY_GROUP.groupId);
    expect(arns).toEqual(h.groupKeys(STORY_GROUP.groupId).map((k) => k.arn));
    expect(arns).toHaveLength(5);
    expect(await decryptsAll(listKeyring(arns), messages)).toBe(25);
  });

  test('a strict keyring naming only the alias ARN encrypts, but cannot decrypt any message, not even one of the current generation', async () => {
    // The SDK compares the key ARN recorded in the message with the keyring's
    // key ids as strings; the alias ARN never equals a key ARN, so no encrypted
    // data key is even tried (no KMS Decrypt call) and decryption fails with a
    // generic error that names neither key.
    const beforeRotation = messages.find((m) => m.generation === 1)!;
    const current = messages.find((m) => m.generation === 5)!;
    expect(current.keyArn).toBe(currentGeneration().keyArn);
    const freshMessage = await encryptMessage();
    expect(freshMessage.keyArn).toBe(current.keyArn);

    const decryptsBefore = h.sim.calls.count('Decrypt');
    for (const m of [beforeRotation, current, freshMessage]) {
      const err = await errorOf(decrypt(aliasKeyring(), m.ciphertext));
      expect(err).toBeInstanceOf(Error);
      expect(err.constructor).toBe(Error);
      expect(err.message).toBe(NO_MATCHING_KEY);
    }
    expect(h.sim.calls.count('Decrypt')).toBe(decryptsBefore);
  });

  test('messages of retired generations keep decrypting after further rotations', async () => {
    // Right after each rotation, everything encrypted under the earlier generations decrypted.
    expect(rotationChecks).toEqual([
      { day: '2026-07-01', newGeneration: 2, earlierMessages: 6, decryptedByDiscovery: 6, decryptedByGenerationList: 6 },
      { day: '2027-01-01', newGeneration: 3, earlierMessages: 12, decryptedByDiscovery: 12, decryptedByGenerationList: 12 },
      { day: '2027-07-01', newGeneration: 4, earlierMessages: 18, decryptedByDiscovery: 18, decryptedByGenerationList: 18 },
      { day: '2028-01-01', newGeneration: 5, earlierMessages: 24, decryptedByDiscovery: 24, decryptedByGenerationList: 24 },
    ]);

    // One more (emergency) rotation after the story: generation 6.
    const staleList = await generationKeyArns(h.kms, STORY_GROUP.groupId);
    const f = h.functions();
    const r = await f.rotation(rotateNow(STORY_GROUP.aliasName));
    expect(r).toMatchObject({ outcome: 'started', generation: 6 });
    const rest: RotationOutcome[] = await h.runSchedule(f, 60 * 60_000, rotateIfDue(STORY_GROUP.aliasName, STORY_GROUP.groupId));
    expect(rest.map((x) => x.outcome)).toEqual(expect.arrayContaining(['promoted', 'completed']));
    const gen6Message = await encryptMessage();
    expect(gen6Message.generation).toBe(6);

    // Retired generations stay Enabled with their material.
    const keys = h.groupKeys(STORY_GROUP.groupId);
    expect(keys.map((k) => [k.tags[TAG.generation], k.tags[TAG.stage], k.state, k.hasMaterial])).toEqual([
      ['1', 'retired', 'Enabled', true], ['2', 'retired', 'Enabled', true], ['3', 'retired', 'Enabled', true],
      ['4', 'retired', 'Enabled', true], ['5', 'retired', 'Enabled', true], ['6', 'current', 'Enabled', true],
    ]);

    expect(await decryptsAll(discoveryKeyring(), [...messages, gen6Message])).toBe(26);
    const freshList = await generationKeyArns(h.kms, STORY_GROUP.groupId);
    expect(freshList).toEqual(keys.map((k) => k.arn));
    expect(await decryptsAll(listKeyring(freshList), [...messages, gen6Message])).toBe(26);

    // A list read before the rotation still decrypts the old messages, but not
    // the new generation's: an explicit list must be refreshed after rotations.
    expect(await decryptsAll(listKeyring(staleList), messages)).toBe(25);
    expect((await errorOf(decrypt(listKeyring(staleList), gen6Message.ciphertext))).message).toBe(NO_MATCHING_KEY);
  });
});
