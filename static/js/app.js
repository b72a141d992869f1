// Small behaviours of the portal: theme switch, portal-address suggestion while signing up.
(function () {
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (!toggle) return;
    var root = document.documentElement;
    var next = root.dataset.theme === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    try { localStorage.setItem("x8-theme", next); } catch (e) { /* storage disabled */ }
  });

  var TRANSLIT = {а:"a",б:"b",в:"v",г:"g",ґ:"g",д:"d",е:"e",ё:"e",є:"ye",ж:"zh",з:"z",и:"i",і:"i",ї:"yi",й:"y",к:"k",л:"l",м:"m",н:"n",о:"o",п:"p",р:"r",с:"s",т:"t",у:"u",ф:"f",х:"h",ц:"ts",ч:"ch",ш:"sh",щ:"sch",ъ:"",ы:"y",ь:"",э:"e",ю:"yu",я:"ya"};
  function slugify(text) {
    return text.toLowerCase().split("").map(function (c) { return TRANSLIT[c] !== undefined ? TRANSLIT[c] : c; }).join("")
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/g, "");
  }
  document.addEventListener("input", function (event) {
    var source = event.target.closest("[data-slug-source]");
    if (source) {
      var target = document.querySelector("[data-slug-target]");
      if (target && !target.dataset.touched) {
        target.value = slugify(source.value);
        target.dispatchEvent(new Event("slug-suggested"));
      }
    }
    if (event.target.matches("[data-slug-target]")) event.target.dataset.touched = "1";
  });
})();
