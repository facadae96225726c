// Public surface of the compiler.
export { compileGraph, planJson, valueName, type CompileOptions, type CompileResult } from './compile';
export { benchCompile, makeBenchGraph, type BenchResult } from './bench';
