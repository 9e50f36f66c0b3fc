/**
 * The validation runner as pipelines load it (src/pipeline/validator.ts): `validate(request)` with the pipeline's
 * request shape, mapped onto validate.ts.
 */
import type { ValidateRequest } from '../pipeline/validator.js';
import type { ValidationResult } from './types.js';
import { validate as validateModels } from './validate.js';

export function validate(request: ValidateRequest): Promise<ValidationResult> {
  const { inputs, latency } = request;
  return validateModels({
    baseline: request.baseline.path,
    baselineName: request.baseline.name,
    candidate: request.candidate.path,
    candidateName: request.candidate.name,
    kind: request.kind,
    thresholds: request.thresholds,
    defaultThresholds: false,
    ...(inputs.source === 'test-data' ? { inputs: [inputs.dir] } : { seed: inputs.seed }),
    dims: request.dims,
    ...(request.labels !== undefined ? { labels: request.labels } : {}),
    latency: latency === false ? false : { ...(latency.warmup !== undefined ? { warmup: latency.warmup } : {}), ...(latency.rounds !== undefined ? { iterations: latency.rounds } : {}) },
    providers: [request.executionProvider],
  });
}
