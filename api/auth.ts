import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Config } from '../common/config';
import type { Logger } from '../common/logger';
import {
  looksLikeOperatorKey,
  roleAllows,
  type OperatorIdentity,
  type OperatorKeyStore,
  type Role,
} from '../common/operator-keys';
import type { AuthFailureLimiter } from './auth-limit';
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
 * WEBHOOK_AUTH: HTTP Basic, or a bearer token. The other scheme is refused, never tried as a fallback. The credentials
 * are checked first; only a failure counts against the address's webhook budget (valid ones are never limited).
 */
export function webhookAuth(config: Config, limiter: AuthFailureLimiter): WebhookAuth {
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
    const unauthorized = new HttpProblem(
      'unauthorized',
      `Send the webhook credentials configured for Buy with Prime (${expected}).`,
      {
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
      },
    );
    next(limiter.failed(req, 'webhook', unauthorized));
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
 * says about itself (the old X-Operator header) counts. The credential is checked first; only a failure counts against
 * the address's budget for that kind of credential (a valid one is never limited).
 */
export function operatorAuth(deps: {
  keys: OperatorKeyStore;
  oidc?: OidcVerifier;
  logger: Logger;
  limiter: AuthFailureLimiter;
}): RequestHandler {
  return async (req, res, next) => {
    const creds = parseAuthorization(req.headers.authorization);
    if (creds?.scheme !== 'bearer') {
      const problem = unauthorized(
        'Send your operator API key (or identity-provider token) as `Authorization: Bearer <credential>`.',
        creds ? 'not a bearer credential' : 'missing bearer credential',
      );
      next(deps.limiter.failed(req, 'operator-key', problem));
      return;
    }
    const checked = await identify(creds.token, deps);
    if (!(checked instanceof HttpProblem)) {
      res.locals.operator = checked;
      req.log?.setBindings?.({ operator: { name: checked.name, role: checked.role, via: checked.via } });
      next();
      return;
    }
    if (checked.kind !== 'unauthorized') {
      next(checked);
      return;
    }
    const kind = looksLikeOperatorKey(creds.token) || !deps.oidc ? 'operator-key' : 'oidc-token';
    next(deps.limiter.failed(req, kind, checked));
  };
}

const unauthorized = (detail: string, message: string) =>
  new HttpProblem('unauthorized', detail, {
    errors: [{ field: 'header.authorization', message }],
    headers: { 'WWW-Authenticate': OPERATOR_CHALLENGE },
  });

/** Whose the bearer token is, or the problem: 401 for a token not accepted, 503 when the issuer cannot be asked. */
async function identify(
  token: string,
  deps: { keys: OperatorKeyStore; oidc?: OidcVerifier; logger: Logger },
): Promise<OperatorIdentity | HttpProblem> {
  if (looksLikeOperatorKey(token) || !deps.oidc) {
    return (
      deps.keys.verify(token) ??
      unauthorized('The operator API key is not valid (unknown or revoked).', 'invalid operator key')
    );
  }
  try {
    return await deps.oidc.verify(token);
  } catch (err) {
    if (err instanceof OidcUnavailableError) {
      deps.logger.warn({ err }, 'OIDC issuer unavailable');
      return new HttpProblem('unavailable', 'The identity provider cannot be reached to check the token. Try again.', {
        headers: { 'Retry-After': String(err.retryAfterSeconds) },
      });
    }
    const reason = err instanceof OidcTokenError ? err.message : 'not a valid token';
    return unauthorized(`The token was not accepted: ${reason}.`, `invalid token: ${reason}`);
  }
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
