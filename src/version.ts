import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from './package-root.ts';

/** The package version, read once from package.json. */
export const VERSION: string = readVersion();

function readVersion(): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8'));
    const version =
      typeof parsed === 'object' && parsed !== null && 'version' in parsed ? parsed.version : '';
    return typeof version === 'string' && /^[\w.+-]{1,64}$/.test(version) ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
