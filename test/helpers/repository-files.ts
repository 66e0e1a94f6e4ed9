import { execFileSync } from 'node:child_process';

/** Every tracked or new (not ignored) file of the repository, lock file aside. */
export function repositoryFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => file !== '' && !file.endsWith('package-lock.json'));
}
