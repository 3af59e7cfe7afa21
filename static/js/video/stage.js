// The stage: the other person's tile (their video, or their name and why there is no picture:
// waiting, left, camera off, audio only), our self-view tile that moves between the corners
// (drag it, press its button, or use the arrow keys on that button), and the call timer, which
// counts from the call's first connection as the server recorded it.
import { show } from "./media.js";

const $ = (id) => document.getElementById(id);
const CORNERS = ["tl", "tr", "br", "bl"];

// The remote tile. Shows their video only when they are here, media flows and their camera is
// on; otherwise their name and why: waiting, reconnecting, left, camera off, audio only.
export function createRemoteTile(peerName) {
  const tile = $("remote-tile");
  const video = $("remote-video");
  const st = { presence: "waiting", stream: null, audioOnly: false, cameraOff: false };

  function render() {
    const showVideo = st.presence === "here" && st.stream && !st.audioOnly && !st.cameraOff;
    if (showVideo && video.srcObject !== st.stream) show(video, st.stream);
    if (!st.stream) video.srcObject = null;
    tile.dataset.show = showVideo ? "video" : "placeholder";
    tile.dataset.presence = st.presence;
    const why = {
      waiting: `Waiting for ${peerName}…`, away: `${peerName} is reconnecting…`,
      left: `${peerName} left the call`,
    }[st.presence] || (st.audioOnly ? `${peerName} · audio only` : st.cameraOff ? `${peerName} · camera off` : `Connecting to ${peerName}…`);
    $("remote-note").textContent = why;
  }

  const set = (changes) => { Object.assign(st, changes); render(); };
  render();
  return {
    attach: (stream) => set({ stream, presence: "here" }),  // a stream from the peer connection
    here: () => set({ presence: "here" }),
    waiting: () => set({ presence: "waiting", stream: null }),
    away: () => set({ presence: "away" }),
    // The other person left: their name and "left", never their last frame.
    left: () => set({ presence: "left", stream: null }),
    media: (msg) => set({ audioOnly: Boolean(msg.audio_only), cameraOff: !msg.video && !msg.audio_only }),
    clear: () => set({ stream: null }),
  };
}

// Our own tile: a corner of the stage, chosen by dragging or from the keyboard.
export function movableSelfView() {
  const tile = $("self-tile");
  const button = $("self-move");
  const place = (corner) => { tile.dataset.corner = corner; };

  button.addEventListener("click", () => place(CORNERS[(CORNERS.indexOf(tile.dataset.corner) + 1) % 4]));
  button.addEventListener("keydown", (e) => {
    const [v, h] = tile.dataset.corner.split("");
    const next = { ArrowUp: `t${h}`, ArrowDown: `b${h}`, ArrowLeft: `${v}l`, ArrowRight: `${v}r` }[e.key];
    if (!next) return;
    e.preventDefault();
    place(next);
  });
  // Drag: follow the pointer, then settle in the nearest corner.
  tile.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || e.target.closest("button")) return;
    const stage = tile.parentElement.getBoundingClientRect();
    tile.setPointerCapture(e.pointerId);
    tile.classList.add("dragging");
    const move = (ev) => {
      tile.style.setProperty("--drag-x", `${ev.clientX - e.clientX}px`);
      tile.style.setProperty("--drag-y", `${ev.clientY - e.clientY}px`);
    };
    const drop = (ev) => {
      tile.removeEventListener("pointermove", move);
      tile.classList.remove("dragging");
      tile.style.removeProperty("--drag-x");
      tile.style.removeProperty("--drag-y");
      const v = ev.clientY < stage.top + stage.height / 2 ? "t" : "b";
      const h = ev.clientX < stage.left + stage.width / 2 ? "l" : "r";
      place(v + h);
    };
    tile.addEventListener("pointermove", move);
    tile.addEventListener("pointerup", drop, { once: true });
    tile.addEventListener("pointercancel", drop, { once: true });
  });
}

// The call timer: counts from `startedAt` (ISO, from the server), else shows 0:00.
export function createTimer() {
  let since = null;
  const out = $("call-timer");
  const render = () => {
    if (since === null) return;
    const s = Math.max(0, Math.floor((Date.now() - since) / 1000));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    out.textContent = h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  };
  setInterval(render, 1000);
  return {
    // The server did not say (an older server): count from this page's first connection.
    fallback: () => { if (since === null) { since = Date.now(); render(); } },
    from(iso) {
      const t = iso ? Date.parse(iso) : NaN;
      if (Number.isNaN(t)) return;
      since = t;
      render();
    },
  };
}
