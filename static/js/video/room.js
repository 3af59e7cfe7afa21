// The video room: waiting room, admission, a peer-to-peer call that repairs itself, and a real
// end. The server only relays signaling (Socket.IO namespace /video); media goes browser to
// browser. The therapist makes the offers; the client answers (peer.js).
// This entry module holds the call's state and wires the others: media.js (camera, microphone,
// screen), peer.js (RTCPeerConnection), signaling.js (Socket.IO; early.js opens it and the
// camera before the page has run), stage.js (tiles, timer),
// controls.js (buttons, shortcuts, status), modes.js (mute, camera, audio only), panels.js,
// chat.js, safety.js, quality.js, ending.js.
import { confirmWith } from "../confirm.js";
import { createChat } from "./chat.js";
import { camera, socket } from "./early.js";
import { LABELS, createControls, markUnread, say, setPressed } from "./controls.js";
import { createModes } from "./modes.js";
import { showEndScreen } from "./ending.js";
import { createMedia } from "./media.js";
import { createPanels } from "./panels.js";
import { createPeer } from "./peer.js";
import { watchQuality } from "./quality.js";
import { showEmergency, showSafety } from "./safety.js";
import { connectSignaling } from "./signaling.js";
import { createRemoteTile, createTimer, movableSelfView } from "./stage.js";

const $ = (id) => document.getElementById(id);
const root = $("room");
const data = root.dataset;
const appointmentId = Number(data.appointmentId);
const role = data.role;
const isTherapist = role === "therapist";
const peerName = data.peerName;
const LEFT_AFTER_MS = 15000;  // a vanished socket that does not come back: they left

let state = "connecting"; // waiting | in_call | ended
let peerPresent = false;
let ending = false;
let held = false;
let unread = 0;
let goneTimer = null;

const tile = createRemoteTile(peerName);
const timer = createTimer();
timer.from(data.firstConnectedAt);
movableSelfView();
if (data.emergency) showEmergency(JSON.parse(data.emergency));

const media = createMedia({
  video: $("local-video"),
  pickers: { videoinput: $("camera-select"), audioinput: $("mic-select") },
  say,
  onTrackSwitched: (kind, track) => peer.replaceTrack(kind, track),
  opened: camera,
});
// The camera and the socket open at the same time (a reload rejoins a call sooner); early.js
// started both, on the portal's page before the rest of the page had loaded.
// The page joins without waiting for the camera (it can take a second to open); what needs
// our media waits for it: the admission, our offer (peer_joined), our answer (signal), the media
// state we tell the other side.
let mediaReady = media.start();
const ensureMedia = () => { if (!media.isLive()) mediaReady = media.start(); return mediaReady; };

const signaling = connectSignaling(appointmentId, {
  socket,
  heartbeat: () => ({ connected: peer.isConnected() }),
  // The server moved the session's idle clock: tell the page's idle timer (js/session.js).
  onHeartbeat: (ack) => { if (ack?.kept_alive) document.dispatchEvent(new CustomEvent("session:activity")); },
});
const { send } = signaling;
const peer = createPeer({
  send,
  localStream: () => media.stream(),
  localTracks: () => [...media.stream().getAudioTracks(), media.videoTrack()].filter(Boolean),
  repairs: isTherapist,
  isPeerPresent: () => peerPresent,
  onRemoteStream: (stream) => tile.attach(stream),
  onConnected: connected,
  onDrop: () => { hold(false); if (state === "in_call") say("Reconnecting…", "warning"); },
});
const panels = createPanels({ onOpen: (id) => { if (id === "panel-chat") markUnread(unread = 0); } });
const chat = createChat({
  role, send, peerLabel: peerName, key: `chat:${data.callId || `appointment-${appointmentId}`}`,
  onMessage: (mine) => { if (!mine && !panels.isOpen("panel-chat")) markUnread(++unread); },
});
const quality = watchQuality({ peer, audioOnly: media.audioOnly, offer: () => { $("weak-offer").hidden = false; } });
const modes = createModes({ media, tile, peerName, say, sendState: () => mediaState() });
createControls({
  toggle: modes.toggle,
  audioOnly: modes.toggleAudioOnly,
  share: () => media.shareScreen((sharing) => setPressed("share-screen", sharing, LABELS["share-screen"])),
  admit: async () => { await ensureMedia(); send("admit"); },
  sendBack: () => send("send_back"),
  end: endCall,
});
$("weak-audio-only").addEventListener("click", () => modes.setAudioOnly(true));
$("weak-dismiss").addEventListener("click", () => { $("weak-offer").hidden = true; quality.snooze(); });
$("camera-check")?.addEventListener("click", async () => { $("camera-paused").hidden = true; await ensureMedia(); });
if (isTherapist && matchMedia("(min-width: 60rem)").matches) panels.open("panel-safety", { focus: false });

