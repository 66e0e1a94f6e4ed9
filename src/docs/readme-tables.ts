// The README's tables (routes and errors) are rendered from the catalogs: one source of truth for
// each closed set. `npm run docs` rewrites them between their markers; a docs test fails when the
// README and the catalogs disagree. The configuration variables have their one generated table
// in docs/api.md "Configuration" (src/docs/api-tables.ts).

import { OPERATIONS, type OperationSpec, type UpstreamPlan } from '../operations/catalog.ts';
import { PROBLEMS, PROBLEM_CODES } from '../problems/catalog.ts';
import { renderGeneratedTables, type GeneratedTable } from './generated-tables.ts';

export type ReadmeTable = GeneratedTable;

export const README_TABLES: readonly ReadmeTable[] = [
  {
    name: 'errors',
    render: () =>
      [
        '| status | code | when |',
        '|---|---|---|',
        ...PROBLEM_CODES.map(
          (code) => `| ${PROBLEMS[code].status} | \`${code}\` | ${PROBLEMS[code].when} |`,
        ),
      ].join('\n'),
  },
  {
    name: 'routes',
    render: () =>
      [
        '| route | permission | upstream call |',
        '|---|---|---|',
        ...OPERATIONS.map(
          (operation) =>
            `| \`${routeOf(operation)}\` | \`${operation.name}\` | \`${upstreamCallOf(operation)}\` (${operation.tokenScope} token) |`,
        ),
      ].join('\n'),
  },
];

/** `DELETE /v1/…` with the operation's own query (`?allUsers=true`). */
export function routeOf(operation: OperationSpec): string {
  const query = Object.keys(operation.queryParams)
    .map((name) => `?${name}=true`)
    .join('');
  return `DELETE ${operation.path}${query}`;
}

/** The cloud call an operation makes, with `{project_id}` and `{name}` for its parameters. */
export function upstreamCallOf(operation: OperationSpec): string {
  const plan: UpstreamPlan = operation.upstream({
    projectId: '{project_id}',
    requestId: 'r',
    target: Object.fromEntries(
      [...Object.keys(operation.pathParams), ...Object.keys(operation.queryParams)].map((name) => [
        name,
        `{${name}}`,
      ]),
    ),
  });
  const query = plan.query
    ? `?${Object.entries(plan.query)
        .map(([key, value]) => `${key}=${value}`)
        .join('&')}`
    : '';
  return `${plan.method} ${decodeURIComponent(plan.path)}${query}`;
}

/** Returns the README with every generated table replaced by its current rendering. */
export function renderReadmeTables(readme: string): string {
  return renderGeneratedTables(readme, README_TABLES, 'README');
}
