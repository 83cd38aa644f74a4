// @ts-check
// The operator's token and name, typed once and kept for this tab only.

const TOKEN = 'refund-console.token';
const OPERATOR = 'refund-console.operator';

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN) ?? '';
  },
  get operator() {
    return sessionStorage.getItem(OPERATOR) ?? '';
  },
  /** @param {string} token @param {string} operator */
  save(token, operator) {
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(OPERATOR, operator);
  },
  clear() {
    sessionStorage.removeItem(TOKEN);
  },
};
