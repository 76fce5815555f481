// One Kafka auth for every command: `--kafka-auth none|tls|iam|scram` (plaintext = none), else
// KAFKA_AUTH or MSKGUARD_KAFKA_AUTH; what a mode lacks (a region, scram's secret) is a usage error
// naming the flag before any connection; and one builder turns a mode into kafkajs's ssl and sasl.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaAuthConfig } from '#shared/aws/kafka-auth.ts';
import { UsageError } from '#shared/cli/command.ts';
import { kafkaAuthHelp, kafkaAuthOf } from '#shared/cli/kafka-auth.ts';
import { ConfigurationError } from '#shared/errors.ts';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_orders-AbCdEf';

describe('kafkaAuthOf', () => {
  it.each([
    [{}, {}, 'eu-west-1', { auth: 'none' }],
    [{ 'kafka-auth': 'none' }, {}, undefined, { auth: 'none' }],
    [{ 'kafka-auth': 'plaintext' }, {}, undefined, { auth: 'none' }],
    [{ 'kafka-auth': 'tls' }, {}, undefined, { auth: 'tls' }],
    [{ 'kafka-auth': 'iam' }, {}, 'eu-west-1', { auth: 'iam' }],
    [
      { 'kafka-auth': 'scram', 'kafka-secret-arn': SECRET },
      {},
      'eu-west-1',
      { auth: 'scram', scramSecretArn: SECRET },
    ],
    [
      { 'kafka-auth': 'scram' },
      { MSKGUARD_KAFKA_SECRET_ARN: SECRET },
      'eu-west-1',
      { auth: 'scram', scramSecretArn: SECRET },
    ],
  ])('flags %j (env %j, region %s) -> %j', (flags, env, region, expected) => {
    // Act
    const settings = kafkaAuthOf(flags, env, region);

    // Assess
    expect(settings).toEqual(expected);
  });

  it.each([
    [{ KAFKA_AUTH: 'iam' }, { auth: 'iam' }],
    [{ MSKGUARD_KAFKA_AUTH: 'tls' }, { auth: 'tls' }],
    [{ KAFKA_AUTH: 'plaintext' }, { auth: 'none' }],
    [{ KAFKA_AUTH: 'tls', MSKGUARD_KAFKA_AUTH: 'iam' }, { auth: 'tls' }],
    [{ KAFKA_AUTH: '', MSKGUARD_KAFKA_AUTH: 'iam' }, { auth: 'iam' }],
    [
      { KAFKA_AUTH: 'scram', MSKGUARD_KAFKA_SECRET_ARN: SECRET },
      { auth: 'scram', scramSecretArn: SECRET },
    ],
  ])('without the flag reads the environment %j', (env, expected) => {
    // Act
    const settings = kafkaAuthOf({}, env, 'eu-west-1');

    // Assess
    expect(settings).toEqual(expected);
  });

  it('the flag wins over the environment, for the mode and for the secret', () => {
    // Prepare
    const env = { KAFKA_AUTH: 'iam', MSKGUARD_KAFKA_SECRET_ARN: 'arn:from-env' };

    // Act
    const tls = kafkaAuthOf({ 'kafka-auth': 'tls' }, env, undefined);
    const scram = kafkaAuthOf({ 'kafka-auth': 'scram', 'kafka-secret-arn': SECRET }, env, 'eu-west-1');

    // Assess
    expect(tls).toEqual({ auth: 'tls' });
    expect(scram).toEqual({ auth: 'scram', scramSecretArn: SECRET });
  });

  it.each([
    [
      { 'kafka-auth': 'sasl' },
      {},
      /^--kafka-auth sasl: expected none \(or plaintext\), tls, iam or scram\.$/,
    ],
    [{ 'kafka-auth': 'IAM' }, {}, /^--kafka-auth IAM: expected none/],
    [{ 'kafka-auth': 'constructor' }, {}, /^--kafka-auth constructor: expected none/],
    [{ 'kafka-auth': 'toString' }, {}, /^--kafka-auth toString: expected none/],
    [
      {},
      { KAFKA_AUTH: 'ssl' },
      /^KAFKA_AUTH=ssl: expected .*tls, iam or scram \(--kafka-auth MODE overrides it\)\.$/,
    ],
    [{}, { MSKGUARD_KAFKA_AUTH: 'oauth' }, /^MSKGUARD_KAFKA_AUTH=oauth: expected none/],
    [
      { 'kafka-auth': 'iam' },
      {},
      /^--kafka-auth iam needs the MSK cluster region: pass --region or set AWS_REGION\.$/,
    ],
    [{}, { KAFKA_AUTH: 'iam' }, /^KAFKA_AUTH=iam needs the MSK cluster region: pass --region/],
    [
      { 'kafka-auth': 'scram' },
      { AWS_REGION: 'ignored: the caller resolves the region' },
      /^--kafka-auth scram needs the secret .*: pass --kafka-secret-arn ARN or set MSKGUARD_KAFKA_SECRET_ARN\.$/,
    ],
    [
      { 'kafka-auth': 'scram', 'kafka-secret-arn': SECRET },
      {},
      /^--kafka-auth scram reads its secret in the cluster's region: pass --region/,
    ],
    [
      { 'kafka-auth': 'iam', 'kafka-secret-arn': SECRET },
      {},
      /^--kafka-secret-arn is read by scram only, and the auth is --kafka-auth iam: add --kafka-auth scram/,
    ],
    [
      { 'kafka-secret-arn': SECRET },
      {},
      /^--kafka-secret-arn is read by scram only, and the auth is --kafka-auth none \(the default\)/,
    ],
  ])('flags %j (env %j) are a usage error: %s', (flags, env, message) => {
    // Act
    const parse = () => kafkaAuthOf(flags, env, undefined);

    // Assess
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });

  it("describes both flags in the help, aligned on the command's column", () => {
    // Act
    const lines = kafkaAuthHelp(26).split('\n');
    const narrow = kafkaAuthHelp(24).split('\n');

    // Assess
    expect(lines[0]).toMatch(/^ {2}--kafka-auth MODE {7}none \(plaintext, the default\), tls/);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}--kafka-secret-arn ARN {2}\(scram\)/));
    // Too long for a 24-column list: the label gets a line of its own.
    expect(narrow).toContain('  --kafka-secret-arn ARN');
    expect(lines.join('\n')).toMatch(/KAFKA_AUTH or MSKGUARD_KAFKA_AUTH[\s\S]*MSKGUARD_KAFKA_SECRET_ARN/);
  });
});

