// The video room: waiting room, admission, a peer-to-peer call that repairs itself, controls.
// The server only relays signaling (Socket.IO namespace /video); media goes browser to browser.
// The therapist makes the offers; the client answers. After a drop, the therapist restarts ICE,
// and builds a fresh connection if that does not work within a few seconds.
import { createChat } from "./chat.js";
import { connectSignaling } from "./signaling.js";

const root = document.getElementById("room");
const appointmentId = Number(root.dataset.appointmentId);
const role = root.dataset.role;
const isTherapist = role === "therapist";
const $ = (id) => document.getElementById(id);
const statusEl = $("room-status");
const localVideo = $("local-video");
const remoteVideo = $("remote-video");

let signaling = null;
let pc = null;
let localStream = null;
let iceServers = [];
let state = "connecting"; // waiting | in_call | ended
let peerPresent = false;
let restartTimer = null;
let callStartedAt = null;
let audioOnly = false;
let screenTrack = null;

function say(text, kind = "info") {
  statusEl.textContent = text;
  statusEl.className = `flash flash-${kind}`;
}

// Start playback explicitly: Chromium pauses a muted `autoplay` video while it is off screen
// (the self-view sits below the waiting-room card on small screens) until it is scrolled to.
function show(video, stream) {
  video.srcObject = stream;
  video.play().catch(() => { /* autoplay refused: the video starts on the next user gesture */ });
}

const send = (event, payload) => signaling.send(event, payload);

// ---- media -------------------------------------------------------------------------------
async function startMedia(constraints = { audio: true, video: true }) {
  try {
    localStream = await navigator.mediaDevices.getUserMedia(constraints);
  } catch {
    try {
      localStream = await navigator.mediaDevices.getUserMedia({ audio: true });
      say("We could not use your camera; you can still talk.", "warning");
    } catch {
      say("Your browser did not allow the microphone or camera. Check the permissions and reload.", "error");
      localStream = new MediaStream();
    }
  }
  show(localVideo, localStream);
  await fillDevices();
}

async function fillDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [selectId, kind] of [["camera-select", "videoinput"], ["mic-select", "audioinput"]]) {
    const select = $(selectId);
    const current = localStream.getTracks().find((t) => t.kind === (kind === "videoinput" ? "video" : "audio"));
    select.replaceChildren(...devices.filter((d) => d.kind === kind).map((d, i) => {
      const option = new Option(d.label || `${kind === "videoinput" ? "Camera" : "Microphone"} ${i + 1}`, d.deviceId);
      option.selected = current?.getSettings().deviceId === d.deviceId;
      return option;
    }));
  }
}

async function switchDevice(kind, deviceId) {
  const stream = await navigator.mediaDevices.getUserMedia(kind === "video" ? { video: { deviceId: { exact: deviceId } } } : { audio: { deviceId: { exact: deviceId } } });
  const track = stream.getTracks()[0];
  const old = localStream.getTracks().find((t) => t.kind === kind);
  if (old) { localStream.removeTrack(old); old.stop(); }
  localStream.addTrack(track);
  const sender = pc?.getSenders().find((s) => s.track?.kind === kind || (!s.track && kind === "video"));
  if (sender) await sender.replaceTrack(track);
  show(localVideo, localStream);
}

// ---- the peer connection -----------------------------------------------------------------
function newPeer() {
  if (pc) { pc.onconnectionstatechange = null; pc.close(); }
  pc = new RTCPeerConnection({ iceServers });
  for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
  pc.ontrack = (event) => {
    if (remoteVideo.srcObject !== event.streams[0]) show(remoteVideo, event.streams[0]);
  };
  pc.onicecandidate = (event) => {
    send("signal", { data: { type: "candidate", candidate: event.candidate ? event.candidate.toJSON() : null } });
  };
  pc.onconnectionstatechange = () => {
    const s = pc.connectionState;
    if (s === "connected") {
      clearTimeout(restartTimer);
      callStartedAt = callStartedAt || Date.now();
      say("You are connected.", "success");
    } else if (s === "disconnected" || s === "failed") {
      say("Reconnecting…", "warning");
      if (isTherapist) repair(s === "failed");
    }
  };
  return pc;
}

async function makeOffer(iceRestart = false) {
  if (!pc) newPeer();
  const offer = await pc.createOffer({ iceRestart });
  await pc.setLocalDescription(offer);
  await send("signal", { data: { type: "offer", sdp: pc.localDescription.sdp, restart: iceRestart } });
}

function repair(failed) {
  clearTimeout(restartTimer);
  if (!peerPresent) return;
  if (failed) {
    newPeer();
    makeOffer();
    return;
  }
  makeOffer(true);
  // An ICE restart that has not worked in 5 s: start over with a fresh connection.
  restartTimer = setTimeout(() => {
    if (pc && pc.connectionState !== "connected") { newPeer(); makeOffer(); }
  }, 5000);
}

