/** WebGPU errors a browser page logged fail the run (E_RUNTIME, exit 2) unless --allow-console-errors keeps it. */
import { describe, expect, it } from 'vitest';
import type { SessionRunner } from '../../src/runtime/runners.js';
import { refuseConsoleErrors } from '../../src/validate/validate.js';

/** Only what refuseConsoleErrors reads of a runner: its label, its model and the console errors its page logged. */
function runner(label: string, errors: string[]): SessionRunner {
  return { label, modelPath: `/models/${label}.onnx`, consoleErrors: () => errors } as unknown as SessionRunner;
}

describe('refuseConsoleErrors', () => {
  const logged = Array.from({ length: 5 }, (_, i) => `[Invalid ShaderModule] error ${i}`);

  it('fails the run naming the model, the count and the first errors', () => {
    let error: unknown;
    try {
      refuseConsoleErrors([runner('baseline', []), runner('candidate', logged)], false);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'E_RUNTIME', file: '/models/candidate.onnx' });
    const message = (error as Error).message;
    expect(message).toContain("the candidate model's browser page reported 5 WebGPU error(s)");
    expect(message).toContain('error 0 | [Invalid ShaderModule] error 1 | [Invalid ShaderModule] error 2 | …');
    expect(message).toContain('--allow-console-errors');
  });

  it('keeps the run with --allow-console-errors, and when no page logged any', () => {
    expect(() => refuseConsoleErrors([runner('candidate', logged)], true)).not.toThrow();
    expect(() => refuseConsoleErrors([runner('baseline', []), runner('candidate', [])], false)).not.toThrow();
  });
});
