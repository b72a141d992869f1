// Copy buttons of the web chat snippet in the portal ([data-copy] next to [data-copy-source]).
(function () {
  if (window.x8WebchatCopy) return;
  window.x8WebchatCopy = true;
  function done(button, text) {
    var original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = text;
    setTimeout(function () { button.textContent = original; }, 2000);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var box = button.closest(".webchat-snippet");
    var source = box && box.querySelector("[data-copy-source]");
    if (!source) return;
    var text = source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { done(button, button.dataset.copied); },
        function () { done(button, button.dataset.copyFailed); }
      );
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    done(button, copied ? button.dataset.copied : button.dataset.copyFailed);
  });
})();
