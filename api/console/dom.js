// @ts-check
// Small DOM helpers: no framework, no build step.

/**
 * The element a selector names; a missing one is a bug in the page, so it throws.
 * @param {string} selector
 * @returns {HTMLElement}
 */
export function $(selector) {
  const el = document.querySelector(selector);
  if (!(el instanceof HTMLElement)) throw new Error(`missing ${selector}`);
  return el;
}

/**
 * An element of a given class, e.g. control('#total', HTMLInputElement).
 * @template {HTMLElement} T
 * @param {string} selector
 * @param {{ new (): T }} type
 * @returns {T}
 */
export function control(selector, type) {
  const el = $(selector);
  if (!(el instanceof type)) throw new Error(`${selector} is not a ${type.name}`);
  return el;
}

/** @param {string} selector */
export const inputAt = (selector) => control(selector, HTMLInputElement);
/** @param {string} selector */
export const selectAt = (selector) => control(selector, HTMLSelectElement);
/** @param {string} selector */
export const textAt = (selector) => control(selector, HTMLTextAreaElement);
/** @param {string} selector */
export const buttonAt = (selector) => control(selector, HTMLButtonElement);

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * Builds an element: h('td', { className: 'num' }, 'text', child). Keys the element has as properties (className,
 * htmlFor, onclick, value…) are set as properties; the others (aria-*, data-*, inputmode) as attributes.
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key in el) Reflect.set(el, key, value);
    else if (value === true) el.setAttribute(key, '');
    else if (typeof value === 'string' || typeof value === 'number') el.setAttribute(key, String(value));
    else throw new TypeError(`attribute ${key} must be a string, a number or true`);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
  return el;
}

/**
 * The page's one status line (a live region).
 * @param {string} message
 * @param {'' | 'good' | 'bad'} [tone]
 */
export function notify(message, tone = '') {
  const el = $('#notice');
  el.className = `notice ${tone}`;
  el.textContent = message;
}
