// socialcare desk: live SLA countdowns, live refresh, keyboard shortcuts. No inline scripts
// (the Content-Security-Policy forbids them).
"use strict";

function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll("[data-due]")) {
    const due = Date.parse(el.dataset.due);
    if (isNaN(due)) continue;
    let s = Math.round((due - now) / 1000);
    const late = s < 0; s = Math.abs(s);
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    const txt = d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
    el.textContent = late ? `overdue ${txt}` : `in ${txt}`;
    el.classList.toggle("late", late);
  }
}
tick();
setInterval(tick, 1000);

function typing() {
  const el = document.activeElement;
  return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
}

// Live queue: reload every 15 s unless the agent is typing.
if (document.body.dataset.live === "1") {
  setInterval(() => { if (!typing()) location.reload(); }, 15000);
}

// Keyboard shortcuts: j/k move in the queue, Enter opens; on a case: c claim, r reply,
// n note, e resolve, u back to the queue.
let row = -1;
document.addEventListener("keydown", (ev) => {
  if (typing() || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const rows = Array.from(document.querySelectorAll("tr[data-case]"));
  const click = (sel) => { const b = document.querySelector(sel); if (b) { b.click(); ev.preventDefault(); } };
  const focus = (sel) => { const f = document.querySelector(sel); if (f) { f.focus(); ev.preventDefault(); } };
  if (rows.length && (ev.key === "j" || ev.key === "k")) {
    row = Math.max(0, Math.min(rows.length - 1, row + (ev.key === "j" ? 1 : -1)));
    rows.forEach((r, i) => r.classList.toggle("selected", i === row));
    rows[row].scrollIntoView({block: "nearest"});
  } else if (ev.key === "Enter" && row >= 0 && rows[row]) {
    location.href = rows[row].dataset.href;
  } else if (ev.key === "c") click("#claim-button");
  else if (ev.key === "r") focus("#reply-text");
  else if (ev.key === "n") focus("#note-text");
  else if (ev.key === "e") click("#resolve-button");
  else if (ev.key === "u") { const a = document.querySelector("#back"); if (a) location.href = a.href; }
});
