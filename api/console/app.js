// @ts-check
// The repair page's entry point: sign-in with the operator's own key, and routing between the list (#/) and one refund
// (#/refund/<workflow id>). Native ES modules, no build step; every rule lives on the server.
import { $, buttonAt, h, inputAt, notify } from './dom.js';
import { bindBulk, showBulk } from './bulk.js';
import { whenUnauthorized } from './http.js';
import { bindList, loadList } from './list.js';
import { bindRepair, closeRefund, openRefund } from './repair.js';
import { session } from './session.js';
import { bindTools } from './tools.js';

/** @param {string} [message] */
function showSignin(message = '') {
  session.clear();
  const token = inputAt('#token');
  token.value = '';
  $('#signin')
    .querySelectorAll('.field, button')
    .forEach((el) => {
      if (el instanceof HTMLElement) el.hidden = false;
    });
  $('#signed-in').hidden = true;
  if (message) notify(message, 'bad');
  token.focus();
}

function showSignedIn() {
  const me = session.me;
  if (!me) return;
  $('#signin')
    .querySelectorAll('.field, button')
    .forEach((el) => {
      if (el instanceof HTMLElement) el.hidden = true;
    });
  const p = $('#signed-in');
  p.hidden = false;
  p.replaceChildren(
    `Signed in as ${me.name} (${me.role}) · `,
    h(
      'a',
      {
        href: '#/',
        onclick: (/** @type {Event} */ e) => {
          e.preventDefault();
          showSignin();
        },
      },
      'Sign out',
    ),
  );
  // What this role may not do is not offered (the server refuses it anyway).
  $('#start-form').hidden = !session.may('operator');
  showBulk();
}

async function route() {
  if (!session.token || !session.me) {
    showSignin();
    return;
  }
  const match = /^#\/refund\/(.+)$/.exec(location.hash);
  if (match?.[1]) {
    await openRefund(decodeURIComponent(match[1]));
  } else {
    closeRefund();
    $('#list-view').hidden = false;
    await loadList();
  }
}

/**
 * Signs in with the key typed: GET /me says whose it is and with which role; nothing is kept unless it is accepted.
 * @param {SubmitEvent} event
 */
async function signIn(event) {
  event.preventDefault();
  const input = inputAt('#token');
  const token = input.value.trim();
  if (!token) {
    notify('Enter your API key.', 'bad');
    input.focus();
    return;
  }
  /** @type {Response} */
  let res;
  try {
    res = await fetch('/me', { headers: { Accept: 'application/json', Authorization: `Bearer ${token}` } });
  } catch (err) {
    notify(`Not signed in: ${err instanceof Error ? err.message : String(err)}`, 'bad');
    return;
  }
  /** @type {unknown} */
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !session.isMe(body)) {
    const detail = /** @type {{ detail?: unknown }} */ (body ?? {}).detail;
    notify(`Not signed in: ${typeof detail === 'string' ? detail : `HTTP ${res.status}`}`, 'bad');
    input.focus();
    return;
  }
  session.save(token, body);
  input.value = '';
  showSignedIn();
  notify('');
  void route();
}

whenUnauthorized(() => showSignin('Your key was not accepted (unknown, revoked or expired). Sign in again.'));
$('#signin').addEventListener('submit', (event) => void signIn(/** @type {SubmitEvent} */ (event)));
// The form submits only through signIn (the button is disabled in the HTML until now). A query string left by an old
// GET form is dropped from the address bar and the history unread: the key is never taken from a URL.
buttonAt('#signin-submit').disabled = false;
if (location.search) history.replaceState(null, '', `${location.pathname}${location.hash}`);

/** A message meant for the next view (set just before navigating), instead of clearing the notice. */
/** @type {string | undefined} */
let nextNotice;

bindList();
bindRepair();
bindBulk();
bindTools((message) => {
  nextNotice = message;
});

window.addEventListener('hashchange', () => {
  if (nextNotice) notify(nextNotice, 'good');
  else notify('');
  nextNotice = undefined;
  void route();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !$('#repair-view').hidden && !event.defaultPrevented) location.hash = '#/';
});

if (session.token && session.me) showSignedIn();
void route();
