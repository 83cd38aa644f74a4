import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Config } from '../common/config';
import { HttpProblem } from './problem';

/**
 * Credentials are compared in constant time: both sides are hashed first, so the comparison runs over equal-length
 * digests whatever was presented, and neither the content nor the length of the secret leaks through timing.
 */
export function secretEquals(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

type Credentials = { scheme: 'basic'; user: string; password: string } | { scheme: 'bearer'; token: string };

export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (!header) return undefined;
  const match = /^(\S+)\s+(.+)$/.exec(header.trim());
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!.trim();
  if (scheme === 'bearer') return { scheme: 'bearer', token: value };
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

/** BwP authenticates webhooks with HTTP Basic (or a bearer token when one is configured), as set up in its event subscription. */
export function webhookAuth(config: Config): RequestHandler {
  return (req, _res, next) => {
    const creds = parseAuthorization(req.headers.authorization);
    let ok = false;
    if (creds?.scheme === 'basic') {
      // Both halves are always compared, so a wrong user name takes as long as a wrong password.
      const userOk = secretEquals(creds.user, config.WEBHOOK_BASIC_USER);
      const passwordOk = secretEquals(creds.password, config.WEBHOOK_BASIC_PASSWORD);
      ok = userOk && passwordOk;
    } else if (creds?.scheme === 'bearer' && config.WEBHOOK_BEARER_TOKEN) {
      ok = secretEquals(creds.token, config.WEBHOOK_BEARER_TOKEN);
    }
    if (!ok) {
      next(
        new HttpProblem(
          'unauthorized',
          'Send the webhook credentials configured for Buy with Prime (HTTP Basic, or a bearer token).',
          {
            errors: [
              { field: 'header.authorization', message: creds ? 'credentials not accepted' : 'missing credentials' },
            ],
            headers: { 'WWW-Authenticate': 'Basic realm="bwp-webhooks", charset="UTF-8"' },
          },
        ),
      );
      return;
    }
    next();
  };
}

/** Operator routes: `Authorization: Bearer <API_OPERATOR_TOKEN>`. */
export function operatorAuth(config: Config): RequestHandler {
  return (req, _res, next) => {
    const creds = parseAuthorization(req.headers.authorization);
    if (creds?.scheme !== 'bearer' || !secretEquals(creds.token, config.API_OPERATOR_TOKEN)) {
      next(
        new HttpProblem(
          'unauthorized',
          creds ? 'The operator token is not valid.' : 'Send the operator token as `Authorization: Bearer <token>`.',
          {
            errors: [
              { field: 'header.authorization', message: creds ? 'invalid operator token' : 'missing bearer token' },
            ],
            headers: { 'WWW-Authenticate': 'Bearer realm="refund-operators"' },
          },
        ),
      );
      return;
    }
    next();
  };
}
