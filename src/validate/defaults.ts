/** Defaults of a validation run, in a module light enough for the CLI to load at start-up. */
export const DEFAULT_THREADS = 2;
export const DEFAULT_WARMUP = 5;
export const DEFAULT_ITERATIONS = 50;
