import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (two levels up from src/ and dist/). */
export const VERSION: string = readVersion();

function readVersion(): string {
  try {
    const parsed: unknown = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    );
    const version =
      typeof parsed === 'object' && parsed !== null && 'version' in parsed ? parsed.version : '';
    return typeof version === 'string' && /^[\w.+-]{1,64}$/.test(version) ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
