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

// Live: the server pushes the ids of the cases that changed (/api/stream, server-sent events).
// The queue reloads itself at once; a case page reloads when its case changed, or, if the agent
// has a draft, says so instead. The browser reconnects a dropped stream by itself; while it is
// down the queue still reloads, once a minute.
(function () {
  const body = document.body;
  const watched = body.dataset.watchCase;
  if (body.dataset.live !== "1" && !watched) return;
  const drafting = () => typing() || Array.from(document.querySelectorAll("textarea"))
    .some((t) => t.value.trim() !== "");
  let due = false;
  const refresh = () => {
    if (watched && drafting()) {
      const note = document.getElementById("changed-note");
      if (note) note.hidden = false;
      return;
    }
    if (typing()) { due = true; return; }
    // at most one redraw every 2 s, however busy the queue: a burst of changes costs the desk
    // one page per agent per 2 s, not one per change
    const last = parseInt(sessionStorage.getItem("socialcare-redrawn") || "0", 10);
    const wait = Math.max(0, last + 2000 - Date.now());
    if (wait > 0) { setTimeout(refresh, wait); return; }
    sessionStorage.setItem("socialcare-redrawn", String(Date.now()));
    location.reload();
  };
  setInterval(() => { if (due && !typing()) location.reload(); }, 2000);
  if (!window.EventSource) {
    setInterval(() => { if (!drafting()) location.reload(); }, 15000);
    return;
  }
  let lastSeen = Date.now();
  const stream = new EventSource("/api/stream");
  stream.addEventListener("open", () => { lastSeen = Date.now(); body.dataset.stream = "open"; });
  stream.addEventListener("error", () => { body.dataset.stream = "down"; });
  stream.addEventListener("changes", (ev) => {
    lastSeen = Date.now();
    const change = JSON.parse(ev.data);
    if (watched && !change.all && !change.cases.includes(watched)) return;
    // a little jitter: a change reaches every open page at once, and they need not all
    // come back in the same instant
    setTimeout(refresh, 150 + Math.random() * 500);
  });
  setInterval(() => {
    if (stream.readyState === 1) { lastSeen = Date.now(); return; }
    if (body.dataset.live === "1" && Date.now() - lastSeen > 60000 && !typing()) location.reload();
  }, 10000);
})();

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

// Presence: the header's select sets it; a desk left idle turns away by itself and comes back
// online at the next key or click (only if it was this page that turned it away).
(function () {
  const form = document.getElementById("presence-form");
  if (!form) return;
  const select = document.getElementById("presence");
  select.addEventListener("change", () => form.submit());
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const idleMs = parseFloat(form.dataset.idleMinutes || "10") * 60000;
  let last = Date.now(), autoAway = false;
  const set = (status) => fetch("/api/presence", {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify({status}),
  }).then((r) => { if (r.ok) { select.value = status; form.className = `presence ${status}`; } });
  const active = () => {
    last = Date.now();
    if (autoAway) { autoAway = false; set("online"); }
  };
  ["keydown", "mousedown", "mousemove", "touchstart", "scroll"].forEach((e) => document.addEventListener(e, active, {passive: true}));
  setInterval(() => {
    if (!autoAway && select.value === "online" && Date.now() - last > idleMs) { autoAway = true; set("away"); }
  }, 15000);
})();

// Case page: a saved reply fills the reply box (the server filled in its variables; the agent
// edits before sending), and the page tells the desk every 20 s that the case is open here,
// showing who else has it open.
(function () {
  const picker = document.getElementById("saved-reply");
  const box = document.getElementById("reply-text");
  if (picker && box) {
    picker.addEventListener("change", () => {
      const opt = picker.selectedOptions[0];
      if (opt && opt.dataset.text !== undefined) { box.value = opt.dataset.text; box.focus(); }
    });
  }
  const viewers = document.getElementById("viewers");
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (!viewers || !meta) return;
  const ping = () => fetch(`/api/cases/${encodeURIComponent(viewers.dataset.case)}/viewing`, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": meta.content},
  }).then((r) => r.ok ? r.json() : null).then((body) => {
    if (!body) return;
    const others = body.viewers;
    viewers.className = others.length ? "viewers" : "muted";
    viewers.textContent = others.length ? `Also viewing now: ${others.join(", ")}` : "Nobody else has this case open.";
  }).catch(() => {});
  setInterval(ping, 20000);
})();
