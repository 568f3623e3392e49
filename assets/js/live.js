// Live pages: the browser's side of the websocket at /ws (docs/realtime.md describes the
// protocol, as does the top of crates/platform/src/events/socket.rs).
//
// A page opts in with hx-ext="ws" ws-connect="/ws" on a wrapper element; htmx's websocket
// extension (vendor/htmx/ext/ws.min.js) opens the socket and reconnects it. This file reads the
// server's JSON frames itself and turns each event into an htmx event on <body>,
// "live:<kind>" and "live:<kind>#<subject>" (also "live:connected" once the socket first
// says hello, and "live:reset" when events were lost), which a region of the page listens for
// to fetch itself again, e.g.
//   hx-trigger="live:beacon.opportunity.published from:body" hx-get="/beacon/" ...
// The pages are whole server-rendered pages without it; this only keeps them current.
(function () {
  'use strict';

  var client = null; // this socket's id (from "hello"), sent back as X-Client-Id
  var last = null; // the id of the last event heard: what a resume asks after
  var helloLast = 0; // the last event when the current socket opened
  var opened = false; // whether a socket opened before: the next open is a reconnect

  function send(socket, frame) {
    socket.send(JSON.stringify(frame));
  }

  // The page's regions fetch themselves again (events were missed, or cannot be replayed).
  function reset() {
    last = Math.max(last || 0, helloLast);
    htmx.trigger(document.body, 'live:reset', {});
  }

  document.addEventListener('htmx:wsOpen', function (e) {
    var socket = e.detail.socketWrapper;
    // Only the kinds this page listens for, if it says (data-live-kinds="beacon. admin.import.").
    var kinds = e.target.getAttribute('data-live-kinds');
    if (kinds) send(socket, { type: 'subscribe', kinds: kinds.trim().split(/\s+/) });
    // Reopened after a drop: ask for what happened meanwhile.
    if (opened && last !== null) send(socket, { type: 'resume', after: last });
    opened = true;
  });

  // The server closes with 1001 when it shuts down (a deploy); the extension reconnects only
  // after abnormal closes, so reconnect here, a little later, at a random moment.
  document.addEventListener('htmx:wsClose', function (e) {
    e.target.setAttribute('data-live', 'closed');
    if (e.detail.event.code !== 1001 || !document.body.contains(e.target)) return;
    setTimeout(e.detail.socketWrapper.reconnect, 1000 + Math.random() * 4000);
  });

  document.addEventListener('htmx:wsBeforeMessage', function (e) {
    e.preventDefault(); // JSON, not HTML for htmx to swap
    var frame;
    try {
      frame = JSON.parse(e.detail.message);
    } catch (_) {
      return;
    }
    if (frame.type === 'hello') {
      e.target.setAttribute('data-live', 'open'); // for styles and tests: the page is live
      client = frame.client;
      helloLast = frame.last;
      if (last === null) {
        // First connected: from now on nothing is missed. A region that must not miss what
        // happened between its page's rendering and now listens for "live:connected" too.
        last = frame.last;
        htmx.trigger(document.body, 'live:connected', {});
      }
    } else if (frame.type === 'event') {
      last = Math.max(last || 0, frame.id);
      htmx.trigger(document.body, 'live:' + frame.kind, frame);
      htmx.trigger(document.body, 'live:' + frame.kind + '#' + frame.subject, frame);
    } else if (frame.type === 'reset' || (frame.type === 'error' && frame.code === 'unavailable')) {
      reset();
    }
  });

  // The page's own requests carry the socket's id, so the events they cause are not echoed.
  document.addEventListener('htmx:configRequest', function (e) {
    if (client) e.detail.headers['X-Client-Id'] = client;
    // A region fetching itself again after an event: the server leaves any one-time message
    // for the next whole page (this fetch would show it nowhere).
    var cause = e.detail.triggeringEvent;
    if (cause && typeof cause.type === 'string' && cause.type.indexOf('live:') === 0) {
      e.detail.headers['X-Live-Refresh'] = '1';
    }
  });

  // After a region fetched itself again, say so, politely, in the page's status line
  // (#live-status, role="status"): the text of the region's [data-live-summary] element, or
  // its data-live-announce text.
  document.addEventListener('htmx:afterSettle', function (e) {
    var region = e.target;
    var line = document.getElementById('live-status');
    if (!line || !region.hasAttribute || !region.hasAttribute('data-live-announce')) return;
    var summary = region.querySelector('[data-live-summary]');
    var text = summary ? summary.textContent.replace(/\s+/g, ' ').trim() : region.getAttribute('data-live-announce');
    // Emptied first, so the same words said twice are said again.
    line.textContent = '';
    setTimeout(function () {
      line.textContent = text;
    }, 100);
  });
})();
