/** Where EMF lines go: stdout in Lambda (CloudWatch Logs extracts the metrics), a buffer in tests. */
export type EmfSink = (line: string) => void;

/** Writes one EMF line to stdout, as Powertools does in Lambda. */
export const stdoutSink: EmfSink = (line) => {
  process.stdout.write(`${line}\n`);
};
