/**
 * Operator set domains. The default ONNX domain is written '' (or left out) in most models and 'ai.onnx' in some;
 * both mean the same operator set, so code compares domains through these helpers, never against the strings.
 */

/** Whether `domain` names the default ONNX operator set: '', absent, or 'ai.onnx'. */
export function isDefaultDomain(domain: string | undefined): boolean {
  return !domain || domain === 'ai.onnx';
}

/** The domain with the default ONNX domain spelled '' (absent and 'ai.onnx' become ''); other domains unchanged. */
export function normalizeDomain(domain: string | undefined): string {
  return !domain || domain === 'ai.onnx' ? '' : domain;
}
