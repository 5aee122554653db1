// Progressive enhancement only: every action also works as a plain form without this script.
"use strict";

// Confirmation before destructive actions (forms carry the question in data-confirm).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// « Copier » buttons next to read-only fields (a new API token).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.getAttribute("data-copy"));
  if (field && navigator.clipboard) {
    navigator.clipboard.writeText(field.value).then(() => { button.textContent = "✓"; });
  }
});

// Votes without reloading the page: the same form, sent with fetch. Any failure falls back to
// the plain form submission, which shows the server's message.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".vote-form button[name=choice]");
  if (!button || !window.fetch) return;
  event.preventDefault();
  const form = button.form;
  const data = new FormData(form);
  data.set("choice", button.value);
  form.setAttribute("aria-busy", "true");
  fetch(form.action, { method: "POST", body: data, headers: { "Accept": "application/json" } })
    .then((response) => response.ok ? response.json() : Promise.reject(response))
    .then((result) => {
      for (const kind of ["plebisciter", "rejeter"]) {
        const count = form.querySelector(`[data-count=${kind}]`);
        if (count) count.textContent = result.votes[kind];
        const choice = form.querySelector(`button[value=${kind}]`);
        choice.classList.toggle("is-mine", result.mine === kind);
        choice.setAttribute("aria-pressed", result.mine === kind ? "true" : "false");
      }
      const status = form.querySelector(".vote-status");
      if (status) {
        status.textContent = result.mine ? status.getAttribute("data-saved")
                                         : status.getAttribute("data-withdrawn");
      }
    })
    .catch(() => {
      const choice = document.createElement("input");
      choice.type = "hidden";
      choice.name = "choice";
      choice.value = button.value;
      form.append(choice);
      form.submit();
    })
    .finally(() => form.removeAttribute("aria-busy"));
});

// Live preview of the Markdown editor, rendered by the server (same sanitiser as on save).
(() => {
  const area = document.querySelector("textarea[data-preview]");
  if (!area || !window.fetch) return;
  const target = document.getElementById(area.getAttribute("data-preview"));
  const pane = target && target.closest(".live-preview-pane");
  const token = area.form && area.form.querySelector("input[name=csrf_token]");
  if (!pane || !token) return;
  pane.hidden = false;
  pane.parentElement.classList.add("with-preview");
  let timer = null;
  let sent = 0;
  const refresh = () => {
    const data = new FormData();
    data.set("body", area.value);
    data.set("csrf_token", token.value);
    const mine = ++sent;
    fetch("/preview", { method: "POST", body: data })
      .then((response) => response.ok ? response.text() : "")
      .then((html) => {
        if (mine === sent) target.innerHTML = html;  // an older answer never overwrites a newer
      })
      .catch(() => {});
  };
  area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 400); });
  refresh();
})();

// « Commenter ce passage »: select words in the revision's text, and a button appears next to
// the selection; it copies the passage into the comment form (with a little of the text around
// it, to tell repeated passages apart) and puts the cursor in the comment. The server finds the
// passage in the Markdown text, also when the selection spans formatting.
(() => {
  const text = document.getElementById("texte-revision");
  const button = document.querySelector(".comment-selection");
  const form = document.getElementById("comment-form");
  if (!text || !button || !form || !window.getSelection) return;
  const quote = form.querySelector("[name=quote]");
  const body = form.querySelector("[name=body]");
  if (!quote || !body) return;
  const CONTEXT = 32;
  const hiddenField = (name) => {
    let field = form.querySelector(`input[type=hidden][name=${name}]`);
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = name;
      form.append(field);
    }
    return field;
  };
  const prefix = hiddenField("prefix");
  const suffix = hiddenField("suffix");
  // Next in the reading and tab order after the text, floating next to the selection.
  text.after(button);
  button.classList.add("is-floating");
  let chosen = null;
  let timer = null;

  const squash = (value) => value.replace(/\s+/g, " ");
  const current = () => {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return null;
    const passage = squash(range.toString()).trim();
    if (!passage) return null;
    const before = document.createRange();
    before.selectNodeContents(text);
    before.setEnd(range.startContainer, range.startOffset);
    const after = document.createRange();
    after.selectNodeContents(text);
    after.setStart(range.endContainer, range.endOffset);
    return {
      quote: passage,
      prefix: squash(before.toString()).slice(-CONTEXT),
      suffix: squash(after.toString()).slice(0, CONTEXT),
      rect: range.getBoundingClientRect(),
    };
  };
  const place = (rect) => {
    const origin = (button.offsetParent || document.body).getBoundingClientRect();
    const room = document.documentElement.clientWidth - button.offsetWidth - 8;
    const left = Math.max(8, Math.min(rect.left, room));
    button.style.left = `${left - origin.left}px`;
    button.style.top = `${rect.bottom - origin.top + 8}px`;
  };
  const update = () => {
    const found = current();
    if (found) {
      chosen = found;
      button.hidden = false;
      place(found.rect);
    } else if (document.activeElement !== button) {
      chosen = null;
      button.hidden = true;
    }
  };
  document.addEventListener("selectionchange", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 120);
  });
  // Pressing the button must not take the selection away before the click.
  button.addEventListener("mousedown", (event) => event.preventDefault());
  button.addEventListener("blur", () => { if (!current()) button.hidden = true; });
  button.addEventListener("click", () => {
    if (!chosen) return;
    quote.value = chosen.quote;
    prefix.value = chosen.prefix;
    suffix.value = chosen.suffix;
    button.hidden = true;
    form.scrollIntoView({ block: "nearest" });
    body.focus();
  });
  // A passage typed or changed by hand has no known surroundings.
  quote.addEventListener("input", () => { prefix.value = ""; suffix.value = ""; });
})();

