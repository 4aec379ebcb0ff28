// The status page's only script, served as /assets/page.js (a string here rather than a .js file: the lint setup
// type-checks every .js file under src/ against a Node-only tsconfig). It refreshes the page's main element every
// REFRESH_SECONDS from the same URL asked with `x-page-fragment: 1`, keeping the scroll position and the <details>
// the reader opened, pauses while the tab is hidden and says so in the page's refresh line. Without it the page is
// a static page with a reload link. No template literals or `${` in it: it is a template literal itself.

/** How often the page refreshes itself (also the number the page shows). */
export const REFRESH_SECONDS = 15;

export const PAGE_JS = String.raw`(function () {
  'use strict';
  var main = document.getElementById('content');
  if (!main || !window.fetch) return;
  var periodMs = (Number(main.getAttribute('data-refresh')) || 15) * 1000;
  var state = document.getElementById('refresh-state');
  var updated = document.getElementById('updated');
  var timer = 0;
  var busy = false;

  function say(text, failed) {
    if (!state) return;
    state.textContent = text;
    state.classList.toggle('failed', Boolean(failed));
  }

  function schedule() {
    clearTimeout(timer);
    if (document.visibilityState === 'hidden') {
      say('auto-refresh paused while the tab is hidden');
      return;
    }
    timer = setTimeout(refresh, periodMs);
  }

  function openKeys() {
    var keys = [];
    main.querySelectorAll('details[open][data-key]').forEach(function (d) {
      keys.push(d.getAttribute('data-key'));
    });
    return keys;
  }

  function apply(text) {
    var keys = openKeys();
    var x = window.scrollX;
    var y = window.scrollY;
    main.innerHTML = text;
    main.querySelectorAll('details[data-key]').forEach(function (d) {
      if (keys.indexOf(d.getAttribute('data-key')) >= 0) d.open = true;
    });
    window.scrollTo(x, y);
    var view = main.firstElementChild;
    if (!view) return;
    var title = view.getAttribute('data-title');
    if (title) document.title = title;
    var icon = document.querySelector('link[rel="icon"]');
    var iconUrl = view.getAttribute('data-icon');
    if (icon && iconUrl) icon.setAttribute('href', iconUrl);
    if (updated) {
      updated.textContent = view.getAttribute('data-updated') || updated.textContent;
      updated.setAttribute('datetime', view.getAttribute('data-generated') || '');
    }
  }

  function refresh() {
    if (busy) return;
    busy = true;
    clearTimeout(timer);
    fetch(location.href, { headers: { 'x-page-fragment': '1' }, cache: 'no-store', credentials: 'same-origin' })
      .then(function (res) {
        // A 404 is a page too: the cluster is gone (or not there yet), and the page says so.
        if (!res.ok && res.status !== 404) throw new Error('HTTP ' + res.status);
        return res.text();
      })
      .then(function (text) {
        apply(text);
        say('auto-refresh every ' + periodMs / 1000 + ' s');
      })
      .catch(function (err) {
        say('refresh failed (' + (err && err.message ? err.message : 'network error') + '); showing older data, retrying', true);
      })
      .then(function () {
        busy = false;
        schedule();
      });
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') refresh();
    else schedule();
  });
  say('auto-refresh every ' + periodMs / 1000 + ' s');
  schedule();
})();
`;
