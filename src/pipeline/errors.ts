/** A pipeline file that cannot run: every problem found, each as `file:line: key.path: message`. */
import { OnnxpressError } from '../errors.js';
import type { Issue } from './parse.js';

export class PipelineError extends OnnxpressError {
  readonly issues: readonly Issue[];
  readonly pipelineFile: string;

  constructor(displayFile: string, issues: readonly Issue[]) {
    const sorted = [...issues].sort((a, b) => a.line - b.line);
    super('E_PIPELINE', sorted.map((i) => formatIssue(displayFile, i)).join('\n'));
    this.name = 'PipelineError';
    this.issues = sorted;
    this.pipelineFile = displayFile;
  }
}

export function formatIssue(file: string, issue: Issue): string {
  return `${file}:${issue.line}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}
