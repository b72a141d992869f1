// The reply box of a conversation: "/" opens the business's quick replies.
(function () {
  if (window.x8QuickReplies) return;
  window.x8QuickReplies = true;

  function replies() {
    var data = document.getElementById("quick-replies");
    try { return data ? JSON.parse(data.textContent) : []; } catch (e) { return []; }
  }
  function menuFor(input) { return input.form && input.form.querySelector("[data-quick-reply-menu]"); }
  function close(input) { var menu = menuFor(input); if (menu) { menu.hidden = true; menu.textContent = ""; } }
  function choose(input, reply) {
    input.value = reply.text;
    close(input);
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }
  function open(input) {
    var menu = menuFor(input);
    var match = /^\/(\S*)$/.exec(input.value);
    if (!menu || !match) { if (menu) close(input); return; }
    var word = match[1].toLowerCase();
    var found = replies().filter(function (r) { return r.shortcut.toLowerCase().indexOf(word) === 0; });
    menu.textContent = "";
    found.slice(0, 8).forEach(function (reply, index) {
      var option = document.createElement("button");
      option.type = "button";
      option.className = "quick-reply-option" + (index === 0 ? " active" : "");
      option.setAttribute("role", "option");
      option.dataset.testid = "quick-reply-option";
      var key = document.createElement("strong");
      key.textContent = "/" + reply.shortcut;
      var body = document.createElement("span");
      body.textContent = " " + reply.text.slice(0, 80);
      option.append(key, body);
      option.addEventListener("click", function () { choose(input, reply); });
      menu.appendChild(option);
    });
    menu.hidden = found.length === 0;
    menu._found = found;
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-quick-replies]")) open(event.target);
  });
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-quick-replies]")) return;
    var menu = menuFor(input);
    if (menu && !menu.hidden && menu._found && menu._found.length) {
      var options = menu.querySelectorAll(".quick-reply-option");
      var index = Array.prototype.findIndex.call(options, function (o) { return o.classList.contains("active"); });
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        options[index].classList.remove("active");
        index = (index + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
        options[index].classList.add("active");
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(input, menu._found[Math.max(index, 0)]);
      } else if (event.key === "Escape") {
        close(input);
      }
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      input.form.requestSubmit();
    }
  });
})();
