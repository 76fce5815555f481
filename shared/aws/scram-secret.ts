/**
 * The SCRAM username and password a Secrets Manager secret holds (MSK's `AmazonMSK_*` secrets are
 * JSON `{"username": "...", "password": "..."}`), or undefined when it holds anything else.
 *
 * Never lets JSON.parse's own error out: its message quotes the text, and a secret that is not JSON
 * is most likely a bare password. The caller throws its typed error, naming the secret, not its value.
 *
 * @example
 * ```ts
 * const credentials = scramCredentialsOf(secret.SecretString);
 * if (!credentials) throw new ConfigurationError(`Secret ${arn} must hold ${SCRAM_SECRET_SHAPE}.`);
 * ```
 */
export function scramCredentialsOf(
  text: string | undefined,
): { username: string; password: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { username, password } = value as { username?: unknown; password?: unknown };
  return typeof username === 'string' && typeof password === 'string' ? { username, password } : undefined;
}

/** The shape a SCRAM secret must have, for error messages (which never quote the secret's value). */
export const SCRAM_SECRET_SHAPE =
  'the JSON {"username": "...", "password": "..."} (its value is not printed)';
