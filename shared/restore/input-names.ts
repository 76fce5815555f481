/**
 * How the caller names the inputs a restore message may point at: the CLI's flags, or the fields of
 * a restore Lambda request. A message names the input the value came from, in the caller's words:
 * a Lambda answer must not tell its caller to pass a flag, nor the CLI name a request field.
 */
export interface RestoreInputNames {
  /** Where the request's `partitions` came from (`--partitions`, or `--offsets`, which names them). */
  readonly partitions: string;
  /** Where the audit table is set, and which table it is when known (`--audit-table`, an environment variable). */
  readonly auditTable: string;
}

/** The names of a {@link RestoreRequest}'s fields: library use and the restore Lambda's requests. */
export const REQUEST_INPUT_NAMES: RestoreInputNames = {
  partitions: "the request's partitions",
  auditTable: 'the audit table the restore reads',
};
