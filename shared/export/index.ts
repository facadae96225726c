// Public surface of the exporters: PyTorch code (model.py + train.py); ONNX.
export { exportPyTorch, ExportError, EXAMPLE_BATCH, EXAMPLE_SEQUENCE_LENGTH, type PyTorchExport } from './pytorch';
export { formatImportReport, inferSequentialGraph, matchStateDict, projectFromCheckpoint, weightlessLayers, type CheckpointGraph, type CheckpointLayer, type CheckpointTensor, type FromCheckpointOptions, type GraphQuestion, type ImportReport, type InferredGraph, type KeyReport } from './import';
export { exportOnnx, exportProjectOnnx, notExportable, onnxRules, ONNX_OPSET, type OnnxEmitter, type OnnxExportInput, type OnnxRule } from './onnx';
