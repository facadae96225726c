// Public surface of the file formats: .mdl (torch.save zip + pickle subset), safetensors, and their typed errors.
export * from './errors';
export * from './tensor';
export { crc32, concatChunks, readZip, writeZip, type ZipEntry, type ZipRecord } from './zip';
export { pyDict, pyFloat, pyGlobal, pyTuple, readPickle, writePickle, type PyDict, type PyKey, type PyValue, type PyWritable } from './pickle';
export * from './mdl';
export * from './safetensors';