// While the call's media is up, the page counts as active (js/session.js explains why).
function hold(on) {
  if (held === on) return;
  held = on;
  document.dispatchEvent(new CustomEvent("session:hold", { detail: { on } }));
}

async function connected() {
  peerPresent = true;
  hold(true);
  tile.here();
  say("You are connected.", "success");
  const ack = await send("connected");
  if (ack?.first_connected_at) timer.from(ack.first_connected_at);
  else timer.fallback();
}

function mediaState() {
  const tell = () => { if (state === "in_call" && media.isLive()) send("media_state", media.state()); };
  if (media.isLive()) tell(); else mediaReady.then(tell);  // the camera is still opening
}

function hangUp() {
  peer.close();
  tile.clear();
  hold(false);
}

function placeDevices(waiting) {
  const devices = $("devices");
  if (waiting && $("waiting-devices")) $("waiting-devices").append(devices);
  else $("panel-devices").querySelector(".panel-head").after(devices);
}

function showWaiting({ paused = false } = {}) {
  state = "waiting";
  root.dataset.state = "waiting";
  $("waiting").hidden = false;
  $("camera-paused").hidden = !paused;
  placeDevices(true);
  panels.close();
  hangUp();
  tile.waiting();
  say(paused ? "Your therapist moved you back to the waiting room. They will let you in again."
    : "You are in the waiting room. Your therapist will let you in.", "info");
}

function enterCall() {
  const was = state;
  state = "in_call";
  root.dataset.state = "in_call";
  if ($("waiting")) $("waiting").hidden = true;
  if ($("waiting-alert")) $("waiting-alert").hidden = true;
  placeDevices(false);
  if (was !== "in_call") say(isTherapist ? `Waiting for ${peerName} to connect…` : "Connecting to your therapist…", "info");
  mediaState();
}

function peerGone(left) {
  const wasPresent = peerPresent;
  peerPresent = false;
  clearTimeout(goneTimer);
  if (isTherapist && !$("waiting-alert").hidden) {
    $("waiting-alert").hidden = true;
    say(`${peerName} left the waiting room.`, "info");
  }
  if (state !== "in_call" || (!wasPresent && !left)) return;
  if (left) {
    hangUp();
    tile.left();
    say(`${peerName} left the call.${isTherapist ? " They can rejoin until the session ends." : ""}`, "info");
    return;
  }
  // Their connection to the portal dropped: media may still flow; give them time to come back.
  tile.away();
  say(`${peerName} lost their connection. Waiting for them to come back…`, "warning");
  goneTimer = setTimeout(() => peerGone(true), LEFT_AFTER_MS);
}

// The call is over for this page: every track stops, the chat is cleared, one next step shows.
function finish(how, outcome = null) {
  if (state === "ended") return;
  state = "ended";
  clearTimeout(goneTimer);
  hangUp();
  media.stopAll();
  quality.stop();
  chat.clear();
  panels.close();
  signaling.disconnect();
  showEndScreen(role, how, outcome);
  say(how === "left" ? "You left the call." : "The call has ended.", "info");
}

