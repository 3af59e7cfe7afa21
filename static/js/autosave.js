// Server-side drafts while someone types (the intake, session notes): saved 3 s after the last
// change, when the connection comes back, when the tab is hidden and, by beacon, when the page
// closes, and before an idle sign-out (js/session.js asks with `session:flush`), so the idle
// timeout, a closed tab or a dropped connection loses nothing. A saved draft is activity the
// server has seen: the page's idle timer hears of it (`session:activity`).
const DELAY_MS = 3000;

function clock() {
  return new Date().toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

/**
 * @param {HTMLFormElement} form  carries data-autosave-url and the CSRF token
 * @param {HTMLElement} status    a polite live region for "Saved at …"
 * @param {object} words          {saved, signedOut, conflict?} messages in plain words
 * @param {(form: HTMLFormElement) => FormData} [body]  what to send (default: the whole form)
 */
export function autosave(form, status, words, body = (f) => new FormData(f)) {
  const url = form?.dataset.autosaveUrl;
  if (!form || !url) return;
  let timer = null;
  let dirty = false;

  // `flushing`: asked by the idle timer, not by typing: that save is no sign of the person.
  async function save(flushing = false) {
    timer = null;
    if (!dirty) return;
    dirty = false;
    try {
      const res = await fetch(url, {
        method: "POST", body: body(form), credentials: "same-origin",
        headers: { "Accept": "application/json" },
      });
      if (res.status === 401) { status.textContent = words.signedOut; return; }
      if (res.status === 409 && words.conflict) { status.textContent = words.conflict; return; }
      if (!res.ok) throw new Error(String(res.status));
      status.textContent = `${words.saved} ${clock()}.`;
      if (!flushing) document.dispatchEvent(new CustomEvent("session:activity"));
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

  form.addEventListener("input", changed);
  document.addEventListener("session:flush", (e) => {
    if (!dirty) return;
    if (timer) clearTimeout(timer);
    e.detail?.waitFor(save(true));
  });
  form.addEventListener("change", changed);
  form.addEventListener("submit", () => { dirty = false; if (timer) clearTimeout(timer); });
  window.addEventListener("online", () => { if (dirty) save(true); });
  // Leaving the page: a beacon survives the tab closing (the CSRF token travels in the form).
  window.addEventListener("pagehide", () => { if (dirty) navigator.sendBeacon(url, body(form)); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && dirty) save(true);
  });
}
