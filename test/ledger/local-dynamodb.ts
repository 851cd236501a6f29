/**
 * A real DynamoDB implementation for tests (dynalite: DynamoDB's API on
 * LevelDB in memory), on 127.0.0.1, with the ledger's table created as the
 * construct creates it (partition key pk, sort key sk, on-demand). dynalite
 * checks no permissions; with `authorization`, clients reach it through an
 * authorizing front (authorizing-front.ts) that does.
 */
import type { AddressInfo } from 'net';
import { CreateTableCommand, DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { AuthorizingFront, DynamoDbAuthorization } from './authorizing-front';

// dynalite has no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => import('http').Server;

const CREDENTIALS = { accessKeyId: 'AKIDDYNAMODBLOCAL', secretAccessKey: 'local' };

/** Operations that read; each must be strongly consistent (the tests assert it). */
export const READ_OPERATIONS = ['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand'];

export interface ReadRecord { readonly command: string; readonly consistent: boolean }

export interface LocalDynamoDbOptions {
  /**
   * Authorize every request of a principal (its access key id) with its
   * identity policies and the tables' resource policies; the default
   * credentials of `client()` stay an unrestricted admin (the test's own view).
   * @default none: every request is allowed, whoever signs it
   */
  readonly authorization?: DynamoDbAuthorization;
}

export class LocalDynamoDb {
  static async start(options: LocalDynamoDbOptions = {}): Promise<LocalDynamoDb> {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const front = options.authorization ? await AuthorizingFront.start(endpoint, options.authorization, CREDENTIALS.accessKeyId) : undefined;
    return new LocalDynamoDb(server, front?.endpoint ?? endpoint, front);
  }

  /** Every read made through clients of this instance. */
  readonly reads: ReadRecord[] = [];
  /** Every command sent through clients of this instance, by name (e.g. `PutItemCommand`). */
  readonly commands: string[] = [];
  private readonly clients: DynamoDBClient[] = [];
  private tables = 0;

  private constructor(
    private readonly server: import('http').Server,
    readonly endpoint: string,
    /** The authorizing front, when `authorization` was given. */
    readonly front?: AuthorizingFront,
  ) {}

  client(config: Partial<DynamoDBClientConfig> = {}): DynamoDBClient {
    const client = new DynamoDBClient({ region: 'us-east-1', endpoint: this.endpoint, credentials: CREDENTIALS, ...config });
    client.middlewareStack.add((next, context) => async (args) => {
      this.commands.push(context.commandName ?? '');
      if (READ_OPERATIONS.includes(context.commandName ?? '')) {
        this.reads.push({ command: context.commandName!, consistent: (args.input as { ConsistentRead?: boolean }).ConsistentRead === true });
      }
      return next(args);
    }, { step: 'initialize', name: 'recordReads' });
    this.clients.push(client);
    return client;
  }

  /** A new, empty ledger table. */
  async createLedgerTable(name = `ledger-${++this.tables}`): Promise<string> {
    await this.client().send(new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }));
    return name;
  }

  async stop(): Promise<void> {
    for (const c of this.clients.splice(0)) c.destroy();
    await this.front?.stop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
