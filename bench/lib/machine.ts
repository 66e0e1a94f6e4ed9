// What the figures were measured on, printed and stored with every report.

import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, totalmem, release, platform } from 'node:os';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly nginx?: string;
  readonly commit?: string;
}

export function describeMachine(nginxBinary?: string): MachineInfo {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown';
  let nginx: string | undefined;
  if (nginxBinary !== undefined) {
    // nginx prints its version on stderr.
    const { stderr } = spawnSync(nginxBinary, ['-v'], { encoding: 'utf8' });
    nginx = /nginx\/(\S+)/.exec(stderr)?.[1];
  }
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    // Figures of a working tree with changes are not those of the commit alone.
    if (changed !== '') commit += ' + uncommitted changes';
  } catch {
    commit = undefined;
  }
  return {
    cpu,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    ...(nginx === undefined ? {} : { nginx }),
    ...(commit === undefined ? {} : { commit }),
  };
}
