// Trainer process entry: answers the host's typed requests and runs training; the native engine is loaded here and only here.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, HostToTrainerSchema, toErrorInfo, type RunMetric } from '../../shared/api';
import { connectToHost, type MetricsPort } from './channel';
import { readEngineInfo } from './engine';
import { compileProject, prepare, TrainingRun } from './run';
import { readWeightsFile } from './checkpoint';
import { matchStateDict, projectFromCheckpoint } from '../../shared/export';
import { parseProject, serializeProject } from '../../shared/graph';
import { previewSplits } from './datasets';
import { exportModel } from './export';

const host = connectToHost();
const runs = new Map<string, TrainingRun>();
/** Desktop: ports to renderer windows, per run; each gets every metric, and the host then gets only what it keeps. */
const metricsPorts = new Map<string, Set<MetricsPort>>();

/** What the host needs of the metrics when a window is attached directly: checkpoints (resumability) and states. */
function forHost(metrics: RunMetric[]): RunMetric[] {
  return metrics.filter((metric) => metric.kind === 'checkpoint' || metric.kind === 'state');
}

/** Metrics go to the run log at once and to the host at most every 50 ms (≤ 20 messages a second). */
function metricSink(runId: string, dir: string): { push(metric: RunMetric): void; flush(): void } {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'metrics.jsonl');
  let buffered: RunMetric[] = [];
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (buffered.length === 0) return;
    const ports = metricsPorts.get(runId);
    if (ports !== undefined && ports.size > 0) {
      for (const port of ports) port.postMessage({ type: 'runMetrics', runId, metrics: buffered });
      const kept = forHost(buffered);
      if (kept.length > 0) host.send({ type: 'runMetrics', runId, metrics: kept });
    } else {
      host.send({ type: 'runMetrics', runId, metrics: buffered });
    }
    buffered = [];
  };
  return {
    push(metric) {
      appendFileSync(log, `${JSON.stringify(metric)}\n`);
      buffered.push(metric);
      timer ??= setTimeout(flush, 50);
    },
    flush,
  };
}

host.onMessage((raw, transferred) => {
  const parsed = HostToTrainerSchema.safeParse(raw);
  if (!parsed.success) {
    console.error(`[trainer] ignoring malformed host message: ${parsed.error.message}`);
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'engineInfo':
      readEngineInfo().then(
        (info) => host.send({ type: 'result', id: message.id, info }),
        (error: unknown) => host.send({ type: 'failure', id: message.id, error: toErrorInfo(error) }),
      );
      return;
    case 'previewDataset': {
      try {
        const { splits } = prepare(message.projectJson, message.baseDir, { requireLoss: false });
        host.send({ type: 'preview', id: message.id, preview: previewSplits(splits, message.count) });
      } catch (error: unknown) {
        host.send({ type: 'failure', id: message.id, error: toErrorInfo(error) });
      }
      return;
    }
    case 'inspectCheckpoint': {
      try {
        const { plan } = compileProject(message.projectJson, { requireLoss: false });
        const report = matchStateDict(plan, readWeightsFile(message.checkpointPath));
        const info = (t: { readonly shape: readonly number[]; readonly dtype: string } | undefined) => (t ? { expected: { shape: [...t.shape], dtype: t.dtype } } : {});
        const keys = report.keys.map((k) => ({
          key: k.key,
          status: k.status,
          ...info(k.expected),
          ...(k.found ? { found: { shape: [...k.found.shape], dtype: k.found.dtype } } : {}),
          ...(k.converted !== undefined ? { converted: k.converted } : {}),
        }));
        host.send({ type: 'importReport', id: message.id, report: { keys, counts: { ...report.counts }, loadable: { ...report.loadable } } });
      } catch (error: unknown) {
        host.send({ type: 'failure', id: message.id, error: toErrorInfo(error) });
      }
      return;
    }
    case 'graphFromCheckpoint': {
      try {
        const graph = projectFromCheckpoint(readWeightsFile(message.checkpointPath), message.answers, { name: message.name, weightsPath: message.checkpointPath });
        const layers = graph.layers.map((l) => ({
          path: l.path, layer: l.layer, source: l.source,
          params: Object.fromEntries(Object.entries(l.params).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])),
          tensors: l.tensors.map((t) => ({ key: t.key, shape: [...t.shape], dtype: t.dtype })),
        }));
        host.send({
          type: 'checkpointGraph', id: message.id,
          graph: {
            projectJson: graph.project ? serializeProject(graph.project) : null, layers,
            questions: graph.questions.map((q) => ({ ...q, choices: [...q.choices] })), notes: [...graph.notes], errors: [...graph.errors],
          },
        });
      } catch (error: unknown) {
        host.send({ type: 'failure', id: message.id, error: toErrorInfo(error) });
      }
      return;
    }
    case 'exportModel': {
      (async () => {
        let project;
        try {
          project = parseProject(message.projectJson).project;
        } catch (error: unknown) {
          throw new ApiError('E_PROJECT_INVALID', error instanceof Error ? error.message : String(error));
        }
        const { files } = await exportModel(project, { to: message.to, weightsPath: message.weightsPath ?? undefined });
        host.send({ type: 'exported', id: message.id, exported: { files } });
      })().catch((error: unknown) => host.send({ type: 'failure', id: message.id, error: toErrorInfo(error) }));
      return;
    }
    case 'startRun': {
      const { runId } = message;
      const sink = metricSink(runId, message.dir);
      const run = new TrainingRun(
        { projectJson: message.projectJson, dir: message.dir, options: message.options, resumeFrom: message.resumeFrom, baseDir: message.baseDir },
        {
          metric: (metric) => sink.push(metric),
          update: (update) => {
            sink.flush();
            host.send({ type: 'runState', runId, ...update });
          },
        },
      );
      runs.set(runId, run);
      void run.run().finally(() => {
        sink.flush();
        runs.delete(runId);
        for (const port of metricsPorts.get(runId) ?? []) port.close();
        metricsPorts.delete(runId);
      });
      return;
    }
    case 'runControl': {
      const run = runs.get(message.runId);
      if (run === undefined) return;
      if (message.action === 'pause') run.pause();
      else if (message.action === 'resume') run.resume();
      else run.stop(message.save);
      return;
    }
    case 'attachMetricsPort': {
      const port = transferred[0];
      if (port === undefined) return;
      const ports = metricsPorts.get(message.runId) ?? new Set<MetricsPort>();
      metricsPorts.set(message.runId, ports);
      ports.add(port);
      // A reloaded or closed window drops its end; stop writing to it.
      port.on('close', () => ports.delete(port));
      port.start();
      return;
    }
    case 'shutdown':
      process.exit(0);
  }
});

// The host going away means nobody will ever ask us anything again.
host.onDisconnect(() => process.exit(0));

host.send({ type: 'hello', pid: process.pid });
