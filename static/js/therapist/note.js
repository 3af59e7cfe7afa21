// Session note autosave: the server keeps the draft while the therapist types, so a closed tab,
// the idle timeout or a dropped connection loses nothing. Signed notes have no form (no script).
const form = document.getElementById("note-form");
const status = document.getElementById("autosave-status");
const url = form?.dataset.autosaveUrl;
const DELAY_MS = 3000;
let timer = null;
let dirty = false;

async function save() {
  timer = null;
  if (!dirty) return;
  dirty = false;
  try {
    const res = await fetch(url, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" },
    });
    if (res.status === 401) {
      status.textContent = "You were signed out. The draft up to now is saved.";
      return;
    }
    if (res.status === 409) {
      status.textContent = "This note was signed elsewhere. Reload the page to add an addendum.";
      return;
    }
    if (!res.ok) throw new Error(String(res.status));
    status.textContent = `Draft saved at ${new Date().toLocaleTimeString([], { hour: "numeric", minute: "2-digit" })}.`;
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
  form.addEventListener("submit", () => { dirty = false; if (timer) clearTimeout(timer); });
  window.addEventListener("online", () => { if (dirty) save(); });
  window.addEventListener("pagehide", () => {
    if (dirty) navigator.sendBeacon(url, new FormData(form));
  });
}
