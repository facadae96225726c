// Layer catalog access: every spec from catalog.ts, in palette order (category, then title), and lookup by id.
import * as catalog from './catalog';
import type { LayerCategory, LayerSpec } from './spec';

/** Palette groups, in the order the palette shows them. */
export const categories: readonly LayerCategory[] = [
  'input',
  'linear',
  'conv',
  'pool',
  'norm',
  'activation',
  'dropout',
  'recurrent',
  'embedding',
  'attention',
  'shape',
  'merge',
  'loss',
];

export const layers: readonly LayerSpec[] = Object.values(catalog).sort(
  (a, b) => categories.indexOf(a.category) - categories.indexOf(b.category) || a.title.localeCompare(b.title),
);

const byId = new Map(layers.map((layer) => [layer.id, layer]));

/** The spec for a layer id, or undefined for an id this version does not know. */
export function layerSpec(id: string): LayerSpec | undefined {
  return byId.get(id);
}

export * from './spec';
export { formatShape } from './helpers';
