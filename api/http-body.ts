import type { Request } from 'express';
import { HttpProblem } from './problem';

/** A JSON body is required: without `Content-Type: application/json` express leaves it undefined. */
export function requireJsonBody(req: Request): unknown {
  if (req.body === undefined) {
    throw new HttpProblem('unsupportedMediaType', 'Send a JSON body with `Content-Type: application/json`.', {
      errors: [{ field: 'header.content-type', message: 'must be application/json' }],
    });
  }
  return req.body as unknown;
}

/** Bodies that may be left out entirely (cancel's note is optional): absent means {}. */
export function optionalJsonBody(req: Request): unknown {
  if (req.body !== undefined) return req.body as unknown;
  const length = Number(req.get('content-length') ?? 0);
  if (length > 0 || req.get('transfer-encoding')) return requireJsonBody(req);
  return {};
}
