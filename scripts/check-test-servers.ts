// The first step of `npm test` after the Node check: are the test servers there? The suite needs
// a real PostgreSQL and Redis; without one, say so at once, with the install hint, instead of
// after minutes of type-checking, linting and tests. A server handed in by URL (as `.ci/run` and
// `npm run test:servers` do) needs no binary here.
import { findPostgresBin, findRedisServer } from '../test/helpers/server-binaries.ts';
import { POSTGRES_URL_VARIABLE, REDIS_URL_VARIABLE } from '../test/helpers/servers.ts';

const problems: string[] = [];
const check = (variable: string, find: () => unknown): void => {
  if (process.env[variable]) return;
  try {
    find();
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
};
check(POSTGRES_URL_VARIABLE, () => findPostgresBin());
check(REDIS_URL_VARIABLE, () => findRedisServer());

if (problems.length > 0) {
  console.error(`The tests need a real PostgreSQL and Redis:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