// Merge screen: writing in a passage's own text chooses « Écrire un autre texte » for it.
document.addEventListener("input", (event) => {
  const area = event.target.closest(".region textarea");
  const own = area && area.closest("fieldset").querySelector("input[type=radio][value=edit]");
  if (own) own.checked = true;
});

// A comment on a passage: clicking it marks its passage in the text (the server tells which
// text the page shows there, and which occurrence of it, counted without white space: the DOM
// has none where two blocks meet). Without the script, the link just goes to the text.
(() => {
  const text = document.getElementById("texte-revision");
  if (!text) return;
  const unmark = () => {
    for (const mark of text.querySelectorAll("mark.passage")) {
      const parent = mark.parentNode;
      mark.replaceWith(...mark.childNodes);
      parent.normalize();
    }
    for (const comment of document.querySelectorAll(".comment.is-shown")) {
      comment.classList.remove("is-shown");
    }
  };
  // Each character of the text without white space, with the text node and offset it is at.
  const denseText = () => {
    const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
    const places = [];
    let dense = "";
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const value = node.nodeValue;
      for (let i = 0; i < value.length; i++) {
        if (!/\s/.test(value[i])) {
          dense += value[i];
          places.push([node, i]);
        }
      }
    }
    return { dense, places };
  };
  const mark = (passage, occurrence) => {
    const wanted = passage.replace(/\s+/g, "");
    const { dense, places } = denseText();
    let at = -1;
    for (let n = 0; n <= occurrence; n++) {
      at = dense.indexOf(wanted, at + 1);
      if (at === -1) return null;
    }
    // One <mark> per text node the passage touches, from the last so offsets stay right.
    const pieces = new Map();
    for (let i = at; i < at + wanted.length; i++) {
      const [node, offset] = places[i];
      const piece = pieces.get(node) || [offset, offset];
      piece[1] = offset + 1;
      pieces.set(node, piece);
    }
    let first = null;
    for (const [node, [start, end]] of [...pieces].reverse()) {
      const range = document.createRange();
      range.setStart(node, start);
      range.setEnd(node, end);
      const element = document.createElement("mark");
      element.className = "passage";
      range.surroundContents(element);
      first = element;
    }
    return first;
  };
  document.addEventListener("click", (event) => {
    // The comment itself, not a reply to it (a reply has no passage of its own).
    const comment = event.target.closest(".comment");
    if (!comment || !comment.hasAttribute("data-passage")) return;
    const link = event.target.closest(".show-passage");
    // Clicking inside the comment's forms, buttons and links keeps its own meaning.
    if (!link && event.target.closest("a, button, input, textarea, label, summary, details")) return;
    if (link) event.preventDefault();
    unmark();
    const first = mark(comment.getAttribute("data-passage"),
                       Number(comment.getAttribute("data-occurrence")) || 0);
    if (!first) return;
    comment.classList.add("is-shown");
    first.scrollIntoView({ block: "center" });
  });
})();
