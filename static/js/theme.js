// Apply the saved (or the system's) colour theme before the page paints.
(function () {
  var saved = null;
  try { saved = localStorage.getItem("x8-theme"); } catch (e) { /* storage disabled */ }
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = saved || (dark ? "dark" : "light");
})();
