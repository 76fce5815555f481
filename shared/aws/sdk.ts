import type { DynamoDBSender } from '../checkpoints/dynamodb.ts';

// The AWS SDK clients are the heaviest modules mskguard uses (the DynamoDB client alone takes
// ~150 ms to import on this kind of machine). They are loaded on first use, so `import 'mskguard'`
// stays cheap for code that never reaches them (the CLI's --help, a handler's unit tests), and a
// guarded function starts loading them at init (see lazyDynamoDbClient). docs/decisions/0009.
type DynamoDbSdk = typeof import('@aws-sdk/client-dynamodb');
type SecretsManagerSdk = typeof import('@aws-sdk/client-secrets-manager');

let dynamoDb: Promise<DynamoDbSdk> | undefined;
let secretsManager: Promise<SecretsManagerSdk> | undefined;

/**
 * Where an AWS client looks, for error messages: its endpoint (DynamoDB Local), its region, or the
 * SDK's default region. The SDK's own errors (ResourceNotFoundException) name neither.
 */
export function whereOf(config: { readonly region?: string; readonly dynamodbEndpoint?: string }): string {
  if (config.dynamodbEndpoint) return config.dynamodbEndpoint;
  return config.region ? `region ${config.region}` : 'the default AWS region (pass --region)';
}

/** The region, endpoint and credentials of a DynamoDB client an operator command builds. */
export interface DynamoDbClientSettings {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * What a CLI command passes to `new DynamoDBClient(...)`. Against a local endpoint (DynamoDB Local)
 * with no credentials configured, a fixed region and dummy credentials: DynamoDB Local accepts any,
 * and without them the SDK refuses to send ("Region is missing") before reaching the endpoint.
 *
 * @example
 * ```ts
 * new DynamoDBClient(dynamoDbClientSettings({ dynamodbEndpoint: 'http://127.0.0.1:8000' }));
 * ```
 */
export function dynamoDbClientSettings(config: {
  readonly region?: string;
  readonly dynamodbEndpoint?: string;
}): DynamoDbClientSettings {
  const local = Boolean(config.dynamodbEndpoint) && !process.env.AWS_ACCESS_KEY_ID;
  return {
    ...(config.region ? { region: config.region } : local ? { region: 'us-east-1' } : {}),
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
    ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  };
}

/**
 * The region the AWS SDK finds when none is passed: AWS_REGION, then the profile's `region` in the
 * shared config file (AWS_PROFILE, ~/.aws/config); undefined when it finds none. No call is made.
 */
export async function sdkDefaultRegion(): Promise<string | undefined> {
  const client = new (await dynamoDbSdk()).DynamoDBClient({});
  try {
    return await client.config.region();
  } catch {
    return undefined; // "Region is missing": the error every call of this client would fail with
  } finally {
    client.destroy();
  }
}

/** @aws-sdk/client-dynamodb, imported once, on first call. */
export function dynamoDbSdk(): Promise<DynamoDbSdk> {
  if (!dynamoDb) dynamoDb = import('@aws-sdk/client-dynamodb');
  return dynamoDb;
}

/** @aws-sdk/client-secrets-manager, imported once, on first call. */
export function secretsManagerSdk(): Promise<SecretsManagerSdk> {
  if (!secretsManager) secretsManager = import('@aws-sdk/client-secrets-manager');
  return secretsManager;
}

/**
 * A DynamoDB client created on its first `send`. The SDK starts loading now, in the background, so
 * a function that builds it at init has the SDK ready by its first event.
 */
export function lazyDynamoDbClient(config: { endpoint?: string } = {}): DynamoDBSender {
  const sdk = dynamoDbSdk();
  sdk.catch(() => {}); // a failed import surfaces on the first send, not as an unhandled rejection
  let client: DynamoDBSender | undefined;
  return {
    async send(command: object): Promise<unknown> {
      if (!client) client = new (await sdk).DynamoDBClient(config);
      return client.send(command);
    },
  };
}
