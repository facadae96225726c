// Proves the folder layering rule (tools/eslint/layers.js) fires through the real ESLint config, and only when it should.
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  if (result === undefined) throw new Error('ESLint returned no result');
  return result.messages.filter((message) => message.ruleId === 'netwright/layers').map((message) => message.message);
}

describe('netwright/layers', () => {
  const bad: [string, string][] = [
    ['renderer/x.ts', "import '../native/ts/index';\n"],
    ['renderer/x.ts', "export const load = () => import('../native/ts/index');\n"],
    ['renderer/x.ts', "import '../main/host/host';\n"],
    ['renderer/x.ts', "import 'electron';\n"],
    ['shared/x.ts', "import 'node:fs';\n"],
    ['shared/x.ts', "import 'fs';\n"],
    ['shared/x.ts', "import 'react';\n"],
    ['shared/api/x.ts', "import '../../renderer/App';\n"],
    ['main/preload/x.ts', "import '../host';\n"],
    ['main/app/x.ts', "import '../../native/ts/index';\n"],
    ['main/host/x.ts', "import '../trainer/engine';\n"],
    ['main/web/x.ts', "import '../../native/ts/index';\n"],
    ['main/cli/x.ts', "import '../../native/ts/index';\n"],
  ];
  it.each(bad)('rejects %s: %s', async (file, code) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^E_LAYER: /);
  });

  const good: [string, string][] = [
    ['renderer/x.ts', "import '../shared/api';\nimport '@xyflow/react';\nimport 'react';\n"],
    ['shared/api/x.ts', "import './engine';\nimport 'zod';\n"],
    ['main/preload/x.ts', "import 'electron';\nimport '../../shared/api/methods';\n"],
    ['main/app/x.ts', "import 'electron';\nimport '../host';\nimport 'node:path';\n"],
    ['main/web/x.ts', "import 'ws';\nimport '../host';\nimport 'node:http';\n"],
    ['main/cli/x.ts', "import '../trainer/engine';\n"],
    ['main/trainer/x.ts', "import '../../native/ts/index';\n"],
    ['tests/unit/x.ts', "import '../../native/ts/index';\nimport 'node:fs';\n"],
  ];
  it.each(good)('accepts %s: %s', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });

  it('names the offending import and the allowed folders', async () => {
    const [message] = await layerErrors('renderer/x.ts', "import '../native/ts/index';\n");
    expect(message).toContain('native/ts/index');
    expect(message).toContain('shared/');
  });
});
