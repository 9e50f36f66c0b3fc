/** What the benchmark ran on, for the report. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type as osType } from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  ramBytes: number;
  node: string;
  os: string;
  commit: string | undefined;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1]!.trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return cpus()[0]?.model.trim() ?? 'unknown';
}

function gitCommit(repoRoot: string): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return dirty.trim() ? `${head} (with uncommitted changes)` : head;
  } catch {
    return undefined;
  }
}

export function machineInfo(repoRoot: string): MachineInfo {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    ramBytes: totalmem(),
    node: process.version,
    os: `${osType()} ${release()}`,
    commit: gitCommit(repoRoot),
  };
}
