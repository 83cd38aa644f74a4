import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, type OperatorIdentity, type Role } from '../common/operator-keys';

/**
 * Operators signed in with the company's identity provider: an OpenID Connect access or ID token, verified with `jose`
 * against the issuer's published keys (JWKS, fetched and cached by jose, re-fetched when a token names an unknown key):
 * signature, issuer, audience, expiry. The role comes from a claim (OIDC_ROLE_CLAIM), the name in the audit trail from
 * another (OIDC_NAME_CLAIM, else `sub`).
 */

export interface OidcSettings {
  issuer: string;
  audience: string;
  /** Default: the issuer's discovery document's jwks_uri. */
  jwksUrl?: string;
  roleClaim: string;
  nameClaim: string;
}

/** Asymmetric algorithms only: a token signed with a shared secret (or none) is never accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** The token is not valid (401). */
export class OidcTokenError extends Error {}
/** The issuer's keys could not be read (503: not the operator's fault). */
export class OidcUnavailableError extends Error {}

export interface OidcVerifier {
  verify(token: string): Promise<OperatorIdentity>;
}

export function createOidcVerifier(settings: OidcSettings): OidcVerifier {
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keys = () => {
    if (!jwks) {
      const found = discoverJwksUrl(settings).then((url) => createRemoteJWKSet(new URL(url)));
      // A failed discovery is tried again on the next token rather than remembered.
      found.catch(() => {
        if (jwks === found) jwks = undefined;
      });
      jwks = found;
    }
    return jwks;
  };
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, await keys(), {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: ALGORITHMS,
        }));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof errors.JOSEError && !(err instanceof errors.JWKSTimeout)) throw new OidcTokenError(message);
        throw new OidcUnavailableError(message);
      }
      const role = roleOf(claim(payload, settings.roleClaim));
      if (!role) throw new OidcTokenError(`the token has no role (${settings.roleClaim}: one of ${ROLES.join(', ')})`);
      const name = claim(payload, settings.nameClaim);
      const sub = payload.sub ?? '';
      return { name: typeof name === 'string' && name ? name : sub, role, via: 'oidc', id: sub };
    },
  };
}

async function discoverJwksUrl(settings: OidcSettings): Promise<string> {
  if (settings.jwksUrl) return settings.jwksUrl;
  const url = `${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  const doc = (await res.json()) as { jwks_uri?: unknown };
  if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} names no jwks_uri`);
  return doc.jwks_uri;
}

/** A claim by dotted path (`realm_access.roles`). */
function claim(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** The highest of the known roles the claim holds (a string, space-separated string, or array). */
function roleOf(value: unknown): Role | undefined {
  const given = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\s+/) : [];
  const known = ROLES.filter((r) => given.includes(r));
  return known.at(-1);
}
