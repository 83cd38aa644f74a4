import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { isSecureUrl } from '../common/config';
import { OperatorName, ROLES, type OperatorIdentity, type Role } from '../common/operator-keys';

/**
 * Operators signed in with the company's identity provider: an OpenID Connect access or ID token, verified with `jose`
 * against the issuer's published keys (JWKS, fetched and cached by jose, re-fetched when a token names an unknown key):
 * signature, issuer, audience, and an expiry it must carry (`exp`), with a small explicit clock tolerance. The role
 * comes from a claim (OIDC_ROLE_CLAIM), the name in the audit trail from another (OIDC_NAME_CLAIM, else `sub`), held
 * to the rules of a key's name so that every message the workflow receives from this operator is well formed.
 */

export interface OidcSettings {
  issuer: string;
  audience: string;
  /** Default: the issuer's discovery document's jwks_uri. */
  jwksUrl?: string;
  roleClaim: string;
  nameClaim: string;
  /** Production: a jwks_uri the discovery document names must be https (loopback aside), as the configured URLs are. */
  requireHttps?: boolean;
}

/** Asymmetric algorithms only: a token signed with a shared secret (or none) is never accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Seconds the token's exp / nbf / iat may be off the API's clock: small, and explicit rather than jose's default (0). */
export const OIDC_CLOCK_TOLERANCE_SECONDS = 30;

/** A failed discovery is not asked again before this long (doubling from the first, up to the last). */
const DISCOVERY_BACKOFF_MS = { first: 5_000, max: 300_000 };

/** The token is not valid (401). */
export class OidcTokenError extends Error {}
/** The issuer's keys could not be read (503: not the operator's fault); ask again after `retryAfterSeconds`. */
export class OidcUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}

export interface OidcVerifier {
  verify(token: string): Promise<OperatorIdentity>;
}

export function createOidcVerifier(settings: OidcSettings): OidcVerifier {
  const keys = jwksOf(settings);
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, await keys(), {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: ALGORITHMS,
          requiredClaims: ['exp'],
          clockTolerance: OIDC_CLOCK_TOLERANCE_SECONDS,
        }));
      } catch (err) {
        if (err instanceof OidcUnavailableError) throw err;
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof errors.JOSEError && !(err instanceof errors.JWKSTimeout)) throw new OidcTokenError(message);
        throw new OidcUnavailableError(message);
      }
      const role = roleOf(claim(payload, settings.roleClaim));
      if (!role) throw new OidcTokenError(`the token has no role (${settings.roleClaim}: one of ${ROLES.join(', ')})`);
      return { name: nameOf(payload, settings.nameClaim), role, via: 'oidc', id: payload.sub ?? '' };
    },
  };
}

/**
 * The issuer's key set, found once: from OIDC_JWKS_URL, or from the discovery document, whose `issuer` must be the one
 * configured (OpenID Connect Discovery 1.0, section 4.3). A failed discovery is remembered and not tried again before
 * its back-off has passed (every token meanwhile is a 503 at once), so a broken issuer is not asked on every request.
 */
function jwksOf(settings: OidcSettings): () => Promise<ReturnType<typeof createRemoteJWKSet>> {
  let found: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  let failure: { error: string; until: number; backoffMs: number } | undefined;
  return async () => {
    if (found) return found;
    if (failure && Date.now() < failure.until) {
      const seconds = Math.max(1, Math.ceil((failure.until - Date.now()) / 1000));
      throw new OidcUnavailableError(`discovery failed: ${failure.error}`, seconds);
    }
    const attempt = discoverJwksUrl(settings).then((url) => createRemoteJWKSet(new URL(url)));
    found = attempt;
    try {
      await attempt;
      failure = undefined;
    } catch (err) {
      found = undefined;
      const backoffMs = failure
        ? Math.min(failure.backoffMs * 2, DISCOVERY_BACKOFF_MS.max)
        : DISCOVERY_BACKOFF_MS.first;
      const error = err instanceof Error ? err.message : String(err);
      failure = { error, until: Date.now() + backoffMs, backoffMs };
      throw new OidcUnavailableError(`discovery failed: ${error}`, Math.ceil(backoffMs / 1000));
    }
    return attempt;
  };
}

async function discoverJwksUrl(settings: OidcSettings): Promise<string> {
  if (settings.jwksUrl) return settings.jwksUrl;
  const url = `${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000), redirect: 'error' });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (doc.issuer !== settings.issuer)
    throw new Error(`${url} names the issuer ${JSON.stringify(doc.issuer)}, not OIDC_ISSUER ${settings.issuer}`);
  if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} names no jwks_uri`);
  let jwks: URL;
  try {
    jwks = new URL(doc.jwks_uri);
  } catch {
    throw new Error(`${url} names a jwks_uri that is not a URL`);
  }
  if (settings.requireHttps && !isSecureUrl(jwks))
    throw new Error(`${url} names a jwks_uri that is not https (${jwks.origin})`);
  return jwks.toString();
}

/** A claim by dotted path (`realm_access.roles`). */
function claim(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/**
 * The operator's name: the name claim when the token has one, else `sub`; either must be a name as a key's is (1 to 100
 * characters, no control characters), or the token is refused naming the claim.
 */
function nameOf(payload: JWTPayload, nameClaim: string): string {
  const named = claim(payload, nameClaim);
  const [source, value] = named === undefined || named === null ? ['sub', payload.sub] : [nameClaim, named];
  const parsed = OperatorName.safeParse(value);
  if (parsed.success) return parsed.data;
  const why = typeof value === 'string' ? parsed.error.issues[0]?.message : 'must be a string';
  throw new OidcTokenError(`the token's ${source} claim, which names the operator, ${why ?? 'is not valid'}`);
}

/** The highest of the known roles the claim holds (a string, space-separated string, or array). */
function roleOf(value: unknown): Role | undefined {
  const given = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\s+/) : [];
  const known = ROLES.filter((r) => given.includes(r));
  return known.at(-1);
}
