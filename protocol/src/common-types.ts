/** Types shared by types.ts and agent-types.ts. */

export type FailureMode = 'FailOpen' | 'FailClosed';
