// Trainer crash bookkeeping, pure and clock-injected: one exit report from Electron's two signals (the utility
// process's `exit` and app's `child-process-gone`, which arrive in either order), and the restart budget.

export type GoneReason = 'clean-exit' | 'abnormal-exit' | 'killed' | 'crashed' | 'oom' | 'launch-failed' | 'integrity-failure' | 'memory-eviction';

export interface ExitReport {
  code: number | null;
  /** From child-process-gone when it came; null when only `exit` was seen. */
  reason: GoneReason | null;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Merges `exit` and `child-process-gone` for one process into exactly one report. Whichever comes first starts a
 * short wait for the other (so the report has both the exit code and the reason); the second, or the wait running
 * out, delivers it. Later signals are ignored.
 */
export class ExitCoalescer {
  private code: number | null = null;
  private reason: GoneReason | null = null;
  private seenExit = false;
  private seenGone = false;
  private timer: unknown = null;
  private done = false;

  constructor(
    private readonly deliver: (report: ExitReport) => void,
    private readonly graceMs = 500,
    private readonly timers: Timers = realTimers,
  ) {}

  exit(code: number | null): void {
    if (this.done || this.seenExit) return;
    this.seenExit = true;
    this.code = code;
    this.next();
  }

  gone(reason: GoneReason, exitCode: number): void {
    if (this.done || this.seenGone) return;
    this.seenGone = true;
    this.reason = reason;
    this.code ??= exitCode;
    this.next();
  }

  private next(): void {
    if (this.seenExit && this.seenGone) {
      this.finish();
      return;
    }
    this.timer ??= this.timers.setTimeout(() => this.finish(), this.graceMs);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.deliver({ code: this.code, reason: this.reason });
  }
}

/**
 * The restart budget: automatic restarts stop after `limit` crashes within `windowMs` (3 in 5 minutes); the user
 * can still restart or resume by hand, which does not reset the count.
 */
export class CrashPolicy {
  private crashes: number[] = [];

  constructor(
    private readonly limit = 3,
    private readonly windowMs = 5 * 60_000,
  ) {}

  /** Records a crash at `now` and says whether to restart on our own. */
  record(now: number): 'restart' | 'give-up' {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length >= this.limit ? 'give-up' : 'restart';
  }

  recentCrashes(now: number): number {
    return this.crashes.filter((t) => now - t < this.windowMs).length;
  }
}
