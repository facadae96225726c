// The data loader: seeded epoch order, batches of batchSize (drop_last optional), assembled in the calling thread
// (workers = 0) or prefetched by worker_threads that read the dataset from shared memory and transfer each batch back.
import { Worker } from 'node:worker_threads';
import { assembleBatch, type Batch, type BatchSource } from './batch';
import { mixSeed, permutation } from './random';

export interface LoaderOptions {
  batchSize: number;
  shuffle: boolean;
  dropLast: boolean;
  seed: number;
  /** worker threads that prefetch batches; 0 assembles in the calling thread */
  workers: number;
  /** random flip/crop (training only) */
  augment: boolean;
  /** batches kept in flight per worker */
  prefetch?: number;
}

const workerSource = `
const { parentPort } = require('node:worker_threads');
const assembleBatch = (${assembleBatch.toString()});
let src = null;
parentPort.on('message', (m) => {
  if (m.type === 'init') { src = m.src; return; }
  try {
    const b = assembleBatch(src, m.indices, m.epoch, m.augment);
    parentPort.postMessage({ id: m.id, n: b.n, x: b.x, y: b.y }, [b.x.buffer, b.y.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String(error && error.stack || error) });
  }
});
`;

interface Pending {
  resolve: (batch: Batch) => void;
  reject: (error: Error) => void;
}

/** A pool of batch-assembling threads; the dataset's SharedArrayBuffers are shared with them, never copied. */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private turn = 0;

  constructor(count: number, src: BatchSource) {
    for (let k = 0; k < count; k += 1) {
      const worker = new Worker(workerSource, { eval: true });
      worker.unref();
      worker.on('message', (m: { id: number; n: number; x: Batch['x']; y: Batch['y']; error?: string }) => {
        const p = this.pending.get(m.id);
        if (p === undefined) return;
        this.pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(`data loader worker: ${m.error}`));
        else p.resolve({ n: m.n, x: m.x, y: m.y });
      });
      worker.on('error', (error) => {
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
      });
      worker.postMessage({ type: 'init', src });
      this.workers.push(worker);
    }
  }

  request(indices: Int32Array, epoch: number, augment: boolean): Promise<Batch> {
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    return new Promise<Batch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'batch', id, indices, epoch, augment });
    });
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}

export class DataLoader {
  private pool: WorkerPool | null = null;

  constructor(
    readonly src: BatchSource,
    readonly indices: Int32Array,
    readonly options: LoaderOptions,
  ) {
    if (!(options.batchSize >= 1)) throw new Error(`batch size must be >= 1, got ${options.batchSize}`);
  }

  get sampleCount(): number {
    return this.indices.length;
  }

  batchesPerEpoch(): number {
    const n = this.indices.length;
    return this.options.dropLast ? Math.floor(n / this.options.batchSize) : Math.ceil(n / this.options.batchSize);
  }

  /** The sample order of an epoch: a permutation seeded by (seed, epoch), or the index order without shuffle. */
  order(epoch: number): Int32Array {
    return this.options.shuffle ? permutation(this.indices.length, mixSeed(this.options.seed, 0x10ad, epoch), this.indices) : this.indices;
  }

  private batchIndices(order: Int32Array, b: number): Int32Array {
    const bs = this.options.batchSize;
    return order.slice(b * bs, Math.min((b + 1) * bs, order.length));
  }

  /** The batches of `epoch` from batch `start` on (a resumed run starts mid-epoch), in order. */
  async *epoch(epoch: number, start = 0): AsyncGenerator<Batch> {
    const order = this.order(epoch);
    const total = this.batchesPerEpoch();
    const { workers, augment } = this.options;
    if (workers <= 0) {
      for (let b = start; b < total; b += 1) yield assembleBatch(this.src, this.batchIndices(order, b), epoch, augment);
      return;
    }
    this.pool ??= new WorkerPool(workers, this.src);
    const pool = this.pool;
    const depth = workers * (this.options.prefetch ?? 2);
    const inFlight: Promise<Batch>[] = [];
    let next = start;
    const fill = (): void => {
      while (inFlight.length < depth && next < total) inFlight.push(pool.request(this.batchIndices(order, next++), epoch, augment));
    };
    fill();
    while (inFlight.length > 0) {
      const batch = await inFlight.shift()!;
      fill();
      yield batch;
    }
  }

  close(): void {
    this.pool?.close();
    this.pool = null;
  }
}
