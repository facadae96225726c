// Graph error codes and machine-applicable fixes; every error names its node/port and says what to do.
import type { ParamValue, Params } from '../layers/spec';

export const graphErrorCodes = [
  'E_UNKNOWN_LAYER', // a node names a layer id this version does not know
  'E_UNKNOWN_PORT', // an edge names a node or port that does not exist
  'E_CYCLE', // the edges form a loop
  'E_PORT_UNCONNECTED', // a required input port has no edge
  'E_PORT_MULTIPLE_EDGES', // two edges end in the same input port
  'E_RANK_MISMATCH', // an input has the wrong number of dims
  'E_SHAPE_MISMATCH', // sizes disagree (both shapes are in the message)
  'E_SHAPE_TOO_SMALL', // a kernel or window is bigger than its input
  'E_SHAPE_SYMBOLIC', // a fixed size is needed where the input has a symbolic dim
  'E_KIND_MISMATCH', // float features where int64 indices are needed, or the reverse
  'E_PARAM_TYPE', // a param has the wrong type or is missing
  'E_PARAM_RANGE', // a param is outside its bounds
  'E_PARAM_CONSTRAINT', // params disagree with each other or with the input (divisibility, dims)
  'E_PORT_PAIR', // ports that must be connected together (LSTM h0 and c0)
  'E_NO_INPUT', // the graph has no input node
  'E_NO_LOSS', // the graph has no loss node to train
  'E_LOSS_AMBIGUOUS', // several loss nodes and the training settings pick none (or a non-loss node)
  'E_DUPLICATE_NAME', // two modules would get the same PyTorch name
  'E_GROUP_INVALID', // a group's parent or a node's group does not exist, or groups nest in a loop
  'E_GROUP_NOT_CHAIN', // an nn.Sequential group is not a single chain of modules
  'E_ROOT_NOT_CHAIN', // the model is an nn.Sequential (graph.root) but its layers are not one chain from one input
] as const;
export type GraphErrorCode = (typeof graphErrorCodes)[number];

export type Fix =
  | { readonly kind: 'set-param'; readonly node: string; readonly param: string; readonly value: ParamValue }
  | { readonly kind: 'unpin-param'; readonly node: string; readonly param: string }
  | { readonly kind: 'insert-node'; readonly layer: string; readonly between: readonly [string, string]; readonly edge: string; readonly params?: Params }
  | { readonly kind: 'add-node'; readonly layer: string; readonly params?: Params; readonly connectTo: { readonly node: string; readonly port: string } }
  | { readonly kind: 'remove-edge'; readonly edge: string }
  | { readonly kind: 'remove-node'; readonly node: string }
  | { readonly kind: 'rename-node'; readonly node: string; readonly name: string }
  | { readonly kind: 'set-training-loss'; readonly node: string }
  | { readonly kind: 'set-root'; readonly root: 'module' | 'sequential' };

export interface GraphError {
  readonly code: GraphErrorCode;
  readonly message: string;
  readonly node?: string;
  readonly port?: string;
  readonly edge?: string;
  readonly fixes: readonly Fix[];
}

export function graphError(code: GraphErrorCode, message: string, where: { node?: string; port?: string; edge?: string } = {}, fixes: readonly Fix[] = []): GraphError {
  return { code, message, ...where, fixes };
}
