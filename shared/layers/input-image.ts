// Input node for images: a batch [N, C, H, W].
import { intParam, ok } from './helpers';
import { inputSpec } from './input-factory';

export const inputImage = inputSpec({
  id: 'input.Image',
  title: 'Image input',
  summary: 'Images: a batch [N, C, H, W]',
  doc: `A batch of images, shape \`[N, channels, height, width]\` (float).

PyTorch: \`x = torch.randn(64, 1, 28, 28)\` — one Fashion-MNIST batch.`,
  defaultName: 'x',
  params: [
    intParam('channels', 1, 'colour channels (1 grey, 3 RGB)', { min: 1, notTorch: true }),
    intParam('height', 28, 'image height in pixels', { min: 1, notTorch: true }),
    intParam('width', 28, 'image width in pixels', { min: 1, notTorch: true }),
  ],
  infer: (params) =>
    ok({ out: { shape: ['N', params.int('channels'), params.int('height'), params.int('width')], kind: 'float' } }),
});
