// The tables of docs/api.md, rendered from the catalogs: operations, parameter rules, problem
// codes, audit record fields and configuration variables. `npm run docs` rewrites them; a docs
// test fails when docs/api.md and the catalogs disagree.

import {
  AUDIT_OUTCOME_FIELDS,
  AUDIT_RECORD_FIELDS,
  AUDIT_RESULT_MEANINGS,
} from '../audit/audit-record-fields.ts';
import { ENV_VARIABLES } from '../config/env-table.ts';
import { OPERATIONS, type OperationSpec } from '../operations/catalog.ts';
import { PROJECT_ALIAS, type ParamRule } from '../operations/param-rules.ts';
import { PROBLEMS, PROBLEM_CODES, problemType } from '../problems/catalog.ts';
import { markdownTable, renderGeneratedTables, type GeneratedTable } from './generated-tables.ts';
import { routeOf, upstreamCallOf } from './readme-tables.ts';

/** A code span, safe inside a table cell. */
const code = (text: string) => `\`${text.replaceAll('|', '\\|')}\``;

function successOf(operation: OperationSpec): string {
  const statuses = operation.success.statuses.join(' or ');
  const body = operation.success.body === 'none' ? 'no body' : 'a JSON object';
  return `${statuses}, ${body}${operation.success.check ? ' that does not contradict it' : ''}`;
}

function ruleText(rule: ParamRule): string {
  const refused = (rule.forbidden ?? []).map(
    (entry) => `; not ${JSON.stringify(entry.value)} in any letter case`,
  );
  return `${code(rule.pattern.source)}${refused.join('')}`;
}

interface ParameterRow {
  readonly name: string;
  readonly where: string;
  readonly rule: ParamRule;
  readonly routes: string[];
}

function parameterRows(): ParameterRow[] {
  const rows = new Map<string, ParameterRow>();
  for (const operation of OPERATIONS) {
    const params: [string, string, ParamRule][] = [
      ...Object.entries(operation.pathParams).map(([n, r]): [string, string, ParamRule] => [
        n,
        'path',
        r,
      ]),
      ...Object.entries(operation.queryParams).map(([n, r]): [string, string, ParamRule] => [
        n,
        'query',
        r,
      ]),
    ];
    for (const [name, where, rule] of params) {
      const row = rows.get(name) ?? { name, where, rule, routes: [] };
      row.routes.push(code(operation.name));
      rows.set(name, row);
    }
  }
  return [
    ...rows.values(),
    { name: 'project', where: 'query', rule: PROJECT_ALIAS, routes: ['every route'] },
  ];
}

export const API_TABLES: readonly GeneratedTable[] = [
  {
    name: 'api-routes',
    render: () =>
      markdownTable(
        ['route', 'operation (= permission)', 'upstream call', 'token', 'upstream success'],
        OPERATIONS.map((operation) => [
          code(routeOf(operation)),
          code(operation.name),
          code(upstreamCallOf(operation)),
          operation.tokenScope,
          successOf(operation),
        ]),
      ),
  },
  {
    name: 'api-parameters',
    render: () =>
      markdownTable(
        ['parameter', 'in', 'pattern', 'example', 'used by'],
        parameterRows().map((row) => [
          code(row.name),
          row.where,
          ruleText(row.rule),
          code(row.rule.example),
          row.routes.join(', '),
        ]),
      ),
  },
  {
    name: 'api-errors',
    render: () =>
      markdownTable(
        ['status', 'code', 'type', 'title', 'when'],
        PROBLEM_CODES.map((name) => [
          String(PROBLEMS[name].status),
          code(name),
          code(problemType(name)),
          PROBLEMS[name].title,
          PROBLEMS[name].when,
        ]),
      ),
  },
  {
    name: 'api-audit-fields',
    render: () =>
      markdownTable(
        ['field', 'meaning'],
        Object.entries(AUDIT_RECORD_FIELDS).map(([name, meaning]) => [code(name), meaning]),
      ),
  },
  {
    name: 'api-audit-outcome',
    render: () =>
      markdownTable(
        ['`outcome` field', 'meaning'],
        Object.entries(AUDIT_OUTCOME_FIELDS).map(([name, meaning]) => [code(name), meaning]),
      ),
  },
  {
    name: 'api-audit-results',
    render: () =>
      markdownTable(
        ['`result`', 'meaning'],
        Object.entries(AUDIT_RESULT_MEANINGS).map(([name, meaning]) => [code(name), meaning]),
      ),
  },
  {
    name: 'api-config',
    render: () =>
      markdownTable(
        ['variable', 'key in the config file', 'meaning', '`_FILE`'],
        ENV_VARIABLES.map((variable) => [
          code(variable.name),
          code(variable.key.join('.')),
          variable.description,
          variable.secret ? 'secret' : 'yes',
        ]),
      ),
  },
];

/** Returns docs/api.md with every generated table replaced by its current rendering. */
export function renderApiTables(text: string): string {
  return renderGeneratedTables(text, API_TABLES, 'docs/api.md');
}
