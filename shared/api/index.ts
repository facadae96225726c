// Public surface of the Api contract (types, schemas, method names, wire messages).
export * from './api';
export * from './app';
export * from './engine';
export * from './errors';
export * from './methods';
export * from './rpc';
export * from './trainer';
export * from './plan';
export * from './interop';
export * from './run';
export * from './steps';
export * from './project';
export * from './menu';
export * from './devices';
