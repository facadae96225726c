// The run's every-step log (<run>/steps.f64, format in shared/api/steps.ts): records are buffered in memory and
// appended in batches (when the rate-limited live step metric goes out, at checkpoints and at the end), so a
// 1,000,000-step run costs ≤ 20 small writes a second and 24 MB on disk, never a syscall per step.
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { stepLogFileName, stepRecordBytes, stepRecordValues } from '../../shared/api';

export class StepLogWriter {
  private fd: number;
  private buffer = new Float64Array(stepRecordValues * 1024);
  private count = 0;
  /** bytes in the file */
  private size: number;

  /**
   * Opens the log of the run in `dir`. A fresh run starts it empty; a run resumed from a checkpoint at step
   * `resumeStep` keeps the records up to that step and drops the later ones (they are trained again).
   */
  constructor(dir: string, resumeStep: number | null) {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, stepLogFileName);
    this.fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    const records = Math.floor(fstatSync(this.fd).size / stepRecordBytes);
    this.size = resumeStep === null ? 0 : this.recordsUpTo(records, resumeStep) * stepRecordBytes;
    ftruncateSync(this.fd, this.size);
  }

  /** How many leading records have step ≤ `step` (records are in step order); a torn last record is not counted. */
  private recordsUpTo(records: number, step: number): number {
    const value = new Float64Array(1);
    const stepAt = (r: number): number => {
      readSync(this.fd, new Uint8Array(value.buffer), 0, 8, r * stepRecordBytes);
      return value[0]!;
    };
    let lo = 0;
    let hi = records;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (stepAt(mid) <= step) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(step: number, loss: number, lr: number): void {
    if ((this.count + 1) * stepRecordValues > this.buffer.length) {
      const next = new Float64Array(this.buffer.length * 2);
      next.set(this.buffer);
      this.buffer = next;
    }
    const at = this.count * stepRecordValues;
    this.buffer[at] = step;
    this.buffer[at + 1] = loss;
    this.buffer[at + 2] = lr;
    this.count += 1;
  }

  /** Appends the buffered records (native byte order: little-endian on every platform we build for). */
  flush(): void {
    if (this.count === 0 || this.fd < 0) return;
    const bytes = new Uint8Array(this.buffer.buffer, 0, this.count * stepRecordBytes);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, this.size + written);
    this.size += bytes.length;
    this.count = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}
