// LeNet (samples/lenet.json) on Fashion-MNIST, SGD momentum 0.9 lr 0.05, batch 64, one
// epoch: training samples/s (and test accuracy) of ours vs PyTorch, each at its best
// thread count (1 or 2) and, for PyTorch, its best OpenBLAS core type.
import { imageWorkload } from './convbn-fashion-mnist.mjs';

export default imageWorkload({
  name: 'lenet-fashion-mnist',
  order: 10010,
  ours: 'bench/lenet/netwright.ts',
  reference: 'bench/reference/lenet.py',
  minAccuracy: 0.83,
});
