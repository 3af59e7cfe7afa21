// Idle sign-out in the page: warn at 28 minutes without activity, sign out at 30.
//
// Why (HIPAA §164.312(a)(2)(iii), automatic logoff): an unattended screen must not keep showing
// health information. The rule is about *inactivity*, so the timer counts from the person's last
// real activity, not from the page load:
// - keyboard and pointer input in any open tab of the portal (tabs tell each other, so a quiet
//   Clients tab never signs out the tab that holds a call);
// - requests that reached the server for the person: autosave, form posts, the call heartbeat
//   (pages say so with the `session:activity` event);
// - a connected video call (`session:hold`): a live conversation is activity even when nobody
//   touches the keyboard for an hour. The room keeps the server session alive on its heartbeat
//   while connected; the server alone still enforces the idle limit on everything else and the
//   absolute 12-hour limit on every session, call or not.
// Local activity the server has not seen (reading, scrolling a long page) is reported with a
// keep-alive at most once a minute, so the page and the server agree within a minute.
// When the time is up, unsaved text is saved first (`session:flush`, answered by autosave.js),
// then the session is ended on the server and the page goes to the sign-in screen.
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content;
const timeoutS = Number(meta("session-idle-timeout") || 1800);
const warningS = Number(meta("session-idle-warning") || 1680);
const csrf = meta("csrf-token");
const dialog = document.getElementById("session-warning");
const left = document.getElementById("session-warning-left");
const TICK_MS = 5000;
const REPORT_AFTER_MS = 60 * 1000;  // local activity is told to the server at most this often
const FLUSH_WAIT_MS = 4000;         // how long sign-out waits for drafts to save
const channel = "BroadcastChannel" in window ? new BroadcastChannel("portal-session") : null;

let lastActive = Date.now();
let serverSawUs = Date.now();  // the page load was a request
let held = false;              // a connected call
let leaving = false;

function active({ server = false, share = true } = {}) {
  const now = Date.now();
  lastActive = now;
  if (server) serverSawUs = now;
  if (share) channel?.postMessage({ at: now, server });
  if (!server && now - serverSawUs > REPORT_AFTER_MS) keepalive();
}

// Ask every autosaving form on the page to save now; resolves when they are done (or gave up).
function flush() {
  const pending = [];
  document.dispatchEvent(new CustomEvent("session:flush", { detail: { waitFor: (p) => pending.push(p) } }));
  const giveUp = new Promise((resolve) => setTimeout(resolve, FLUSH_WAIT_MS));
  return Promise.race([Promise.allSettled(pending), giveUp]);
}

async function signOut() {
  if (leaving) return;
  leaving = true;
  clearInterval(ticker);
  await flush();
  try {
    // End the session on the server too (not only the page): the sign-in page then shows.
    await fetch("/auth/logout", {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "X-CSRFToken": csrf },
    });
  } catch { /* offline: the server's own idle limit ends the session */ }
  toSignIn();
}

function toSignIn() {
  const next = encodeURIComponent(location.pathname + location.search);
  location.assign(`/auth/login?next=${next}`);
}

function showWarning() {
  if (dialog && !dialog.open) {
    dialog.showModal();
    document.getElementById("session-stay")?.focus();
    flush();  // two minutes before sign-out: whatever was typed is saved now
  }
}

function tick() {
  if (held) {
    lastActive = Date.now();
    channel?.postMessage({ at: lastActive, server: false });
    return;
  }
  const idle = (Date.now() - lastActive) / 1000;
  if (idle >= timeoutS) {
    signOut();
  } else if (idle >= warningS) {
    const secs = Math.max(0, Math.round(timeoutS - idle));
    if (left) left.textContent = secs > 60 ? `${Math.ceil(secs / 60)} minutes` : `${secs} seconds`;
    showWarning();
  } else if (dialog?.open) {
    dialog.close();  // activity in another tab
  }
}

async function keepalive() {
  serverSawUs = Date.now();  // one report at a time
  try {
    const res = await fetch("/auth/keepalive", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
    });
    if (!res.ok) {
      toSignIn();
      return false;
    }
    active({ server: true });
    return true;
  } catch {
    return false;  // offline: the next activity or tick tries again
  }
}

async function stay() {
  if (await keepalive()) dialog?.close();
}

// Keyboard and pointer input is activity, except while the warning asks its question.
for (const type of ["keydown", "pointerdown", "wheel", "touchstart"]) {
  document.addEventListener(type, () => { if (!dialog?.open) active(); }, { capture: true, passive: true });
}
document.addEventListener("submit", () => active({ server: true }), { capture: true });
document.addEventListener("session:activity", () => active({ server: true }));
document.addEventListener("session:hold", (e) => {
  held = Boolean(e.detail?.on);
  active({ server: held });
  if (held && dialog?.open) dialog.close();
});
channel?.addEventListener("message", (e) => {
  if (typeof e.data?.at !== "number") return;
  lastActive = Math.max(lastActive, Math.min(e.data.at, Date.now()));
  if (e.data.server) serverSawUs = Math.max(serverSawUs, lastActive);
});
document.getElementById("session-stay")?.addEventListener("click", stay);
const ticker = setInterval(tick, TICK_MS);
document.documentElement.dataset.idleTimer = "ready"; // lets browser tests know the timer runs