describe('kafkaAuthConfig', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => secrets.reset());

  it.each([
    ['none', {}],
    ['tls', { ssl: true }],
  ] as const)('%s -> %j, with no AWS call', async (auth, expected) => {
    // Act
    const config = await kafkaAuthConfig({ auth });

    // Assess
    expect(config).toEqual(expected);
    expect(secrets.calls()).toHaveLength(0);
  });

  it('iam is TLS with MSK IAM tokens over SASL/OAUTHBEARER', async () => {
    // Act
    const config = await kafkaAuthConfig({ auth: 'iam', region: 'eu-west-1' });

    // Assess
    expect(config).toMatchObject({ ssl: true, sasl: { mechanism: 'oauthbearer' } });
  });

  it('scram is TLS with SCRAM-SHA-512 and the credentials of the secret', async () => {
    // Prepare
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET })
      .resolves({ SecretString: JSON.stringify({ username: 'orders', password: 'pw' }) });

    // Act
    const config = await kafkaAuthConfig({ auth: 'scram', region: 'eu-west-1', scramSecretArn: SECRET });

    // Assess
    expect(config).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'orders', password: 'pw' },
    });
  });

  // A secret's value is never in an error: JSON.parse's own message quotes its text, and a secret
  // that is not JSON is most likely a bare password.
  it.each([
    ['a bare password', 'Hunter2Pw!'],
    ['JSON null', 'null'],
    ['a JSON string', '"Hunter2Pw!"'],
    ['JSON without the password', '{"username":"orders","pass":"Hunter2Pw!"}'],
    ['a truncated JSON', '{"username":"orders","password":"Hunter2Pw!'],
    ['no SecretString (a binary secret)', undefined],
  ])('scram with a secret holding %s: a ConfigurationError naming the secret, not its value', async (_, value) => {
    // Prepare
    secrets.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: value });

    // Act
    const error = await kafkaAuthConfig({ auth: 'scram', region: 'eu-west-1', scramSecretArn: SECRET }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    const { message, stack, cause } = error as Error;
    expect(message).toBe(
      `Secret ${SECRET} must hold the JSON {"username": "...", "password": "..."} (its value is not printed).`,
    );
    expect(`${message}${stack}${String(cause)}`).not.toMatch(/Hunter2|is not valid JSON/);
  });

  // Answers no retry mends name the secret and the fix; throttling stays the SDK's own error, which
  // the caller reports as an outage.
  it.each([
    ['AccessDeniedException', /secretsmanager:GetSecretValue/],
    ['ResourceNotFoundException', /no such secret in this account and region/],
    ['DecryptionFailure', /kms:Decrypt/],
  ])('scram whose secret Secrets Manager refuses with %s: a ConfigurationError naming the fix', async (name, fix) => {
    // Prepare
    secrets
      .on(GetSecretValueCommand, { SecretId: SECRET })
      .rejects(Object.assign(new Error('refused'), { name }));

    // Act
    const error = await kafkaAuthConfig({ auth: 'scram', region: 'eu-west-1', scramSecretArn: SECRET }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Cannot read the SCRAM secret ${SECRET} \\(${name}\\): `),
    );
    expect((error as Error).message).toMatch(fix);
  });

  it('a throttled read stays the SDK error', async () => {
    // Prepare
    secrets
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

    // Act
    const error = await kafkaAuthConfig({ auth: 'scram', region: 'eu-west-1', scramSecretArn: SECRET }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).not.toBeInstanceOf(ConfigurationError);
    expect((error as Error).name).toBe('ThrottlingException');
  });
});
