/**
 * The audit table's sparse index on `restoreId` (KEYS_ONLY): only restore items carry the attribute,
 * never their plan and result chunks, so `restore undo <id>` reads one index entry instead of
 * scanning the table (decision 0002, addendum). No imports: the CDK construct that creates the
 * index and the store that queries it both read these names from here.
 */
export const AUDIT_RESTORE_ID_INDEX = 'byRestoreId';
/** The index's partition key: the attribute every restore item carries. */
export const AUDIT_RESTORE_ID_ATTRIBUTE = 'restoreId';
