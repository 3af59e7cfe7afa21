// Therapists: never miss a waiting client, on whatever page is open (Clients, Calendar, a note).
// The server's /notify namespace says `waiting_changed` {count, arrival} whenever one of their
// clients enters or leaves a waiting room; GET /video/waiting gives the count at page load.
// - the header shows a live "waiting" badge linking to the room;
// - the tab title starts with "(1) waiting · ";
// - a system notification, when the browser allows it: permission is asked only from the
//   "Turn on waiting-room alerts" button, never on page load. It names no one (lock screens and
//   shared screens show notifications);
// - a chime, once sound was turned on by that click (browsers refuse sound before a click).
import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";

const $ = (id) => document.getElementById(id);
const badge = $("waiting-badge");
const enable = $("alerts-enable");
const SOUND_KEY = "portal-alert-sound";
const baseTitle = document.title;
const canNotify = "Notification" in window;
let audio = null;

function soundOn() {
  try { return localStorage.getItem(SOUND_KEY) === "on"; } catch { return false; }
}

// One tab plays the chime and shows the notification, not every open tab.
function firstTab(key) {
  try {
    const k = `portal-alerted:${key}`;
    if (Date.now() - Number(localStorage.getItem(k) || 0) < 10000) return false;
    localStorage.setItem(k, String(Date.now()));
  } catch { /* private mode: every tab alerts */ }
  return true;
}

function show(count, first) {
  const n = Math.max(0, Number(count) || 0);
  badge.hidden = n === 0;
  $("waiting-count").textContent = String(n);
  $("waiting-noun").textContent = n === 1 ? "client" : "clients";
  if (first?.url) badge.href = first.url;
  document.title = n ? `(${n}) waiting · ${baseTitle}` : baseTitle;
}

function chime() {
  if (!soundOn()) return;
  try {
    audio = audio || new AudioContext();
    audio.resume();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 660;
    gain.gain.setValueAtTime(0.12, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.8);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.8);
  } catch { /* no audio output: the badge and the title remain */ }
}

function notify(arrival) {
  if (!canNotify || Notification.permission !== "granted") return;
  const note = new Notification("A client is in the waiting room", {
    body: "Open the session to let them in.", tag: `waiting-${arrival.appointment_id}`,
  });
  note.onclick = () => { window.focus(); note.close(); if (arrival.url) location.assign(arrival.url); };
}

function arrived(arrival) {
  $("waiting-live").textContent = `${arrival.first_name || "A client"} is in the waiting room.`;
  if (!firstTab(arrival.appointment_id)) return;
  notify(arrival);
  chime();
}

function offerButton() {
  const asked = !canNotify || Notification.permission !== "default";
  enable.hidden = asked && soundOn();
}

enable.addEventListener("click", async () => {
  try { localStorage.setItem(SOUND_KEY, "on"); } catch { /* kept for this page only */ }
  chime();  // a soft sample, and the click lets this page play sound
  if (canNotify && Notification.permission === "default") await Notification.requestPermission();
  offerButton();
  $("waiting-live").textContent = "Waiting-room alerts are on.";
});
// Any click or key on a page lets its audio start, so the chime can play later on this page.
for (const type of ["pointerdown", "keydown"]) {
  document.addEventListener(type, () => { if (soundOn() && !audio) { try { audio = new AudioContext(); } catch { /* none */ } } }, { once: true, capture: true });
}

offerButton();
fetch("/video/waiting", { headers: { Accept: "application/json" }, credentials: "same-origin" })
  .then((res) => (res.ok ? res.json() : null))
  .then((body) => { if (body) show(body.count, body.waiting?.[0]); })
  .catch(() => { /* the live events still come */ });
const socket = io("/notify", { transports: ["websocket", "polling"] });
socket.on("waiting_changed", (msg) => {
  show(msg?.count, msg?.arrival);
  if (msg?.arrival) arrived(msg.arrival);
});
document.documentElement.dataset.alerts = "ready";  // lets browser tests know it listens
