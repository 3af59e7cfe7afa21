// Intake autosave: the server keeps a draft of this step while the client types, so nothing is
// lost to the idle timeout, a closed tab or a dropped connection.
const form = document.getElementById("intake-form");
const status = document.getElementById("autosave-status");
const url = form?.dataset.autosaveUrl;
const DELAY_MS = 3000;
let timer = null;
let dirty = false;

function body() {
  const data = new FormData(form);
  data.delete("action");
  return data;
}

async function save() {
  timer = null;
  if (!dirty) return;
  dirty = false;
  try {
    const res = await fetch(url, {
      method: "POST", body: body(), credentials: "same-origin",
      headers: { "Accept": "application/json" },
    });
    if (res.status === 401) {
      status.textContent = "You were signed out. Your answers up to now are saved.";
      return;
    }
    if (!res.ok) throw new Error(String(res.status));
    status.textContent = `Saved at ${new Date().toLocaleTimeString([], { hour: "numeric", minute: "2-digit" })}.`;
  } catch {
    dirty = true;
    status.textContent = "Not saved yet: we will try again when you are back online.";
  }
}

function changed() {
  dirty = true;
  if (timer) clearTimeout(timer);
  timer = setTimeout(save, DELAY_MS);
}

if (form && url) {
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("online", () => { if (dirty) save(); });
  // Leaving the page: a beacon survives the tab closing (the CSRF token travels in the form).
  window.addEventListener("pagehide", () => {
    if (dirty) navigator.sendBeacon(url, body());
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && dirty) save();
  });
}
