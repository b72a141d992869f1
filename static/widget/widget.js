/*
 * X8 Network web chat widget.
 *
 *   <script src="https://<x8 host>/widget.js" data-key="<widget key>" async></script>
 *
 * Renders a chat bubble and panel inside a Shadow DOM (the page's styles do not reach in,
 * ours do not leak out). The visitor's token is kept in localStorage, so a reload keeps the
 * conversation. Replies arrive over a websocket; after a dropped socket the widget catches
 * up from the last message id it has (over HTTP, then over the socket) and drops what it
 * already shows (by message id), so nothing is lost or shown twice.
 *
 * Every text is inserted with textContent: nothing a visitor, a contact or staff wrote is
 * ever parsed as HTML.
 *
 * API (window.X8Widget): open(), close(), toggle(), isOpen(), send(text).
 * Events on document: "x8widget:ready" once the bubble is shown, "x8widget:message" with
 * {detail: message} for each message shown.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.getAttribute("data-key")) {
    script = document.querySelector("script[data-key][src*='widget.js']");
  }
  if (!script) return;
  var KEY = script.getAttribute("data-key") || "";
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(KEY)) {
    if (window.console) console.warn("X8 web chat: the script tag has no valid data-key.");
    return;
  }
  if (window.X8Widget && window.X8Widget.key) return; // the snippet is on the page twice

  var BASE = new URL(script.src, window.location.href).origin;
  var API = BASE + "/widget/api/" + encodeURIComponent(KEY);
  // The socket is on the host the script came from (https pages get wss).
  var SOCKET = BASE.replace(/^http/, "ws") + "/ws/widget/" + encodeURIComponent(KEY) + "/";
  var STORE = "x8widget:" + KEY + ":";
  var RECONNECT_MAX_MS = 30000;
  var TYPING_EVERY_MS = 3000;
  var TYPING_IDLE_MS = 4000;
  var STAFF_TYPING_SHOWN_MS = 8000;
  var SENT_TIMEOUT_MS = 10000;

  var state = {
    token: null,
    strings: {},
    settings: {},
    maxChars: 4096,
    lastId: 0,
    byId: {},
    pending: [],
    open: false,
    socket: null,
    socketReady: false,
    retries: 0,
    timer: null,
    stopped: false,
    typingSentAt: 0,
    typingTimer: null,
    staffTypingTimer: null,
    unread: 0
  };
  var memory = {};
  var ui = null;

  // Storage (localStorage can be switched off or full: then the session lasts the page) ----

  function load(name) {
    try { return window.localStorage.getItem(STORE + name); } catch (e) { return memory[name] || null; }
  }
  function save(name, value) {
    memory[name] = value;
    try {
      if (value === null) window.localStorage.removeItem(STORE + name);
      else window.localStorage.setItem(STORE + name, value);
    } catch (e) { /* kept in memory only */ }
  }
  function loadSession(name) {
    try { return window.sessionStorage.getItem(STORE + name); } catch (e) { return null; }
  }
  function saveSession(name, value) {
    try { window.sessionStorage.setItem(STORE + name, value); } catch (e) { /* not kept */ }
  }

  // HTTP -------------------------------------------------------------------------------------

  function request(method, path, body) {
    var options = { method: method, mode: "cors", credentials: "omit", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(API + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data || {} };
      });
    });
  }

  function randomId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += ("0" + bytes[i].toString(16)).slice(-2);
    return out;
  }

  function text(name) {
    return state.strings[name] || name;
  }

  // Session ----------------------------------------------------------------------------------

  function start() {
    request("POST", "/session", { token: load("token"), page: window.location.href })
      .then(function (result) {
        if (result.status === 200 || result.status === 201) {
          applySession(result.data);
          if (!ui) render();
          history(0).then(connect);
        } else if (result.status === 429) {
          later(start, (result.data.error && result.data.error.retry_after) || 60);
        }
        // 404 (unknown or disabled widget) or 403 (not allowed on this website): no bubble.
      })
      .catch(function () { later(start, backoff() / 1000); });
  }

  function applySession(data) {
    state.token = data.token;
    state.strings = data.strings || {};
    state.settings = data.widget || {};
    state.maxChars = data.max_chars || state.maxChars;
    save("token", data.token);
  }

  function later(fn, seconds) {
    clearTimeout(state.timer);
    state.timer = setTimeout(fn, Math.max(1, seconds) * 1000);
  }

  function backoff() {
    var delay = Math.min(RECONNECT_MAX_MS, 1000 * Math.pow(2, state.retries));
    state.retries += 1;
    return delay / 2 + Math.random() * delay / 2;
  }

  /** Messages after the last one shown; false when the widget should stop or start over. */
  function history(after) {
    return request("GET", "/messages?token=" + encodeURIComponent(state.token) + "&after=" + after)
      .then(function (result) {
        if (result.status === 200) {
          (result.data.messages || []).forEach(showMessage);
          return true;
        }
        if (result.status === 404) stop();
        if (result.status === 403) restart();
        return false;
      })
      .catch(function () { return true; });
  }

  function stop() {
    state.stopped = true;
    clearTimeout(state.timer);
    if (state.socket) state.socket.close();
    if (ui) {
      showStatus(text("unavailable"));
      ui.input.disabled = true;
      ui.sendButton.disabled = true;
    }
  }

  /** The token is no longer valid (the widget's key changed): a new visitor session. */
  function restart() {
    save("token", null);
    if (state.socket) state.socket.close();
    state.socket = null;
    request("POST", "/session", { page: window.location.href }).then(function (result) {
      if (result.status === 200 || result.status === 201) {
        applySession(result.data);
        connect();
      } else {
        stop();
      }
    }).catch(scheduleReconnect);
  }

  // Socket -----------------------------------------------------------------------------------

  function connect(ok) {
    if (state.stopped || ok === false || state.socket) return;
    var socket;
    try {
      socket = new WebSocket(SOCKET + "?token=" + encodeURIComponent(state.token));
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    socket.onopen = function () {
      state.socketReady = true;
      state.retries = 0;
      showStatus("");
      socket.send(JSON.stringify({ action: "resume", after: state.lastId }));
      state.pending.forEach(function (item) { if (!item.failed && !item.posting) deliver(item); });
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame === "object") onFrame(frame);
    };
    socket.onclose = function () {
      var wasReady = state.socketReady;
      state.socket = null;
      state.socketReady = false;
      if (state.stopped) return;
      if (wasReady) showStatus(text("reconnecting"));
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (state.stopped) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(function () {
      // Catch up over HTTP first: replies still arrive where websockets are blocked.
      history(state.lastId).then(function (ok) {
        if (ok) connect(true);
        else if (!state.stopped && !state.socket) scheduleReconnect();
      });
    }, backoff());
  }

  function socketSend(frame) {
    if (!state.socket || !state.socketReady) return false;
    try {
      state.socket.send(JSON.stringify(frame));
      return true;
    } catch (e) {
      return false;
    }
  }

  function onFrame(frame) {
    if (frame.type === "message") {
      showMessage(frame.message);
    } else if (frame.type === "sent") {
      onSent(frame.client_id, frame.message);
    } else if (frame.type === "error") {
      if (frame.client_id) onFailed(frame.client_id, frame.code, frame.retry_after);
    } else if (frame.type === "typing") {
      showStaffTyping(!!frame.active);
    }
  }

  // Messages ---------------------------------------------------------------------------------

  function isMessage(message) {
    return message && typeof message === "object" && typeof message.id === "number";
  }

  function showMessage(message) {
    if (!isMessage(message) || message.direction === "note") return;
    var shown = state.byId[message.id];
    if (message.status === "canceled") {
      if (shown) {
        shown.parentNode && shown.parentNode.removeChild(shown);
        delete state.byId[message.id];
      }
      return;
    }
    if (state.lastId < message.id) state.lastId = message.id;
    if (shown) {
      shown.setAttribute("data-status", String(message.status || ""));
      return;
    }
    if (message.direction === "in") {
      // The visitor's own message, coming back before the answer to sending it.
      for (var i = 0; i < state.pending.length; i++) {
        var item = state.pending[i];
        if (!item.failed && item.text === message.text) {
          confirm(item, message);
          return;
        }
      }
    }
    var element = messageElement(message);
    place(element, message.id);
    state.byId[message.id] = element;
    if (message.direction === "out") {
      showStaffTyping(false);
      if (!state.open) {
        state.unread += 1;
        ui.badge.textContent = String(state.unread);
        ui.badge.hidden = false;
      }
    }
    scrollDown();
    document.dispatchEvent(new CustomEvent("x8widget:message", { detail: message }));
  }

  function messageElement(message) {
    var item = document.createElement("li");
    item.className = "msg " + (message.direction === "in" ? "mine" : "theirs");
    item.setAttribute("data-id", String(message.id));
    item.setAttribute("data-status", String(message.status || ""));
    if (message.text) {
      var body = document.createElement("p");
      body.className = "text";
      body.textContent = String(message.text);
      item.appendChild(body);
    }
    var link = safeUrl(message.media_url);
    if (link) {
      var anchor = document.createElement("a");
      anchor.className = "file";
      anchor.href = link;
      anchor.target = "_blank";
      anchor.rel = "noopener noreferrer";
      anchor.textContent = String(message.media_filename || text("attachment"));
      item.appendChild(anchor);
    }
    var time = document.createElement("time");
    time.className = "time";
    var at = new Date(message.created_at);
    if (!isNaN(at.getTime())) {
      time.dateTime = at.toISOString();
      time.textContent = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    }
    item.appendChild(time);
    return item;
  }

  function safeUrl(value) {
    if (!value || typeof value !== "string") return "";
    try {
      var url = new URL(value, BASE);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : "";
    } catch (e) {
      return "";
    }
  }

  /** Keep messages in id order; messages still being sent stay at the end. */
  function place(element, id) {
    var children = ui.log.children;
    for (var i = 0; i < children.length; i++) {
      var other = children[i];
      var otherId = Number(other.getAttribute("data-id"));
      if (other.classList.contains("pending") || (otherId && otherId > id)) {
        ui.log.insertBefore(element, other);
        return;
      }
    }
    ui.log.appendChild(element);
  }

  function send(value) {
    var body = String(value || "").trim();
    if (!body || !ui) return false;
    if (body.length > state.maxChars) {
      showError(text("too_long"));
      return false;
    }
    var row = document.createElement("li");
    row.className = "msg mine pending";
    var paragraph = document.createElement("p");
    paragraph.className = "text";
    paragraph.textContent = body;
    row.appendChild(paragraph);
    var note = document.createElement("small");
    note.className = "note";
    note.textContent = text("sending");
    row.appendChild(note);
    var item = { clientId: randomId(), text: body, element: row, note: note, failed: false };
    row.addEventListener("click", function () {
      if (!item.failed) return;
      item.failed = false;
      row.classList.remove("failed");
      note.textContent = text("sending");
      deliver(item);
    });
    state.pending.push(item);
    ui.log.appendChild(row);
    scrollDown();
    deliver(item);
    return true;
  }

  function deliver(item) {
    clearTimeout(item.timer);
    if (socketSend({ action: "send", text: item.text, client_id: item.clientId })) {
      // No answer in time (the socket died quietly): the same id over HTTP stores it once.
      item.timer = setTimeout(function () { if (isPending(item)) post(item); }, SENT_TIMEOUT_MS);
      return;
    }
    post(item);
  }

  function post(item) {
    item.posting = true;
    request("POST", "/messages", { token: state.token, text: item.text, client_id: item.clientId })
      .then(function (result) {
        item.posting = false;
        if (result.status === 200 || result.status === 201) {
          onSent(item.clientId, result.data.message);
          // A first message makes the conversation: let the socket follow it.
          socketSend({ action: "resume", after: state.lastId });
        } else {
          var error = result.data.error || {};
          if (result.status === 404) stop();
          if (result.status === 403) restart();
          onFailed(item.clientId, error.code || "unavailable", error.retry_after);
        }
      })
      .catch(function () {
        item.posting = false;
        // Offline for now: the same id is tried again (and stored once).
        item.timer = setTimeout(function () {
          if (isPending(item) && !item.failed) deliver(item);
        }, backoff());
      });
  }

  function isPending(item) {
    return state.pending.indexOf(item) !== -1;
  }

  function findPending(clientId) {
    for (var i = 0; i < state.pending.length; i++) {
      if (state.pending[i].clientId === clientId) return state.pending[i];
    }
    return null;
  }

  function onSent(clientId, message) {
    var item = findPending(clientId);
    if (!item) {
      showMessage(message);
      return;
    }
    if (!isMessage(message)) return;
    if (state.byId[message.id]) {
      // Shown already (it came over the socket first): drop the copy being sent.
      forget(item);
      item.element.parentNode && item.element.parentNode.removeChild(item.element);
      return;
    }
    confirm(item, message);
  }

  function confirm(item, message) {
    forget(item);
    var element = messageElement(message);
    item.element.parentNode && item.element.parentNode.removeChild(item.element);
    place(element, message.id);
    state.byId[message.id] = element;
    if (state.lastId < message.id) state.lastId = message.id;
    scrollDown();
  }

  function forget(item) {
    clearTimeout(item.timer);
    var index = state.pending.indexOf(item);
    if (index !== -1) state.pending.splice(index, 1);
  }

  function onFailed(clientId, code, retryAfter) {
    var item = findPending(clientId);
    if (!item) return;
    clearTimeout(item.timer);
    item.failed = true;
    item.element.classList.add("failed");
    var reason = state.strings[code] || text("not_sent");
    item.note.textContent = reason === text("not_sent") ? reason : reason + " " + text("not_sent");
    if (code === "empty" || code === "too_long") {
      forget(item);
      item.element.parentNode && item.element.parentNode.removeChild(item.element);
      showError(reason);
    } else if (code === "rate_limited" && retryAfter) {
      item.timer = setTimeout(function () {
        if (item.failed && isPending(item)) {
          item.failed = false;
          item.element.classList.remove("failed");
          item.note.textContent = text("sending");
          deliver(item);
        }
      }, retryAfter * 1000);
    }
  }

  // Typing -----------------------------------------------------------------------------------

  function visitorTyping() {
    var now = Date.now();
    if (now - state.typingSentAt > TYPING_EVERY_MS) {
      if (socketSend({ action: "typing", active: true })) state.typingSentAt = now;
    }
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(visitorStoppedTyping, TYPING_IDLE_MS);
  }

  function visitorStoppedTyping() {
    clearTimeout(state.typingTimer);
    if (state.typingSentAt) {
      socketSend({ action: "typing", active: false });
      state.typingSentAt = 0;
    }
  }

  function showStaffTyping(active) {
    if (!ui) return;
    clearTimeout(state.staffTypingTimer);
    ui.typing.hidden = !active;
    if (active) {
      state.staffTypingTimer = setTimeout(function () { ui.typing.hidden = true; }, STAFF_TYPING_SHOWN_MS);
      scrollDown();
    }
  }

  // Interface --------------------------------------------------------------------------------

  var STYLE = [
    ":host { all: initial; position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;",
    "  font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; color: #1c2033; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    ".bubble { width: 58px; height: 58px; border-radius: 50%; border: 0; cursor: pointer;",
    "  background: var(--x8-accent); color: var(--x8-on-accent); box-shadow: 0 6px 20px rgba(0,0,0,.22);",
    "  display: flex; align-items: center; justify-content: center; position: relative; margin-left: auto; }",
    ".bubble:focus-visible, button:focus-visible, textarea:focus-visible { outline: 3px solid #1c2033; outline-offset: 2px; }",
    ".bubble svg { width: 28px; height: 28px; fill: currentColor; }",
    ".badge { position: absolute; top: -4px; right: -4px; min-width: 20px; height: 20px; padding: 0 5px;",
    "  border-radius: 10px; background: #d92d20; color: #fff; font-size: 12px; line-height: 20px; text-align: center; }",
    ".panel { position: absolute; right: 0; bottom: 72px; width: min(370px, calc(100vw - 24px));",
    "  height: min(540px, calc(100vh - 110px)); background: #fff; border-radius: 14px; overflow: hidden;",
    "  box-shadow: 0 12px 40px rgba(0,0,0,.25); display: flex; flex-direction: column; }",
    ".head { background: var(--x8-accent); color: var(--x8-on-accent); padding: 12px 14px; display: flex;",
    "  align-items: center; gap: 8px; }",
    ".title { flex: 1; font-weight: 600; font-size: 16px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }",
    ".close { background: transparent; border: 0; color: inherit; font-size: 22px; line-height: 1; cursor: pointer; padding: 2px 6px; }",
    ".status { background: #fff4df; color: #7a4a00; font-size: 13px; padding: 6px 12px; }",
    ".log { list-style: none; margin: 0; padding: 12px; flex: 1; overflow-y: auto; display: flex;",
    "  flex-direction: column; gap: 8px; background: #f6f7fb; }",
    ".msg { max-width: 82%; padding: 8px 11px; border-radius: 14px; background: #fff; border: 1px solid #e3e6ef;",
    "  align-self: flex-start; word-wrap: break-word; overflow-wrap: anywhere; }",
    ".msg.mine { align-self: flex-end; background: var(--x8-accent); color: var(--x8-on-accent); border-color: transparent; }",
    ".msg.pending { opacity: .7; }",
    ".msg.failed { opacity: 1; background: #fdecea; color: #8a1c12; border-color: #f5c2bd; cursor: pointer; }",
    ".msg.greeting { background: #fff; }",
    ".text { margin: 0; white-space: pre-wrap; }",
    ".file { display: block; color: inherit; text-decoration: underline; }",
    ".time, .note { display: block; font-size: 11px; opacity: .7; margin-top: 2px; text-align: right; }",
    ".typing { font-size: 13px; color: #5d6478; padding: 0 14px 6px; background: #f6f7fb; font-style: italic; }",
    ".error { font-size: 13px; color: #b42318; padding: 4px 12px; }",
    ".compose { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e3e6ef; background: #fff; }",
    "textarea { flex: 1; resize: none; border: 1px solid #cfd4e2; border-radius: 10px; padding: 8px 10px;",
    "  font: inherit; color: inherit; background: #fff; max-height: 120px; min-height: 40px; }",
    ".send { border: 0; border-radius: 10px; padding: 0 14px; cursor: pointer; font: inherit; font-weight: 600;",
    "  background: var(--x8-accent); color: var(--x8-on-accent); }",
    ".send:disabled, textarea:disabled { opacity: .5; cursor: not-allowed; }"
  ].join("\n");

  function element(tag, className, parent) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (parent) parent.appendChild(node);
    return node;
  }

  function accentColors(value) {
    var accent = /^#[0-9a-fA-F]{6}$/.test(value || "") ? value : "#4f46e5";
    var r = parseInt(accent.slice(1, 3), 16), g = parseInt(accent.slice(3, 5), 16), b = parseInt(accent.slice(5, 7), 16);
    var light = (0.299 * r + 0.587 * g + 0.114 * b) / 255 > 0.6;
    return { accent: accent, on: light ? "#1c2033" : "#ffffff" };
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-4.5 3.6A.9.9 0 0 1 2 20.9V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z");
    svg.appendChild(path);
    return svg;
  }

  function render() {
    var host = document.createElement("div");
    host.id = "x8-widget";
    host.setAttribute("data-key", KEY);
    var colors = accentColors(state.settings.accent_color);
    host.style.setProperty("--x8-accent", colors.accent);
    host.style.setProperty("--x8-on-accent", colors.on);
    var root = host.attachShadow({ mode: "open" });
    var style = element("style", "", root);
    style.textContent = STYLE;

    var panel = element("section", "panel", root);
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", String(state.settings.title || ""));
    panel.hidden = true;
    var head = element("header", "head", panel);
    var title = element("div", "title", head);
    title.textContent = String(state.settings.title || "");
    var close = element("button", "close", head);
    close.type = "button";
    close.setAttribute("aria-label", text("close"));
    close.textContent = "\u00d7";
    var status = element("div", "status", panel);
    status.setAttribute("role", "status");
    status.hidden = true;
    var log = element("ol", "log", panel);
    log.setAttribute("aria-live", "polite");
    if (state.settings.greeting) {
      var greeting = element("li", "msg theirs greeting", log);
      var greetingText = element("p", "text", greeting);
      greetingText.textContent = String(state.settings.greeting);
    }
    var typing = element("div", "typing", panel);
    typing.textContent = text("typing");
    typing.hidden = true;
    var error = element("div", "error", panel);
    error.setAttribute("role", "alert");
    error.hidden = true;
    var form = element("form", "compose", panel);
    var input = element("textarea", "", form);
    input.rows = 1;
    input.maxLength = state.maxChars;
    input.placeholder = text("placeholder");
    input.setAttribute("aria-label", text("placeholder"));
    var sendButton = element("button", "send", form);
    sendButton.type = "submit";
    sendButton.textContent = text("send");

    var bubble = element("button", "bubble", root);
    bubble.type = "button";
    bubble.setAttribute("aria-label", text("open"));
    bubble.setAttribute("aria-expanded", "false");
    bubble.appendChild(chatIcon());
    var badge = element("span", "badge", bubble);
    badge.hidden = true;

    ui = {
      host: host, panel: panel, log: log, typing: typing, status: status, error: error,
      input: input, sendButton: sendButton, bubble: bubble, badge: badge
    };

    bubble.addEventListener("click", toggle);
    close.addEventListener("click", closePanel);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") closePanel();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    input.addEventListener("input", function () {
      showError("");
      if (input.value.trim()) visitorTyping();
      else visitorStoppedTyping();
    });

    document.body.appendChild(host);
    if (loadSession("open") === "1") openPanel();
    document.dispatchEvent(new CustomEvent("x8widget:ready"));
  }

  function submit() {
    var value = ui.input.value;
    if (!value.trim()) {
      showError(text("empty"));
      return;
    }
    if (send(value)) {
      ui.input.value = "";
      visitorStoppedTyping();
    }
  }

  function showStatus(message) {
    if (!ui) return;
    ui.status.textContent = message;
    ui.status.hidden = !message;
  }

  function showError(message) {
    if (!ui) return;
    ui.error.textContent = message;
    ui.error.hidden = !message;
  }

  function scrollDown() {
    if (ui) ui.log.scrollTop = ui.log.scrollHeight;
  }

  function openPanel() {
    if (!ui) return;
    state.open = true;
    state.unread = 0;
    ui.badge.hidden = true;
    ui.panel.hidden = false;
    ui.bubble.setAttribute("aria-expanded", "true");
    ui.bubble.setAttribute("aria-label", text("close"));
    saveSession("open", "1");
    scrollDown();
    ui.input.focus();
  }

  function closePanel() {
    if (!ui) return;
    state.open = false;
    ui.panel.hidden = true;
    ui.bubble.setAttribute("aria-expanded", "false");
    ui.bubble.setAttribute("aria-label", text("open"));
    saveSession("open", "0");
    ui.bubble.focus();
  }

  function toggle() {
    if (state.open) closePanel();
    else openPanel();
  }

  window.X8Widget = {
    key: KEY,
    open: openPanel,
    close: closePanel,
    toggle: toggle,
    isOpen: function () { return state.open; },
    send: send
  };

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
