// What `npm start` prints when the configuration is invalid: every problem, the file it read, and
// — when nothing at all is configured, as on a first try in a fresh clone — where to begin.

import type { ConfigError } from './config-error.ts';
import { CONFIG_FILE_VARIABLE } from './env-table.ts';
import { DEFAULT_CONFIG_FILE, type Env } from './load-config.ts';

/** The text for stderr: the error's problems, plus a first step when nothing is configured. */
export function explainConfigError(error: ConfigError, env: Env): string {
  const configured = Object.entries(env).some(
    ([name, value]) => name.startsWith('RESCIND_') && value !== undefined && value !== '',
  );
  if (configured || (error.file !== undefined && error.file !== DEFAULT_CONFIG_FILE))
    return `${error.message}\n\`npm run config:check\` lists these problems without starting.`;
  return [
    error.message,
    '',
    `Nothing is configured yet: ${DEFAULT_CONFIG_FILE} holds only defaults. Set the variables`,
    `above (README "Configuration"), or name your own file with ${CONFIG_FILE_VARIABLE}.`,
    'To try Rescind without a cloud account, run `npm run demo`: the gateway against a local',
    'cloud simulator, with a demo caller, printing what to call.',
  ].join('\n');
}
