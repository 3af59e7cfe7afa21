// Idle sign-out (HIPAA automatic logoff): warn at 28 minutes, go to the sign-in page at 30.
// The server enforces the timeout on its own; this only keeps the screen honest and private.
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content;
const timeoutS = Number(meta("session-idle-timeout") || 1800);
const warningS = Number(meta("session-idle-warning") || 1680);
const csrf = meta("csrf-token");
const dialog = document.getElementById("session-warning");
const left = document.getElementById("session-warning-left");
let lastActive = Date.now();
let ticker = null;

function signedOut() {
  const next = encodeURIComponent(location.pathname + location.search);
  location.assign(`/auth/login?next=${next}`);
}

function showWarning() {
  if (dialog && !dialog.open) {
    dialog.showModal();
    document.getElementById("session-stay")?.focus();
  }
}

function tick() {
  const idle = (Date.now() - lastActive) / 1000;
  if (idle >= timeoutS) {
    clearInterval(ticker);
    signedOut();
  } else if (idle >= warningS) {
    const secs = Math.max(0, Math.round(timeoutS - idle));
    if (left) left.textContent = secs > 60 ? `${Math.ceil(secs / 60)} minutes` : `${secs} seconds`;
    showWarning();
  }
}

async function stay() {
  try {
    const res = await fetch("/auth/keepalive", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
    });
    if (!res.ok) return signedOut();
    lastActive = Date.now();
    dialog?.close();
  } catch {
    // Offline: keep the dialog; the next tick retries or signs out.
  }
}

// Navigation and form posts reset the server's timer; the page load is the activity we know of.
document.getElementById("session-stay")?.addEventListener("click", stay);
ticker = setInterval(tick, 5000);
document.documentElement.dataset.idleTimer = "ready"; // lets browser tests know the timer runs
