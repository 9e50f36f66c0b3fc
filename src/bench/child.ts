/**
 * Running a command as a child process and measuring it: wall time seen from
 * the parent, and the child's peak resident set size and CPU time.
 *
 * Peak RSS and CPU time come from GNU time (`/usr/bin/time -v`) when it is
 * installed, else from a preloaded module that reports
 * `process.resourceUsage()` as the Node child exits. Every command of a run is wrapped the same way, so the
 * wrapper's small cost is the same for a case and its baseline.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const GNU_TIME = '/usr/bin/time';
const USAGE_MARKER = '@@onnxpress-bench-usage';
const USAGE_REPORTER = `data:text/javascript,${encodeURIComponent(
  `process.on('exit', () => { const u = process.resourceUsage(); ` +
    `process.stderr.write('\\n${USAGE_MARKER} ' + u.maxRSS + ' ' + (u.userCPUTime + u.systemCPUTime) / 1e6 + '\\n'); });`,
)}`;

export interface ChildRun {
  wallSeconds: number;
  /** Peak resident set size of the child, when it could be measured. */
  maxRssBytes: number | undefined;
  /** User plus system CPU time of the child, when it could be measured: less sensitive than wall time to other load. */
  cpuSeconds: number | undefined;
  stdout: string;
}

export type UsageMethod = 'gnu-time' | 'node-resource-usage';

export function usageMethod(): UsageMethod {
  return existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-v', 'true']).status === 0 ? 'gnu-time' : 'node-resource-usage';
}

/** Runs `argv` (argv[0] is the program), throwing with its stderr when it fails. */
export function runChild(argv: readonly string[], method: UsageMethod, cwd?: string): ChildRun {
  let command: string;
  let args: string[];
  if (method === 'gnu-time') {
    command = GNU_TIME;
    args = ['-v', ...argv];
  } else {
    if (argv[0] !== process.execPath) throw new Error(`resource usage without GNU time needs a node child, not ${argv[0]}`);
    command = argv[0];
    args = [`--import=${USAGE_REPORTER}`, ...argv.slice(1)];
  }
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${argv.join(' ')} exited with ${result.status ?? result.signal}:\n${result.stderr}`);
  }
  return { wallSeconds, ...parseUsage(result.stderr, method), stdout: result.stdout };
}

function parseUsage(stderr: string, method: UsageMethod): { maxRssBytes: number | undefined; cpuSeconds: number | undefined } {
  if (method === 'gnu-time') {
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
    const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
    const system = /System time \(seconds\): ([\d.]+)/.exec(stderr);
    return {
      maxRssBytes: rss ? Number(rss[1]) * 1024 : undefined,
      cpuSeconds: user && system ? Number(user[1]) + Number(system[1]) : undefined,
    };
  }
  const match = new RegExp(`${USAGE_MARKER} (\\d+) ([\\d.]+)`).exec(stderr);
  return { maxRssBytes: match ? Number(match[1]) * 1024 : undefined, cpuSeconds: match ? Number(match[2]) : undefined };
}
