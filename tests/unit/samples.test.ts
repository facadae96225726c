// Every sample project parses, validates, compiles deterministically, round-trips, and has the PyTorch names of the notes.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileGraph, planJson } from '../../shared/compile/index';
import { parseProject, serializeProject } from '../../shared/graph/index';

const folder = new URL('../../samples/', import.meta.url);
const files = readdirSync(folder).filter((file) => file.endsWith('.json')).sort();

function compileSample(file: string) {
  const { project } = parseProject(readFileSync(new URL(file, folder), 'utf8'));
  const result = compileGraph(project.graph, { dtype: project.training.dtype, lossNode: project.training.loss });
  if (!result.ok) throw new Error(`${file}: ${result.errors.map((error) => `${error.code} ${error.message}`).join('\n')}`);
  return { project, plan: result.plan };
}

describe('samples', () => {
  it('include every model of the notes', () => {
    expect(files).toEqual(['attention-classifier.json', 'char-lstm.json', 'conv-batchnorm.json', 'gru-classifier.json', 'lenet.json', 'linear-regression.json', 'mlp-fashion-mnist.json', 'two-moons.json']);
  });

  it.each(files)('%s validates, compiles deterministically and round-trips', (file) => {
    const text = readFileSync(new URL(file, folder), 'utf8');
    const { project, migrations } = parseProject(text);
    expect(migrations).toEqual([]);
    expect(serializeProject(project)).toBe(text);
    const first = compileSample(file);
    const second = compileSample(file);
    expect(planJson(second.plan)).toBe(planJson(first.plan));
    expect(first.plan.loss).not.toBeNull();
  });

  it('LeNet has the notes’ Net state_dict', () => {
    const { plan } = compileSample('lenet.json');
    expect(plan.tensors.map((tensor) => `${tensor.key} ${JSON.stringify(tensor.shape)}`)).toEqual([
      'conv1.weight [6,1,5,5]',
      'conv1.bias [6]',
      'conv2.weight [16,6,5,5]',
      'conv2.bias [16]',
      'fc1.weight [120,400]',
      'fc1.bias [120]',
      'fc2.weight [84,120]',
      'fc2.bias [84]',
      'fc3.weight [10,84]',
      'fc3.bias [10]',
    ]);
  });

  it('the Conv+BatchNorm Sequential uses nn.Sequential indices as key prefixes', () => {
    const { plan } = compileSample('conv-batchnorm.json');
    expect(plan.tensors.map((tensor) => tensor.key)).toEqual(
      expect.arrayContaining(['net.0.weight', 'net.3.running_mean', 'net.3.num_batches_tracked', 'net.4.weight', 'net.6.running_var']),
    );
    expect(plan.tensors.find((tensor) => tensor.key === 'net.3.num_batches_tracked')).toMatchObject({ dtype: 'int64', buffer: true, trainable: false });
  });

  it('linear regression is one Linear(1, 1) against float targets', () => {
    const { plan, project } = compileSample('linear-regression.json');
    expect(plan.tensors.map((tensor) => tensor.key)).toEqual(['linear.weight', 'linear.bias']);
    expect(plan.targets).toEqual([{ name: 'y', shape: [null, 1], dtype: 'float32' }]);
    expect(project.training.dataset.options).toMatchObject({ slope: 2, intercept: 3 });
  });

  it('the GRU classifier keeps a symbolic sequence length', () => {
    const { plan } = compileSample('gru-classifier.json');
    expect(plan.inputs[0]?.shape).toEqual([null, null, 8]);
  });
});