async function endCall() {
  if (!(await confirmWith($("confirm-end")))) return;
  ending = true;
  if (isTherapist) {
    const completed = $("mark-completed").checked;
    const reply = await send("end", { completed });
    finish("ended", { asked: completed, reply });
  } else {
    await send("signal", { data: { type: "bye" } });
    await send("leave");
    finish("left");
  }
}

signaling.on("connect", async () => {
  // `media`: our call is still connected (only the socket dropped): the therapist keeps it.
  if (state !== "ended") await send("join", { media: peer.isConnected() });
});
signaling.on("connect_error", () => { if (state !== "ended") say("Reconnecting to the portal…", "warning"); });
signaling.on("disconnect", () => { if (state !== "ended") say("Reconnecting…", "warning"); });
signaling.on("joined", (msg) => {
  peer.setIceServers(msg.ice_servers || []);
  timer.from(msg.first_connected_at);
  if (msg.state === "in_call") enterCall(); else showWaiting();
  if (state === "in_call" && peer.isConnected()) say("You are connected.", "success");  // only the socket had dropped
  send("announce", { media: peer.isConnected() });
});
signaling.on("peer_joined", async (msg) => {
  if (msg.role === role) return;  // our own other tab
  clearTimeout(goneTimer);
  if (isTherapist && msg.state === "waiting") {
    peerPresent = false;
    $("waiting-alert").hidden = false;
    $("admit").focus();
    say(`${peerName} is in the waiting room.`, "info");
    return;
  }
  if (!isTherapist) {
    send("announce", { media: peer.isConnected() }); // the therapist knows we are here (waiting or in the call)
    if (state === "in_call") { peerPresent = true; tile.here(); mediaState(); }
    return;
  }
  const wasPresent = peerPresent;
  peerPresent = true;
  enterCall();
  tile.here();
  // The client never left (only the signaling server restarted, or a repeated announce), or
  // its socket dropped while its call stayed connected (it says so: `media`, e.g. a short
  // network outage): keep the media flowing. After a peer_left from a reloaded page the old
  // connection still looks "connected" here until ICE notices, seconds later: start afresh.
  if ((wasPresent || msg.media === true) && peer.isAlive()) return;
  await ensureMedia();
  peer.start();
});
signaling.on("admitted", async () => {
  // The client answers with "announce"; the therapist's offer follows that (see peer_joined).
  if (isTherapist) return;
  await ensureMedia();
  enterCall();
  send("announce");
});
signaling.on("sent_back", () => {
  media.stopAll();  // the camera light goes off while nobody is watching
  if (!isTherapist) { showWaiting({ paused: true }); send("announce"); return; }
  peerPresent = false;
  hangUp();
  tile.waiting();
  say(`${peerName} is back in the waiting room. Your camera and microphone are off until you admit them.`, "info");
});
// Signals are applied one at a time, in order (see signaling.js); a "bye" is the other person leaving.
signaling.onInOrder("signal", async ({ data: signal }) => {
  if (signal.type === "bye") return peerGone(true);
  await mediaReady;  // an answer carries our camera and microphone
  return peer.handleSignal(signal);
});
signaling.on("peer_left", (msg) => { if (msg?.role !== role) peerGone(false); });
signaling.on("media_state", modes.showPeer);
signaling.on("chat", chat.add);
signaling.on("call_connected", (msg) => timer.from(msg.first_connected_at));
signaling.on("safety", (msg) => showSafety(msg, peerName));
signaling.on("ended", () => { if (!ending) finish("ended"); });
signaling.on("error", (msg) => {
  const code = msg?.code;
  if (["rate_limited", "not_admitted"].includes(code)) return;  // nothing to show
  if (code === "location_required") {
    media.stopAll();
    location.assign(msg.url || data.locationUrl);
  } else if (code === "signed_out") {
    media.stopAll();
    location.assign(`/auth/login?next=${encodeURIComponent(location.pathname)}`);
  } else if (["not_allowed", "room_closed"].includes(code)) {
    finish("closed");
    say(msg.message || "This room is closed.", "warning");
  } else {
    say(msg?.message || "Something went wrong.", "error");
  }
});

await mediaReady;
