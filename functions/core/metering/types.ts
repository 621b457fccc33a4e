import type { UsageWrite } from './usage-write';

/** One metered infer request, as the data plane reports it. */
export interface UsageEvent {
  readonly tenantId: string;
  readonly keyId: string;
  readonly modelName: string;
  readonly version: string;
  /** The tenant's plan when the request was served: the plan whose prices bill it. */
  readonly plan: string;
  /** When the request was received; selects the UTC day and month counters. */
  readonly at: Date;
  /** True when the request failed after authentication (counted apart, not billed). */
  readonly error: boolean;
  readonly computeMs: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
}

/** Counters of one tenant, model version and UTC day. */
export interface UsageRow {
  readonly tenantId: string;
  readonly day: string; // YYYY-MM-DD
  readonly modelName: string;
  readonly version: string;
  /** The plan the requests were served under (a tenant changing plan mid-day has two rows). */
  readonly plan: string;
  readonly requests: number;
  readonly errors: number;
  readonly computeMs: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
}

/** Persistence port of metering: atomic counters, exact under concurrency. */
export interface UsageStore {
  record(event: UsageEvent): Promise<void>;
  /** A tenant's rows for a month (`YYYY-MM`). */
  listTenantMonth(tenantId: string, month: string): Promise<UsageRow[]>;
  /** Every tenant's rows for a month (operators, billing). */
  listMonth(month: string): Promise<UsageRow[]>;
}

/** Keeps usage writes the table did not confirm for the replay (`DurableUsageRecorder`: the spill). */
export interface UsageKeeper {
  /** Keeps `write` (its failure was `writeError`); throws when it could not be kept. */
  keep(write: UsageWrite, writeError: unknown): Promise<void>;
}
