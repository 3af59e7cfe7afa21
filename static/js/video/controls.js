// The control bar and the status line: mute, camera, audio only, screen share, admit, send
// back, end or leave, each with its keyboard shortcut (M, V, A, S, C, P, D, H when the focus is
// not in a text box). Buttons act through the functions passed in; the page holds the state.
import { canShareScreen } from "./media.js";

const $ = (id) => document.getElementById(id);

// The status line (role=status): one sentence saying where the call stands.
export function say(text, kind = "info") {
  const status = $("room-status");
  if (status.textContent === text && status.classList.contains(`flash-${kind}`)) return;
  status.textContent = text;
  status.className = `room-status flash flash-${kind}`;
}

// A two-state button: aria-pressed for screen readers; the visible text says what pressing does.
export function setPressed(id, on, texts) {
  const button = $(id);
  if (!button) return;
  button.setAttribute("aria-pressed", String(on));
  button.querySelector(".ctl-text").textContent = on ? texts[1] : texts[0];
}

export const LABELS = {
  "toggle-audio": ["Mute", "Unmute"],
  "toggle-video": ["Camera off", "Camera on"],
  "toggle-audio-only": ["Audio only", "Back to video"],
  "share-screen": ["Share screen", "Stop sharing"],
};

const typing = (el) => el?.closest?.("input, textarea, select, [contenteditable=true], dialog");

// Keyboard shortcuts from the buttons' own data-key; listed in the devices panel.
function shortcuts() {
  const keyed = [...document.querySelectorAll("#control-bar [data-key]")];
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || typing(e.target)) return;
    const button = keyed.find((b) => b.dataset.key === e.key.toLowerCase());
    if (!button || button.hidden || button.disabled || !button.offsetParent) return;
    e.preventDefault();
    button.click();
  });
  $("shortcut-list")?.replaceChildren(...keyed.filter((b) => !b.hidden).flatMap((b) => {
    const dt = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = b.dataset.key.toUpperCase();
    dt.append(kbd);
    const dd = document.createElement("dd");
    dd.textContent = b.querySelector(".ctl-label").textContent.trim();
    return [dt, dd];
  }));
}

// `actions`: {toggle(kind), audioOnly(), share(), admit(), sendBack(), end()}.
export function createControls(actions) {
  if (!canShareScreen()) $("share-screen").hidden = true;  // phones: it cannot work there
  $("toggle-audio").addEventListener("click", () => actions.toggle("audio"));
  $("toggle-video").addEventListener("click", () => actions.toggle("video"));
  $("toggle-audio-only").addEventListener("click", () => actions.audioOnly());
  $("share-screen").addEventListener("click", () => actions.share());
  $("admit")?.addEventListener("click", () => actions.admit());
  $("send-back")?.addEventListener("click", () => actions.sendBack());
  $("end-call").addEventListener("click", () => actions.end());
  shortcuts();
}

// The unread mark on the chat button while its panel is closed.
export function markUnread(count) {
  const button = $("open-chat");
  button.dataset.unread = count ? String(count) : "";
  $("chat-unread").textContent = count ? `${count} new chat message${count === 1 ? "" : "s"}` : "";
}
