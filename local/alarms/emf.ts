/** One value of one metric at one instant, from an EMF line. */
export interface Datapoint {
  readonly namespace: string;
  readonly name: string;
  /** The dimension set of the directive (CloudWatch stores one metric per dimension set). */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly unit: string | undefined;
  readonly timestamp: number;
  readonly value: number;
}

interface EmfDirective {
  readonly Namespace: string;
  readonly Dimensions: readonly (readonly string[])[];
  readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
}

/**
 * The datapoints in CloudWatch embedded metric format (EMF) lines, as CloudWatch Logs extracts them:
 * each directive's metrics once per dimension set, values from the root members (a number or an array
 * of numbers). Lines that are not EMF are skipped, like CloudWatch does with ordinary log lines.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 *
 * @example
 * ```ts
 * const points = parseEmf(['{"_aws":{"Timestamp":1,"CloudWatchMetrics":[...]},"RecordsIn":500,...}']);
 * ```
 */
export function parseEmf(lines: Iterable<string>): Datapoint[] {
  const points: Datapoint[] = [];
  for (const line of lines) {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const aws = doc._aws as { Timestamp?: number; CloudWatchMetrics?: EmfDirective[] } | undefined;
    if (!aws?.CloudWatchMetrics || typeof aws.Timestamp !== 'number') continue;
    for (const directive of aws.CloudWatchMetrics) {
      for (const set of directive.Dimensions) {
        const dimensions = Object.fromEntries(set.map((d) => [d, String(doc[d])]));
        for (const metric of directive.Metrics) {
          const raw = doc[metric.Name];
          const values = Array.isArray(raw) ? raw : [raw];
          for (const value of values) {
            if (typeof value !== 'number') continue;
            points.push({
              namespace: directive.Namespace,
              name: metric.Name,
              dimensions,
              unit: metric.Unit,
              timestamp: aws.Timestamp,
              value,
            });
          }
        }
      }
    }
  }
  return points;
}
