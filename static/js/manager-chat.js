// The chat between a business and its manager, on both sides (the portal's "Your manager"
// page and the admin's chat pages). A page with [data-manager-chat] opens one websocket to
// its data-socket path: new messages arrive as the fragment the page renders over HTTP, the
// other side's messages are marked read while the page is visible, unread counts and read
// receipts update in place. A ping keeps the person counted as online (no e-mail then).
// Without a socket the thread is reloaded every few seconds until the socket is back.
// Portal pages are swapped in by htmx (hx-boost), so the script may run more than once and
// the chat may appear or go away without a page load: it follows the page.
(function () {
  if (window.x8ManagerChat) { window.x8ManagerChat.scan(); return; }
  var root = null, socket = null, retries = 0, everOpen = false, readSent = 0, retryTimer = null;

  function thread() { return root && root.querySelector("[data-chat-thread]"); }
  function setState(state) {
    if (!root) return;
    root.querySelectorAll("[data-chat-live-state]").forEach(function (el) {
      el.dataset.state = state;
      el.textContent = state === "live" ? root.dataset.liveOn : root.dataset.liveOff;
    });
  }
  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }
  function idOf(el) { return parseInt(el.dataset.messageId, 10) || 0; }
  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();  // server-rendered, autoescaped HTML
    return template.content.firstElementChild;
  }
  function lastTheirs() {
    var max = 0, box = thread();
    if (!box) return 0;
    box.querySelectorAll("[data-message-id]").forEach(function (el) {
      if (el.dataset.messageSide !== root.dataset.side) max = Math.max(max, idOf(el));
    });
    return max;
  }
  function markRead() {
    if (document.hidden) return;
    var id = lastTheirs();
    if (id > readSent && socket && socket.readyState === WebSocket.OPEN) {
      readSent = id;
      send({ action: "read", up_to: id });
    }
  }
  function place(id, html, mine) {
    var box = thread();
    if (!box) return;
    var node = fragment(html);
    if (!node) return;
    var existing = box.querySelector('[data-message-id="' + id + '"]');
    if (existing) {
      // A copy rendered before the other side read it (a late echo) must not undo "Read".
      if (existing.dataset.read !== undefined && node.dataset.read === undefined) {
        node.dataset.read = "";
        var state = node.querySelector("[data-read-state]");
        if (state) state.textContent = root.dataset.readLabel;
      }
      existing.replaceWith(node);
      return;
    }
    var empty = box.querySelector("[data-empty]");
    if (empty) empty.remove();
    var nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    var after = null;
    box.querySelectorAll("[data-message-id]").forEach(function (el) {
      if (!after && idOf(el) > id) after = el;
    });
    box.insertBefore(node, after);
    if (nearBottom || mine) box.scrollTop = box.scrollHeight;
  }
  function showUnread(business, count) {
    document.querySelectorAll('[data-chat-unread="' + business + '"]').forEach(function (el) {
      el.textContent = count;
      el.hidden = !count;
    });
    if (root && root.dataset.side === "business") {
      var badge = document.getElementById("manager-unread");
      if (badge) { badge.textContent = count; badge.hidden = !count; }
    }
  }
  function showRead(frame) {
    var box = thread();
    if (!box || frame.side !== root.dataset.side) return;
    box.querySelectorAll('[data-message-side="' + frame.side + '"]').forEach(function (el) {
      if (idOf(el) > frame.up_to) return;
      el.dataset.read = "";
      var state = el.querySelector("[data-read-state]");
      if (state) state.textContent = root.dataset.readLabel;
    });
  }
  function handle(frame) {
    if (frame.type === "hello" && root.dataset.business) showUnread(root.dataset.business, frame.unread);
    else if (frame.type === "message") { place(frame.id, frame.html, frame.mine); if (!frame.mine) markRead(); }
    else if (frame.type === "unread") showUnread(frame.business, frame.count);
    else if (frame.type === "read") showRead(frame);
  }
  function refresh() {
    if (!thread() || typeof htmx === "undefined") return;
    htmx.ajax("GET", location.pathname, { target: "#chat-thread", select: "#chat-thread", swap: "outerHTML" });
  }
  function connect() {
    clearTimeout(retryTimer);
    if (!root) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var mine = new WebSocket(scheme + location.host + root.dataset.socket);
    socket = mine;
    mine.onopen = function () {
      if (mine !== socket) return;
      retries = 0;
      setState("live");
      if (everOpen) refresh();  // what came while the socket was away
      everOpen = true;
      readSent = 0;
      markRead();
    };
    mine.onmessage = function (event) {
      if (mine !== socket) return;
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    mine.onclose = function (event) {
      if (mine !== socket) return;
      socket = null;
      setState("offline");
      if (event.code === 4403 || event.code === 4404 || !root) return;  // not allowed: no retry
      retries += 1;
      retryTimer = setTimeout(connect, Math.min(1000 * Math.pow(2, retries - 1), 15000) + Math.random() * 300);
    };
  }
  function disconnect() {
    clearTimeout(retryTimer);
    var old = socket;
    socket = null;
    if (old) old.close();
  }
  // Follow the page: a chat that appeared, went away, or is another business's chat now.
  function scan() {
    var found = document.querySelector("[data-manager-chat]");
    if (found === root) return;
    var sameSocket = found && root && found.dataset.socket === root.dataset.socket && socket;
    root = found;
    if (sameSocket) { setState("live"); markRead(); return; }
    disconnect();
    everOpen = false;
    retries = 0;
    readSent = 0;
    if (root) connect();
  }
  window.x8ManagerChat = { scan: scan, socket: function () { return socket; } };

  setInterval(function () { send({ action: "ping" }); }, 25000);
  setInterval(function () {
    if (root && !(socket && socket.readyState === WebSocket.OPEN) && !document.hidden) refresh();
  }, 5000);
  document.addEventListener("visibilitychange", markRead);
  document.addEventListener("htmx:historyRestore", scan);
  document.addEventListener("htmx:afterSettle", function () {
    scan();
    if (!root) return;
    document.querySelectorAll("template[data-sent-message]").forEach(function (template) {
      place(parseInt(template.dataset.sentMessage, 10), template.innerHTML, true);
      template.remove();
    });
    markRead();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
})();
