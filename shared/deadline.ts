/**
 * `work`, or a rejection with the error `late()` makes once `ms` pass, whichever comes first; the
 * timer is cleared either way. `late` runs before the rejection, so a caller can first mark the work
 * as given up on (a command that must then never be sent).
 *
 * @example
 * ```ts
 * await withDeadline(client.evalsha(...), 2000, () => new CacheUnavailableError('no answer in 2 s'));
 * ```
 */
export function withDeadline<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
