/** The watchdog: measures stopped consumers from outside (docs/decisions/0013-watchdog-and-alarm-proofs.md). */
export { type EmfSink, emitHealth, stdoutSink } from './emit.ts';
export { createWatchdogHandler, WATCHDOG_ENV, type WatchdogLambdaConfig } from './lambda.ts';
export { checkpointAgeBehind, groupLag, measureConsumer } from './measure.ts';
export { runWatchdog, type WatchdogReport } from './run.ts';
export { AuditRestoreActivity, LambdaEsmStatusSource } from './sources.ts';
export type {
  CheckpointReader,
  ConsumerHealth,
  EsmStatus,
  EsmStatusSource,
  LagAdmin,
  RestoreActivity,
  WatchdogDeps,
  WatchdogTarget,
} from './types.ts';
