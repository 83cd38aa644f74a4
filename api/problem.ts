import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { Problem } from '../domain/problems';

/**
 * RFC 9457 problem details: every error the API answers has this shape and the `application/problem+json` type.
 * `errors` names each field at fault and why, so a client can fix its request without reading logs.
 */

export const FieldError = z.object({
  field: z
    .string()
    .describe('Where the fault is: a JSON path in the body (`resources.0`), a query parameter, or a header.'),
  message: z.string(),
  code: z
    .string()
    .optional()
    .describe('A stable problem code, when the fault is a refund rule (e.g. NOT_ENOUGH_ITEMS_LEFT_TO_REFUND).'),
});
export type FieldError = z.infer<typeof FieldError>;

export const ProblemBody = z.object({
  type: z.string().describe('A URI naming the kind of problem; stable, safe to switch on.'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  errors: z.array(FieldError).optional(),
  problems: z
    .array(Problem)
    .optional()
    .describe('The refund rules the request broke, as the workflow reports them (422, 409).'),
});
export type ProblemBody = z.infer<typeof ProblemBody>;

/** The kinds of problem this API reports, by HTTP status. One place, so types and titles never drift. */
export const PROBLEMS = {
  malformedJson: { status: 400, type: 'malformed-json', title: 'The request body is not valid JSON' },
  invalidRequest: { status: 400, type: 'invalid-request', title: 'The request is invalid' },
  unauthorized: { status: 401, type: 'unauthorized', title: 'Authentication required' },
  forbidden: { status: 403, type: 'forbidden', title: 'Your role does not allow this' },
  notFound: { status: 404, type: 'not-found', title: 'Not found' },
  notAllowed: { status: 409, type: 'not-allowed', title: 'The refund is not waiting for this action' },
  /** A refund just started has not read its order yet: a state of the refund, not an outage (see Retry-After). */
  notReady: { status: 409, type: 'not-ready', title: 'The refund is not ready yet' },
  /** The same Idempotency-Key with another operator, route, refund or body (Stripe's rule): nothing was done. */
  keyReused: { status: 409, type: 'idempotency-key-reused', title: 'The Idempotency-Key was used for another request' },
  tooLarge: { status: 413, type: 'payload-too-large', title: 'The request body is too large' },
  unsupportedMediaType: { status: 415, type: 'unsupported-media-type', title: 'The request body must be JSON' },
  invalidRepair: { status: 422, type: 'invalid-repair', title: 'The repair was not accepted' },
  tooManyRequests: { status: 429, type: 'too-many-requests', title: 'Too many requests' },
  unavailable: { status: 503, type: 'unavailable', title: 'A dependency is unavailable' },
  internal: { status: 500, type: 'internal', title: 'Internal error' },
} as const;
export type ProblemKind = keyof typeof PROBLEMS;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Thrown by routes and middleware; turned into a problem response by the one error handler. */
export interface ProblemExtras {
  errors?: FieldError[];
  problems?: Problem[];
  headers?: Record<string, string>;
}

export class HttpProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }

  get status(): number {
    return PROBLEMS[this.kind].status;
  }
}

export function problemBody(
  kind: ProblemKind,
  detail: string,
  extras: Omit<ProblemExtras, 'headers'> = {},
  instance?: string,
): ProblemBody {
  const p = PROBLEMS[kind];
  return {
    type: `/problems/${p.type}`,
    title: p.title,
    status: p.status,
    detail,
    ...(instance ? { instance } : {}),
    ...(extras.errors ? { errors: extras.errors } : {}),
    ...(extras.problems ? { problems: extras.problems } : {}),
  };
}

/** Domain problems as field errors: the field they concern (or the line item), the message and the stable code. */
export function problemsAsFieldErrors(problems: readonly Problem[], where = 'body'): FieldError[] {
  return problems.map((p) => ({
    field: p.field ? `${where}.${p.field}` : p.lineItemId ? `${where}.lines[lineItemId=${p.lineItemId}]` : where,
    message: p.message,
    code: p.code,
  }));
}

