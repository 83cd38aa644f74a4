// @ts-check
// The repair page's entry point: sign-in, and routing between the list (#/) and one refund (#/refund/<workflow id>).
// Native ES modules, no build step; every rule lives on the server.
import { $, h, inputAt, notify } from './dom.js';
import { whenUnauthorized } from './http.js';
import { bindList, loadList } from './list.js';
import { bindRepair, closeRefund, openRefund } from './repair.js';
import { session } from './session.js';

function showSignin(message = '') {
  session.clear();
  inputAt('#token').value = '';
  $('#signin')
    .querySelectorAll('.field, button')
    .forEach((el) => {
      if (el instanceof HTMLElement) el.hidden = false;
    });
  $('#signed-in').hidden = true;
  if (message) notify(message, 'bad');
  $(session.operator ? '#token' : '#operator').focus();
}

function showSignedIn() {
  $('#signin')
    .querySelectorAll('.field, button')
    .forEach((el) => {
      if (el instanceof HTMLElement) el.hidden = true;
    });
  const p = $('#signed-in');
  p.hidden = false;
  p.replaceChildren(
    `Signed in as ${session.operator} · `,
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
}

async function route() {
  if (!session.token || !session.operator) {
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

whenUnauthorized(() => showSignin('The operator token was not accepted. Sign in again.'));

$('#signin').addEventListener('submit', (event) => {
  event.preventDefault();
  const operator = inputAt('#operator').value.trim();
  const token = inputAt('#token').value;
  if (!operator || !token) {
    notify('Enter your name and the operator token.', 'bad');
    return;
  }
  session.save(token, operator);
  showSignedIn();
  notify('');
  void route();
});

bindList();
bindRepair();

window.addEventListener('hashchange', () => {
  notify('');
  void route();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !$('#repair-view').hidden && !event.defaultPrevented) location.hash = '#/';
});

inputAt('#operator').value = session.operator;
if (session.token && session.operator) showSignedIn();
void route();
