#!/usr/bin/env node
// Regenerates the version converter's tables of docs/conformance.md from a run of the ONNX backend node tests:
//   node scripts/upgrade-conformance.mjs
// (the same run as test/passes/version/conformance.test.ts, which then checks the tables it wrote).
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = spawnSync('npx', ['vitest', 'run', 'test/passes/version/conformance.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ONNXPRESS_WRITE_UPGRADE_CONFORMANCE: '1' },
});
process.exit(run.status ?? 1);
