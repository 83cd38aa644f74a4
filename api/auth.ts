import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Config } from '../common/config';
import type { Logger } from '../common/logger';
import {
  looksLikeOperatorKey,
  roleAllows,
  type OperatorIdentity,
  type OperatorKeyStore,
  type Role,
} from '../common/operator-keys';
import { OidcTokenError, OidcUnavailableError, type OidcVerifier } from './oidc';
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

export type WebhookAuth = RequestHandler;

/**
 * Buy with Prime authenticates webhooks with exactly one scheme, as set up in its event subscription and chosen by
 * WEBHOOK_AUTH: HTTP Basic, or a bearer token. The other scheme is refused, never tried as a fallback.
 */
export function webhookAuth(config: Config): WebhookAuth {
  const basic = config.WEBHOOK_AUTH === 'basic';
  const challenge = basic ? 'Basic realm="bwp-webhooks", charset="UTF-8"' : 'Bearer realm="bwp-webhooks"';
  return (req, _res, next) => {
    const creds = parseAuthorization(req.headers.authorization);
    let ok = false;
    if (basic && creds?.scheme === 'basic') {
      // Both halves are always compared, so a wrong user name takes as long as a wrong password.
      const userOk = secretEquals(creds.user, config.WEBHOOK_BASIC_USER);
      const passwordOk = secretEquals(creds.password, config.WEBHOOK_BASIC_PASSWORD);
      ok = userOk && passwordOk;
    } else if (!basic && creds?.scheme === 'bearer' && config.WEBHOOK_BEARER_TOKEN) {
      ok = secretEquals(creds.token, config.WEBHOOK_BEARER_TOKEN);
    }
    if (ok) {
      next();
      return;
    }
    const expected = basic ? 'HTTP Basic' : 'a bearer token';
    next(
      new HttpProblem('unauthorized', `Send the webhook credentials configured for Buy with Prime (${expected}).`, {
        errors: [
          {
            field: 'header.authorization',
            message: !creds
              ? 'missing credentials'
              : creds.scheme !== config.WEBHOOK_AUTH
                ? `this webhook takes ${expected}`
                : 'credentials not accepted',
          },
        ],
        headers: { 'WWW-Authenticate': challenge },
      }),
    );
  };
}

/** Who is calling, as the credential says; set by operatorAuth, read by routes (the audit trail's operator). */
export function operatorOf(res: Response): OperatorIdentity {
  const identity = res.locals.operator as OperatorIdentity | undefined;
  if (!identity) throw new Error('operatorAuth did not run before this route');
  return identity;
}

const OPERATOR_CHALLENGE = 'Bearer realm="refund-operators"';

/**
 * Operator routes: `Authorization: Bearer <credential>`, either an operator API key (`rok_…`, OPERATOR_KEYS_FILE) or,
 * when OIDC_ISSUER is set, an OpenID Connect token. The identity (name, role) is the credential's; nothing the client
 * says about itself (the old X-Operator header) counts.
 */
export function operatorAuth(deps: { keys: OperatorKeyStore; oidc?: OidcVerifier; logger: Logger }): RequestHandler {
  const unauthorized = (detail: string, message: string) =>
    new HttpProblem('unauthorized', detail, {
      errors: [{ field: 'header.authorization', message }],
      headers: { 'WWW-Authenticate': OPERATOR_CHALLENGE },
    });
  return async (req, res, next) => {
    const creds = parseAuthorization(req.headers.authorization);
    if (creds?.scheme !== 'bearer') {
      next(
        unauthorized(
          'Send your operator API key (or identity-provider token) as `Authorization: Bearer <credential>`.',
          creds ? 'not a bearer credential' : 'missing bearer credential',
        ),
      );
      return;
    }
    let identity: OperatorIdentity | undefined;
    if (looksLikeOperatorKey(creds.token) || !deps.oidc) {
      identity = deps.keys.verify(creds.token);
      if (!identity) {
        next(unauthorized('The operator API key is not valid (unknown or revoked).', 'invalid operator key'));
        return;
      }
    } else {
      try {
        identity = await deps.oidc.verify(creds.token);
      } catch (err) {
        if (err instanceof OidcUnavailableError) {
          deps.logger.warn({ err }, 'OIDC keys unavailable');
          next(
            new HttpProblem('unavailable', 'The identity provider cannot be reached to check the token. Try again.', {
              headers: { 'Retry-After': '5' },
            }),
          );
          return;
        }
        const reason = err instanceof OidcTokenError ? err.message : 'not a valid token';
        next(unauthorized(`The token was not accepted: ${reason}.`, 'invalid token'));
        return;
      }
    }
    res.locals.operator = identity;
    req.log?.setBindings?.({ operator: { name: identity.name, role: identity.role, via: identity.via } });
    next();
  };
}

/** A route's least role: viewer reads, operator acts on refunds, admin cancels. */
export function requireRole(needed: Role): RequestHandler {
  return (_req, res, next) => {
    const who = operatorOf(res);
    if (roleAllows(who.role, needed)) {
      next();
      return;
    }
    next(
      new HttpProblem('forbidden', `This needs the ${needed} role; ${who.name} has ${who.role}.`, {
        errors: [{ field: 'header.authorization', message: `role ${who.role} may not do this (needs ${needed})` }],
      }),
    );
  };
}

/**
 * Failed authentication (401) is limited per client address (express-rate-limit): after AUTH_FAILURE_LIMIT failures in
 * AUTH_FAILURE_WINDOW_SECONDS every request from that address gets 429 until the window passes. Successful and other
 * answers do not count, so an operator's own 4xx mistakes never lock them out.
 */
export function authFailureLimiter(config: Config): RequestHandler {
  return rateLimit({
    windowMs: config.AUTH_FAILURE_WINDOW_SECONDS * 1000,
    limit: config.AUTH_FAILURE_LIMIT,
    standardHeaders: false,
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req: Request, res: Response) => res.statusCode !== 401,
    handler: (req, _res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60;
      next(
        new HttpProblem('tooManyRequests', 'Too many failed authentications from this address; try again later.', {
          headers: { 'Retry-After': String(seconds) },
        }),
      );
    },
  });
}
