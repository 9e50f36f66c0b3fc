/** Versions that change what a run computes, for the cache key. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

function versionIn(packageJson: string | URL): string {
  try {
    return String((JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: string }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

let cached: { onnxpress: string; onnxruntime: string } | undefined;

export function toolVersions(): { onnxpress: string; onnxruntime: string } {
  if (!cached) {
    let ortPackage: string | undefined;
    try {
      ortPackage = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    } catch {
      ortPackage = undefined;
    }
    cached = {
      // src/pipeline/ and dist/pipeline/ both sit two levels below the package root.
      onnxpress: versionIn(new URL('../../package.json', import.meta.url)),
      onnxruntime: ortPackage ? versionIn(ortPackage) : 'unknown',
    };
  }
  return cached;
}