async function onSignal({ data }) {
  if (data.type === "offer") {
    // A fresh offer starts a fresh connection; an ICE-restart offer repairs the current one.
    if (!pc || !data.restart) newPeer();
    if (pc.signalingState !== "stable") await pc.setLocalDescription({ type: "rollback" });
    await pc.setRemoteDescription({ type: "offer", sdp: data.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await send("signal", { data: { type: "answer", sdp: pc.localDescription.sdp } });
  } else if (data.type === "answer" && pc && pc.signalingState === "have-local-offer") {
    await pc.setRemoteDescription({ type: "answer", sdp: data.sdp });
  } else if (data.type === "candidate" && pc && pc.remoteDescription) {
    try { await pc.addIceCandidate(data.candidate || null); } catch { /* stale candidate */ }
  } else if (data.type === "bye") {
    peerLeft();
  }
}

function peerLeft() {
  peerPresent = false;
  if (state === "in_call") say("The other person left or lost their connection. Waiting for them to come back…", "warning");
}

// ---- states ------------------------------------------------------------------------------
function showWaiting() {
  state = "waiting";
  $("waiting")?.removeAttribute("hidden");
  if (pc) { pc.close(); pc = null; }
  remoteVideo.srcObject = null;
  say("You are in the waiting room. Your therapist will let you in.", "info");
}

function enterCall() {
  state = "in_call";
  $("waiting")?.setAttribute("hidden", "");
  $("waiting-alert")?.setAttribute("hidden", "");
  say(isTherapist ? "Waiting for your client to connect…" : "Connecting to your therapist…", "info");
}

function alertWaiting() {
  const box = $("waiting-alert");
  if (!box || !box.hidden) return;
  box.hidden = false;
  $("admit")?.focus();
  chime();
}

function chime() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 660;
    gain.gain.setValueAtTime(0.12, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.8);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.8);
  } catch { /* no audio output: the visual alert remains */ }
}

// ---- socket ------------------------------------------------------------------------------
function connect() {
  signaling = connectSignaling(appointmentId);
  signaling.on("connect", async () => {
    await mediaReady; // the socket connects while the camera opens; join once media is there
    const res = await send("join");
    if (!res) return;
  });
  signaling.on("connect_error", () => say("Reconnecting to the portal…", "warning"));
  signaling.on("disconnect", () => { if (state !== "ended") say("Reconnecting…", "warning"); });
  signaling.on("joined", (msg) => {
    iceServers = msg.ice_servers || [];
    if (msg.state === "in_call") enterCall(); else showWaiting();
    send("announce");
  });
  signaling.on("peer_joined", (msg) => {
    if (isTherapist && msg.role === "client") {
      if (msg.state === "waiting") {
        alertWaiting();
        say("Your client is in the waiting room.", "info");
      } else {
        const wasPresent = peerPresent;
        peerPresent = true;
        enterCall();
        // The client never left (only the signaling server restarted, or a repeated announce):
        // keep the media flowing. After a peer_left (e.g. the client reloaded its page) the old
        // connection still looks "connected" here until ICE notices, seconds later: start afresh.
        if (wasPresent && pc && ["new", "connecting", "connected"].includes(pc.connectionState)) return;
        newPeer();
        makeOffer();
      }
    } else if (!isTherapist && msg.role === "therapist") {
      send("announce"); // make sure the therapist knows we are here (waiting or in the call)
    }
  });
  signaling.on("admitted", () => {
    // The client answers with "announce"; the therapist's offer follows that (see peer_joined).
    enterCall();
    if (!isTherapist) send("announce");
  });
  signaling.on("sent_back", () => {
    if (!isTherapist) { showWaiting(); send("announce"); return; }
    peerPresent = false;
    if (pc) { pc.close(); pc = null; }
    remoteVideo.srcObject = null;
    say("Your client is back in the waiting room.", "info");
  });
  // Signals are applied one at a time, in order (see signaling.js).
  signaling.onInOrder("signal", onSignal);
  signaling.on("peer_left", peerLeft);
  signaling.on("media_state", showPeerMedia);
  signaling.on("chat", chat.add);
  signaling.on("ended", () => {
    state = "ended";
    if (pc) { pc.close(); pc = null; }
    remoteVideo.srcObject = null;
    say("The call has ended. Thank you.", "success");
  });
  signaling.on("error", (msg) => {
    say(msg.message || "Something went wrong.", "error");
    if (["signed_out", "not_allowed", "room_closed"].includes(msg.code)) {
      state = "ended";
      signaling.disconnect();
      if (msg.code === "signed_out") location.assign(`/auth/login?next=${encodeURIComponent(location.pathname)}`);
    }
  });
}

// ---- controls ----------------------------------------------------------------------------
function toggle(button, on, labels) {
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? labels[1] : labels[0];
}

function mediaState() {
  const audio = localStream.getAudioTracks().some((t) => t.enabled);
  const video = localStream.getVideoTracks().some((t) => t.enabled) && !audioOnly;
  send("media_state", { audio, video, audio_only: audioOnly });
}