/**
 * A zod error as field errors: `where` prefixes the path (`body`, `query`, `header`). An unknown key is named as the
 * field itself (`body.totl`), so a typo is found at once instead of being silently dropped.
 */
export function fieldErrors(error: z.ZodError, where?: string): FieldError[] {
  const at = (path: readonly PropertyKey[]) => {
    const p = path.map(String).join('.');
    return where ? (p ? `${where}.${p}` : where) : p || 'body';
  };
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: at([...issue.path, key]), message: 'is not a known field' }))
      : [{ field: at(issue.path), message: issue.message }],
  );
}

/** Parses `value` with `schema` or throws a 400 problem naming each field and why. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, where: string, detail: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpProblem('invalidRequest', detail, { errors: fieldErrors(result.error, where) });
}

/** body-parser errors carry a `type`; these are the client's fault and get a 4xx, never a 5xx. */
interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return (
    err instanceof Error &&
    typeof (err as BodyParserError).type === 'string' &&
    typeof (err as BodyParserError).status === 'number'
  );
}

/** Errors of express and its helpers that carry a 4xx `status` (http-errors style) and are safe to show. */
function clientStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, expose } = err as { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose !== false ? status : undefined;
}

function toProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  // A path segment that is not valid percent-encoding (`/refunds/%E0%A4%A`): express's router says URIError.
  if (err instanceof URIError) {
    return new HttpProblem('invalidRequest', 'The path is not valid percent-encoding (RFC 3986).', {
      errors: [{ field: 'path', message: 'must be valid percent-encoded UTF-8' }],
    });
  }
  if (isBodyParserError(err)) {
    switch (err.type) {
      case 'entity.parse.failed':
        return new HttpProblem(
          'malformedJson',
          `The body could not be parsed as JSON: ${err.message}. Nothing was started or changed.`,
          {
            errors: [{ field: 'body', message: err.message }],
          },
        );
      case 'entity.too.large':
        return new HttpProblem('tooLarge', `The body exceeds the limit of ${err.limit ?? '?'} bytes.`);
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return new HttpProblem('unsupportedMediaType', err.message);
      case 'request.aborted':
      case 'request.size.invalid':
      case 'stream.encoding.set':
        return new HttpProblem('invalidRequest', err.message);
    }
  }
  const status = clientStatusOf(err);
  if (status !== undefined) {
    const kind =
      (Object.keys(PROBLEMS) as ProblemKind[]).find((k) => PROBLEMS[k].status === status) ?? 'invalidRequest';
    return new HttpProblem(kind, err instanceof Error ? err.message : 'The request is invalid.');
  }
  return undefined;
}

/** The one error handler: known problems as they are, the client's body faults as 4xx, anything else a logged 500. */
export function problemHandler(): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const problem = toProblem(err);
    if (problem) {
      for (const [name, value] of Object.entries(problem.extras.headers ?? {})) res.setHeader(name, value);
      // pino-http logs the answer; attach the detail so the log line says why.
      res.locals.problem = { kind: problem.kind, detail: problem.detail };
      res
        .status(problem.status)
        .type(PROBLEM_CONTENT_TYPE)
        .send(JSON.stringify(problemBody(problem.kind, problem.detail, problem.extras, req.originalUrl)));
      return;
    }
    // Unexpected: the log gets the error (pino-http's `err`), the client a neutral message.
    res.err = err instanceof Error ? err : new Error(String(err));
    req.log?.error({ err }, 'unhandled error');
    res
      .status(500)
      .type(PROBLEM_CONTENT_TYPE)
      .send(
        JSON.stringify(
          problemBody('internal', 'Something went wrong on our side; it has been logged.', undefined, req.originalUrl),
        ),
      );
  };
}

/** Unknown routes get a problem too (express's default is an HTML page). */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpProblem('notFound', `No route for ${req.method} ${req.path}.`));
};
