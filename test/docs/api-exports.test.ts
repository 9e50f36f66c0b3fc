/**
 * docs/api.md names only what src/index.ts exports, and documents every runtime export; the runtime exports are
 * pinned here, so a change to the public API is a deliberate edit of this list (and of the doc).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/corpus.js';

const INDEX = path.join(REPO_ROOT, 'src/index.ts');

const PUBLIC_API = [
  'AttrType',
  'Attribute',
  'BUILT_IN_CONVERSIONS',
  'CastCleanupPass',
  'ConversionRegistry',
  'DEFAULT_BLOCK_RULES',
  'DEFAULT_THRESHOLDS',
  'DataType',
  'Fp16Pass',
  'Graph',
  'Model',
  'Node',
  'OnnxFunction',
  'OnnxpressError',
  'PassBase',
  'PassError',
  'PassManager',
  'PipelineError',
  'QuantizeDynamicPass',
  'QuantizeNBitsPass',
  'Sequential',
  'Tensor',
  'UpgradeOpsetPass',
  'Value',
  'accuracy',
  'applyConversions',
  'bfloat16ToFloat32',
  'blockRuleFor',
  'buildSummary',
  'buildValidationResult',
  'builtInConversions',
  'byteSizeOf',
  'cleanupCasts',
  'compareOutputs',
  'compareReports',
  'computeQuantParams',
  'convertFile',
  'convertModel',
  'dataTypeInfo',
  'dataTypeName',
  'dimsOf',
  'elemTypeOf',
  'exitCodeFor',
  'externalDataError',
  'float16ToFloat32',
  'float32ToBfloat16',
  'float32ToFloat16',
  'float32ToFloat16Clamped',
  'formatType',
  'fromOrtTensor',
  'graphSorted',
  'inferKind',
  'inputError',
  'isKnownDataType',
  'isOnnxpressError',
  'loadConversionModule',
  'loadInputs',
  'loadModel',
  'makeVariants',
  'loadPipeline',
  'loadTestDataSet',
  'measureActivations',
  'measureForAutoBlock',
  'mergeSummaries',
  'modelError',
  'modelInputs',
  'modelToBytes',
  'nodeReads',
  'normalizeValidateOptions',
  'outputPaths',
  'parseError',
  'parseModel',
  'parseNpy',
  'parsePipeline',
  'parseReport',
  'parseShard',
  'parseThreshold',
  'passError',
  'pipelineError',
  'planPipeline',
  'quantizeDynamic',
  'quantizeNBits',
  'quantizeTensor',
  'readError',
  'readLabels',
  'readNpyFile',
  'readTensorFile',
  'renderHtml',
  'renderJUnit',
  'renderJson',
  'renderMarkdown',
  'resolveThresholds',
  'runPipeline',
  'runtimeError',
  'saveModel',
  'sortTopologically',
  'summarizeModel',
  'summarizePasses',
  'synthesizeInputs',
  'tensorType',
  'timeoutError',
  'toFloat16',
  'toOrtTensor',
  'tooLargeError',
  'topologicalOrder',
  'upgradeOpset',
  'usageError',
  'validate',
  'withElemType',
  'writeError',
  'writeReports',
];

interface DocName {
  name: string;
  type: boolean;
  group: string;
}

/** The names in the `<!-- exports: GROUP -->` lists of docs/api.md: `- \`name(...)\`` items and `*type* \`Name\`` mentions. */
function documentedNames(): DocName[] {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs/api.md'), 'utf8');
  const names: DocName[] = [];
  for (const block of doc.matchAll(/<!-- exports: ([\w-]+) -->\n([\s\S]*?)<!-- \/exports -->/g)) {
    const [, group, body] = block;
    for (const m of body!.matchAll(/^- `([A-Za-z_$][\w$]*)/gm)) names.push({ name: m[1]!, type: false, group: group! });
    for (const m of body!.matchAll(/\*type\* `([A-Za-z_$][\w$]*)`/g)) names.push({ name: m[1]!, type: true, group: group! });
  }
  return names;
}

/** Every name src/index.ts exports, types included, as the TypeScript compiler resolves them. */
function compilerExports(): Set<string> {
  const program = ts.createProgram([INDEX], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!;
  return new Set(checker.getExportsOfModule(moduleSymbol).map((s) => s.getName()));
}

describe('the public API', () => {
  it('is the pinned list of runtime exports', async () => {
    const index = await import('../../src/index.js');
    expect(Object.keys(index).sort(), 'src/index.ts changed its runtime exports: update PUBLIC_API here and docs/api.md').toEqual(
      [...PUBLIC_API].sort(),
    );
  });

  it('docs/api.md names only exported things, values as values', async () => {
    const names = documentedNames();
    expect(new Set(names.map((n) => n.group))).toEqual(new Set(['io', 'conversions', 'validation', 'reports', 'pipelines']));
    const runtime = new Set(Object.keys(await import('../../src/index.js')));
    const all = compilerExports();
    for (const { name, type } of names) {
      if (type) expect(all.has(name), `docs/api.md: type ${name} is not exported by src/index.ts`).toBe(true);
      else expect(runtime.has(name), `docs/api.md: ${name} is not a runtime export of src/index.ts`).toBe(true);
    }
  });

  it('docs/api.md documents every runtime export exactly once', () => {
    const values = documentedNames()
      .filter((n) => !n.type)
      .map((n) => n.name);
    const repeated = values.filter((n, i) => values.indexOf(n) !== i);
    expect(repeated).toEqual([]);
    expect([...values].sort()).toEqual([...PUBLIC_API].sort());
  });
});