function showPeerMedia(msg) {
  const parts = [];
  if (!msg.audio) parts.push("microphone off");
  if (!msg.video) parts.push("camera off");
  $("remote-caption").textContent = `${root.querySelector("#remote-caption").textContent.split(" (")[0]}${parts.length ? ` (${parts.join(", ")})` : ""}`;
  if (msg.audio_only && !audioOnly) setAudioOnly(true, false);
}

function setAudioOnly(on, tell = true) {
  audioOnly = on;
  for (const t of localStream.getVideoTracks()) t.enabled = !on;
  toggle($("toggle-audio-only"), on, ["Audio only", "Back to video"]);
  if (on) say("Audio only: video is off both ways to save bandwidth.", "info");
  if (tell) mediaState();
}

$("toggle-audio").addEventListener("click", (e) => {
  const on = localStream.getAudioTracks().some((t) => t.enabled);
  for (const t of localStream.getAudioTracks()) t.enabled = !on;
  toggle(e.currentTarget, on, ["Mute microphone", "Unmute microphone"]);
  mediaState();
});
$("toggle-video").addEventListener("click", (e) => {
  const on = localStream.getVideoTracks().some((t) => t.enabled);
  for (const t of localStream.getVideoTracks()) t.enabled = !on;
  toggle(e.currentTarget, on, ["Turn camera off", "Turn camera on"]);
  mediaState();
});
$("toggle-audio-only").addEventListener("click", () => setAudioOnly(!audioOnly));
$("share-screen").addEventListener("click", async (e) => {
  const sender = pc?.getSenders().find((s) => s.track?.kind === "video");
  if (!sender) return;
  if (screenTrack) {
    screenTrack.stop();
    return;
  }
  try {
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true });
    screenTrack = display.getVideoTracks()[0];
    await sender.replaceTrack(screenTrack);
    toggle(e.currentTarget, true, ["Share screen", "Stop sharing"]);
    screenTrack.onended = async () => {
      await sender.replaceTrack(localStream.getVideoTracks()[0] || null);
      screenTrack = null;
      toggle(e.currentTarget, false, ["Share screen", "Stop sharing"]);
    };
  } catch { /* the person cancelled the picker */ }
});
$("camera-select").addEventListener("change", (e) => switchDevice("video", e.target.value));
$("mic-select").addEventListener("change", (e) => switchDevice("audio", e.target.value));
$("admit")?.addEventListener("click", () => send("admit"));
$("send-back")?.addEventListener("click", () => send("send_back"));
$("end-call").addEventListener("click", async () => {
  let reply = null;
  if (isTherapist) reply = await send("end", { completed: $("mark-completed")?.checked });
  else { await send("signal", { data: { type: "bye" } }); await send("leave"); }
  state = "ended";
  if (pc) { pc.close(); pc = null; }
  remoteVideo.srcObject = null;
  if (isTherapist && reply && reply.ok === false) {
    // The call ended, but the session could not be marked completed (e.g. before its start).
    say(`The call has ended. ${reply.message} You can mark it from the calendar later.`, "warning");
    return;
  }
  say(isTherapist ? "The call has ended." : "You left the call. You can rejoin from your sessions page until it ends.", "success");
});

const chat = createChat({ role, send });

// ---- timer and connection quality ----------------------------------------------------------
let lastBytes = 0;
let lastAt = 0;
setInterval(async () => {
  if (callStartedAt) {
    const s = Math.floor((Date.now() - callStartedAt) / 1000);
    $("call-timer").textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }
  if (!pc || pc.connectionState !== "connected") return;
  const stats = await pc.getStats();
  let rtt = null; let lost = 0; let received = 0; let bytes = 0;
  stats.forEach((r) => {
    if (r.type === "candidate-pair" && r.nominated && r.currentRoundTripTime !== undefined) rtt = r.currentRoundTripTime;
    if (r.type === "inbound-rtp") { lost += r.packetsLost || 0; received += r.packetsReceived || 0; bytes += r.bytesReceived || 0; }
  });
  const now = Date.now();
  const kbps = lastAt ? Math.round(((bytes - lastBytes) * 8) / (now - lastAt)) : 0;
  lastBytes = bytes; lastAt = now;
  const loss = received + lost ? lost / (received + lost) : 0;
  const poor = (rtt !== null && rtt > 0.4) || loss > 0.05;
  const q = $("quality");
  q.textContent = `Connection: ${poor ? "poor" : "good"} (${rtt !== null ? Math.round(rtt * 1000) + " ms" : "–"}, ${(loss * 100).toFixed(1)}% lost, ${kbps} kbit/s)`;
  q.className = `badge ${poor ? "badge-warn" : "badge-ok"}`;
  if (poor && !audioOnly) say("The connection is weak. Audio only may work better.", "warning");
}, 2000);

// Open the camera and the socket at the same time (a reload rejoins a call sooner).
const mediaReady = startMedia();
connect();
await mediaReady;
