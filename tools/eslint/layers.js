// ESLint rule `netwright/layers`: which folder may import which (docs/ARCHITECTURE.md §2), checked on resolved paths.
import { builtinModules } from 'node:module';
import path from 'node:path';

/**
 * Areas, most specific first. `imports`: folders (repo-relative) this area may import from; `packages`: npm
 * packages it may use; `builtins`: whether Node builtins are allowed. Files in no area are not checked.
 */
export const areas = [
  { name: 'shared', match: 'shared/', imports: ['shared/'], packages: ['zod'], builtins: false },
  {
    name: 'renderer',
    match: 'renderer/',
    imports: ['renderer/', 'shared/'],
    packages: ['react', 'react-dom', '@xyflow/react', '@dagrejs/dagre', 'recharts', 'zod'],
    builtins: false,
  },
  { name: 'main/preload', match: 'main/preload/', imports: ['main/preload/', 'shared/'], packages: ['electron'], builtins: false },
  // The Electron main calls the host for every IPC request (the host *is* its Api implementation).
  { name: 'main/app', match: 'main/app/', imports: ['main/app/', 'main/host/', 'shared/'], packages: ['electron', 'zod'], builtins: true },
  { name: 'main/host', match: 'main/host/', imports: ['main/host/', 'shared/'], packages: ['zod'], builtins: true },
  { name: 'main/web', match: 'main/web/', imports: ['main/web/', 'main/host/', 'shared/'], packages: ['ws', 'zod'], builtins: true },
  // The CLI reaches the engine only through trainer modules, never native/ directly.
  { name: 'main/cli', match: 'main/cli/', imports: ['main/cli/', 'main/host/', 'main/trainer/', 'shared/'], packages: ['zod'], builtins: true },
  // pngjs and jpeg-js decode image-folder datasets (pure JS, no native parts).
  { name: 'main/trainer', match: 'main/trainer/', imports: ['main/trainer/', 'native/', 'shared/'], packages: ['zod', 'pngjs', 'jpeg-js'], builtins: true },
  { name: 'native', match: 'native/', imports: ['native/', 'shared/'], packages: [], builtins: true },
];

const builtins = new Set(builtinModules);

function toPosix(file) {
  return file.split(path.sep).join('/');
}

/** The npm package name of a bare specifier (`@scope/name/sub` → `@scope/name`). */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Returns an error message, or null when `specifier` may be imported from `fileRel` (repo-relative, posix). */
export function checkImport(fileRel, specifier) {
  const area = areas.find((candidate) => fileRel.startsWith(candidate.match));
  if (area === undefined) return null;
  const allowedFolders = area.imports.join(', ');
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(fileRel), specifier));
    const targetDir = target.endsWith('/') ? target : `${target}/`;
    if (area.imports.some((folder) => targetDir.startsWith(folder) || target.startsWith(folder))) return null;
    return `${area.name} may not import '${specifier}' (resolves to ${target}); it may import only ${allowedFolders}. See docs/ARCHITECTURE.md §2.`;
  }
  if (specifier.startsWith('node:') || builtins.has(specifier) || builtins.has(packageName(specifier))) {
    if (area.builtins) return null;
    return `${area.name} may not import the Node builtin '${specifier}': ${area.name} runs without Node. Move the code to main/ and reach it through the Api.`;
  }
  const name = packageName(specifier);
  if (area.packages.includes(name)) return null;
  const allowed = area.packages.length === 0 ? 'none' : area.packages.join(', ');
  return `${area.name} may not import the package '${name}'; allowed packages: ${allowed}. Folders it may import: ${allowedFolders}.`;
}

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the folder layering of docs/ARCHITECTURE.md §2' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: { layer: 'E_LAYER: {{message}}' },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const fileRel = toPosix(path.relative(root, context.filename));
    const check = (node, source) => {
      if (source === null || source === undefined || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const message = checkImport(fileRel, source.value);
      if (message !== null) context.report({ node, messageId: 'layer', data: { message } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSImportType: (node) => check(node, node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments.length === 1) {
          check(node, node.arguments[0]);
        }
      },
    };
  },
};

export default { rules: { layers: layersRule } };
