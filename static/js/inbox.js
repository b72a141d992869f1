// The inbox page, live: rows pushed over the staff socket (live.js re-dispatches every frame
// as an "x8:live" event) replace the row on the page, or join the first page, or are
// counted in a "N new — show" banner. Without JavaScript the page is a plain list.
(() => {
  if (window.x8InboxListening) return; // htmx runs this script again on each visit
  window.x8InboxListening = true;

  // Conversations with news that the list does not show, per list (a new list starts afresh).
  const unseenBy = new WeakMap();

  // The server renders the row with autoescaping; a <template> parses it inertly.
  function parseRow(html) {
    const template = document.createElement("template");
    template.innerHTML = String(html).trim();
    const row = template.content.firstElementChild;
    return row && row.id && row.id.startsWith("conversation-") ? row : null;
  }

  const sortKey = (row) => parseFloat(row.dataset.sort || "0");

  // Newest first: before the first row that is older than this one.
  function placeInOrder(rows, row) {
    const key = sortKey(row);
    for (const other of rows.children) {
      if (other !== row && sortKey(other) < key) {
        rows.insertBefore(row, other);
        return;
      }
    }
    rows.appendChild(row);
  }

  // Its link then navigates like the page's other links.
  const boost = (row) => window.htmx && window.htmx.process(row);

  function showNews(inbox, row) {
    const unseen = unseenBy.get(inbox) || new Set();
    unseenBy.set(inbox, unseen.add(row.id));
    const news = inbox.querySelector("[data-inbox-news]");
    if (!news) return;
    const text = news.querySelector("[data-inbox-news-text]");
    text.textContent =
      unseen.size === 1 ? text.dataset.one : text.dataset.many.replace("{n}", unseen.size);
    news.hidden = false;
  }

  document.addEventListener("x8:live", (event) => {
    const frame = event.detail;
    if (!frame || frame.type !== "row") return;
    const inbox = document.getElementById("inbox");
    const rows = document.getElementById("inbox-rows");
    const row = parseRow(frame.html);
    if (!inbox || !row) return;

    const here = document.getElementById(row.id);
    const prepends = inbox.dataset.live === "prepend";
    const listed = (inbox.dataset.statuses || "").split(" ").includes(row.dataset.status);
    const newer = sortKey(row) > parseFloat(inbox.dataset.loaded || "0");

    if (here) {
      if (prepends && !listed) {
        here.remove(); // resolved or archived: it leaves the "open" tab
      } else {
        here.replaceWith(row);
        if (prepends) placeInOrder(row.parentElement, row);
        boost(row);
      }
      return;
    }
    if (prepends && listed && rows) {
      const last = rows.lastElementChild;
      // Only rows that belong on the first page (not an old one someone just assigned).
      if (newer || (last && sortKey(row) >= sortKey(last))) {
        placeInOrder(rows, row);
        boost(row);
        // The first conversation of an empty inbox: the list replaces the empty state.
        const table = inbox.querySelector("[data-inbox-table]");
        if (table) table.hidden = false;
        inbox.querySelector("[data-inbox-empty]")?.remove();
      }
      return;
    }
    if (!prepends && newer) showNews(inbox, row);
  });
})();
