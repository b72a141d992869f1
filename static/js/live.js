// Live portal: one websocket per page to /ws/live/ on the business's host.
// Every frame is re-dispatched as a DOM event "x8:live" (the inbox listens to it); the open
// conversation's messages, typing and state are kept here. After a dropped socket it
// reconnects with backoff and asks for what it missed since the last message id it shows.
(function () {
  if (window.x8Live || !document.body.hasAttribute("data-live")) return;
  var socket = null, retries = 0, followed = null, everOpen = false, prefs = {}, lostAt = 0;
  var typingTimer = null, typingSentAt = 0;

  function text(name) { return (document.body.dataset[name] || ""); }
  function view() { return document.querySelector("[data-conversation-view]"); }
  function viewed() { var el = view(); return el ? parseInt(el.dataset.conversationView, 10) : null; }
  function box() { return document.querySelector("[data-messages]"); }
  function setState(state) {
    document.querySelectorAll("[data-live-state]").forEach(function (el) {
      el.dataset.state = state;
      el.textContent = state === "live" ? text("liveOn") : text("liveOff");
    });
  }
  function lastId() {
    var max = 0;
    document.querySelectorAll("[data-messages] [data-message-id]").forEach(function (el) {
      max = Math.max(max, parseInt(el.dataset.messageId, 10) || 0);
    });
    return max;
  }
  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }
  function follow(resume) {
    var el = view();
    var id = el ? parseInt(el.dataset.conversationView, 10) : null;
    if (!id) { followed = null; return; }
    if (id === followed && !resume) return;
    followed = id;
    // On a resume, also what changed since the drop (a little earlier, for clock skew).
    send({ action: "follow", conversation: id, after: lastId(), resume: !!resume, since: resume ? lostAt - 5000 : 0 });
  }
  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();  // server-rendered, autoescaped HTML
    return template.content.firstElementChild;
  }
  function daySeparator(node) {
    var separator = document.createElement("div");
    separator.className = "day-separator";
    separator.dataset.day = node.dataset.day;
    var label = document.createElement("span");
    label.textContent = node.dataset.dayLabel;
    separator.appendChild(label);
    return separator;
  }
  // A frame from the socket is the latest word on a message: it replaces what the page has.
  // The copy a reply's own response carries (keepIfShown) only fills in when the socket's
  // has not come yet, so a "sent" tick is never put back to "pending".
  function upsertMessage(frame, keepIfShown) {
    var container = box();
    if (!container || frame.conversation !== viewed()) return;
    var node = fragment(frame.html);
    if (!node) return;
    var existing = container.querySelector('[data-message-id="' + frame.id + '"]');
    if (existing && keepIfShown) return;
    if (existing) { existing.replaceWith(node); dedupe(); return; }
    var empty = container.querySelector("[data-empty]");
    if (empty) empty.remove();
    var nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
    var after = null;
    container.querySelectorAll("[data-message-id]").forEach(function (el) {
      if ((parseInt(el.dataset.messageId, 10) || 0) > frame.id && !after) after = el;
    });
    var days = container.querySelectorAll(".day-separator");
    var lastDay = days.length ? days[days.length - 1].dataset.day : null;
    if (after) container.insertBefore(node, after);
    else {
      if (lastDay !== node.dataset.day) container.appendChild(daySeparator(node));
      container.appendChild(node);
    }
    if (typeof htmx !== "undefined") htmx.process(node);
    if (nearBottom || frame.mine) container.scrollTop = container.scrollHeight;
  }
  function dedupe() {
    var seen = {};
    var all = document.querySelectorAll("[data-messages] [data-message-id]");
    for (var i = all.length - 1; i >= 0; i--) {
      var id = all[i].dataset.messageId;
      if (seen[id]) all[i].remove(); else seen[id] = true;
    }
  }
  function showTyping(frame) {
    var el = document.querySelector("[data-typing-indicator]");
    if (!el || frame.conversation !== followed) return;
    clearTimeout(el._timer);
    if (!frame.active) { el.hidden = true; return; }
    el.textContent = (frame.side === "visitor" ? text("customerTyping") : text("staffTyping")).replace("%s", frame.who);
    el.hidden = false;
    el._timer = setTimeout(function () { el.hidden = true; }, 6000);
  }
  function beep() {
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880; gain.gain.value = 0.08;
      tone.connect(gain); gain.connect(audio.destination);
      tone.start(); tone.stop(audio.currentTime + 0.18);
    } catch (e) { /* no audio */ }
  }
  function alertUser(alert) {
    if (prefs.notify_sound) beep();
    if (prefs.notify_desktop && "Notification" in window && Notification.permission === "granted") {
      try { new Notification(alert.title, { body: alert.body, tag: "x8-" + alert.kind }); } catch (e) { /* blocked */ }
    }
    document.body.dataset.lastAlert = alert.kind;
  }
  // Without a socket (a proxy that refuses websockets, a server restart) the open
  // conversation is refreshed every few seconds until the socket is back.
  setInterval(function () {
    if (socket && socket.readyState === WebSocket.OPEN) return;
    if (!box() || typeof htmx === "undefined" || document.hidden) return;
    htmx.ajax("GET", location.pathname, { target: "#messages", select: "#messages", swap: "outerHTML" });
  }, 4000);
  function handle(frame) {
    if (frame.type === "hello") { prefs = frame; }
    else if (frame.type === "message") upsertMessage(frame);
    else if (frame.type === "typing") showTyping(frame);
    else if (frame.type === "state" && frame.conversation === followed) {
      document.body.dispatchEvent(new CustomEvent("x8-state"));
    } else if (frame.type === "row" && frame.alert) alertUser(frame.alert);
    document.dispatchEvent(new CustomEvent("x8:live", { detail: frame }));
  }
  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/live/");
    socket.onopen = function () {
      retries = 0;
      setState("live");
      var resume = everOpen;
      everOpen = true;
      followed = null;
      follow(resume);
      lostAt = 0;
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function (event) {
      if (everOpen && !lostAt) lostAt = Date.now();
      setState("offline");
      if (event.code === 4403 || event.code === 4404) return;  // not a member: no retry
      retries += 1;
      setTimeout(connect, Math.min(1000 * Math.pow(2, retries - 1), 15000) + Math.random() * 300);
    };
  }
  window.x8Live = {
    send: send,
    reconnect: function () { if (socket) socket.close(); },
    socket: function () { return socket; },
  };
  function placeSentMessages() {
    document.querySelectorAll("template[data-sent-message]").forEach(function (template) {
      var id = parseInt(template.dataset.sentMessage, 10);
      upsertMessage({ conversation: viewed(), id: id, html: template.innerHTML, mine: true }, true);
      template.remove();
    });
  }
  document.addEventListener("htmx:afterSettle", function () { placeSentMessages(); dedupe(); follow(false); setState(socket && socket.readyState === WebSocket.OPEN ? "live" : "offline"); });
  document.addEventListener("input", function (event) {
    if (!event.target.matches("[data-typing]") || !followed) return;
    var now = Date.now();
    if (now - typingSentAt > 3000) { typingSentAt = now; send({ action: "typing", active: true }); }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingSentAt = 0; send({ action: "typing", active: false }); }, 5000);
  });
  document.addEventListener("click", function (event) {
    if (prefs.notify_desktop && "Notification" in window && Notification.permission === "default") {
      Notification.requestPermission();
    }
  }, { once: true });
  connect();
})();
