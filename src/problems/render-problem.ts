import { PROBLEMS, problemType, type ProblemCode } from './catalog.ts';
import type { FieldError, ProblemError, UpstreamSummary } from './problem-error.ts';
import { boundLength } from '../text/scrub-text.ts';

/** RFC 9457 problem details as Rescind sends them (docs/api.md "Errors"). */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail?: string;
  instance?: string;
  requestId?: string;
  auditId?: string;
  upstream?: UpstreamSummary;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Upstream messages are the cloud's words; cap them so a huge one cannot bloat a response. */
export const MAX_UPSTREAM_MESSAGE_CHARS = 1024;

export interface RenderContext {
  readonly instance?: string;
  readonly requestId?: string;
  readonly auditId?: string;
}

export function renderProblem(problem: ProblemError, context: RenderContext): ProblemBody {
  const definition = PROBLEMS[problem.code];
  const body: ProblemBody = {
    type: problemType(problem.code),
    title: definition.title,
    status: definition.status,
    code: problem.code,
  };
  if (problem.detail !== undefined) body.detail = problem.detail;
  if (context.instance !== undefined) body.instance = context.instance;
  if (context.requestId !== undefined) body.requestId = context.requestId;
  if (context.auditId !== undefined) body.auditId = context.auditId;
  if (problem.upstream !== undefined) body.upstream = capUpstream(problem.upstream);
  if (problem.errors !== undefined && problem.errors.length > 0) body.errors = [...problem.errors];
  return body;
}

function capUpstream(upstream: UpstreamSummary): UpstreamSummary {
  if (upstream.message === undefined || upstream.message.length <= MAX_UPSTREAM_MESSAGE_CHARS) {
    return upstream;
  }
  return { ...upstream, message: boundLength(upstream.message, MAX_UPSTREAM_MESSAGE_CHARS) };
}
