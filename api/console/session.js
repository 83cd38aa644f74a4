// @ts-check
// The operator's own key, typed once and kept for this tab only; who it is (name, role) comes from GET /me.

/** @typedef {import('./types.js').Role} Role */
/** @typedef {import('./types.js').Me} Me */

/** @type {readonly Role[]} */
const ROLES = ['viewer', 'operator', 'admin'];
const TOKEN = 'refund-console.token';
const ME = 'refund-console.me';

/**
 * @param {unknown} value
 * @returns {value is Me}
 */
function isMe(value) {
  if (typeof value !== 'object' || value === null) return false;
  const { name, role } = /** @type {{ name?: unknown, role?: unknown }} */ (value);
  return typeof name === 'string' && ROLES.some((r) => r === role);
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN) ?? '';
  },
  /** @returns {Me | null} */
  get me() {
    try {
      /** @type {unknown} */
      const value = JSON.parse(sessionStorage.getItem(ME) ?? 'null');
      return isMe(value) ? value : null;
    } catch {
      return null;
    }
  },
  /** @param {string} token @param {Me} me */
  save(token, me) {
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(ME, JSON.stringify({ name: me.name, role: me.role }));
  },
  clear() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(ME);
  },
  /**
   * Whether the signed-in role may do what `role` may: the page offers only that (the server checks again).
   * @param {Role} role
   */
  may(role) {
    const me = this.me;
    return me !== null && ROLES.indexOf(me.role) >= ROLES.indexOf(role);
  },
  isMe,
};
