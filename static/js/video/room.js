// The video room: waiting room, admission, a peer-to-peer call that repairs itself, controls.
// The server only relays signaling (Socket.IO namespace /video); media goes browser to browser.
// The therapist makes the offers; the client answers. After a drop, the therapist restarts ICE,
// and builds a fresh connection if that does not work within a few seconds (peer.js).
// This entry module holds the call's state and wires the others: media.js (camera, microphone),
// peer.js (RTCPeerConnection), signaling.js (Socket.IO), controls.js (buttons, status), chat.js.
import { createChat } from "./chat.js";
import { alertWaiting, createControls, say } from "./controls.js";
import { createMedia, show } from "./media.js";
import { createPeer } from "./peer.js";
import { connectSignaling } from "./signaling.js";

const $ = (id) => document.getElementById(id);
const root = $("room");
const appointmentId = Number(root.dataset.appointmentId);
const role = root.dataset.role;
const isTherapist = role === "therapist";
const remoteVideo = $("remote-video");

let state = "connecting"; // waiting | in_call | ended
let peerPresent = false;

const media = createMedia({
  video: $("local-video"),
  pickers: { videoinput: $("camera-select"), audioinput: $("mic-select") },
  say,
  onTrackSwitched: (kind, track) => peer.replaceTrack(kind, track),
});
// Open the camera and the socket at the same time (a reload rejoins a call sooner).
const mediaReady = media.start();
const signaling = connectSignaling(appointmentId);
const { send } = signaling;
const peer = createPeer({
  send,
  localStream: media.stream,
  repairs: isTherapist,
  isPeerPresent: () => peerPresent,
  onRemoteStream: (stream) => { if (remoteVideo.srcObject !== stream) show(remoteVideo, stream); },
  onConnected: () => { controls.startTimer(); say("You are connected.", "success"); },
  onDrop: () => say("Reconnecting…", "warning"),
});
const controls = createControls({ media, peer, send, onEnd: endCall });
const chat = createChat({ role, send });

function hangUp() {
  peer.close();
  remoteVideo.srcObject = null;
}

function peerLeft() {
  peerPresent = false;
  if (state === "in_call") say("The other person left or lost their connection. Waiting for them to come back…", "warning");
}

function showWaiting() {
  state = "waiting";
  $("waiting")?.removeAttribute("hidden");
  hangUp();
  say("You are in the waiting room. Your therapist will let you in.", "info");
}

function enterCall() {
  state = "in_call";
  $("waiting")?.setAttribute("hidden", "");
  $("waiting-alert")?.setAttribute("hidden", "");
  say(isTherapist ? "Waiting for your client to connect…" : "Connecting to your therapist…", "info");
}

async function endCall(completed) {
  let reply = null;
  if (isTherapist) reply = await send("end", { completed });
  else { await send("signal", { data: { type: "bye" } }); await send("leave"); }
  state = "ended";
  hangUp();
  if (isTherapist && reply && reply.ok === false) {
    // The call ended, but the session could not be marked completed (e.g. before its start).
    say(`The call has ended. ${reply.message} You can mark it from the calendar later.`, "warning");
    return;
  }
  say(isTherapist ? "The call has ended." : "You left the call. You can rejoin from your sessions page until it ends.", "success");
}

signaling.on("connect", async () => {
  await mediaReady; // the socket connects while the camera opens; join once media is there
  await send("join");
});
signaling.on("connect_error", () => say("Reconnecting to the portal…", "warning"));
signaling.on("disconnect", () => { if (state !== "ended") say("Reconnecting…", "warning"); });
signaling.on("joined", (msg) => {
  peer.setIceServers(msg.ice_servers || []);
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
      if (wasPresent && peer.isAlive()) return;
      peer.start();
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
  hangUp();
  say("Your client is back in the waiting room.", "info");
});
// Signals are applied one at a time, in order (see signaling.js); a "bye" is the other person leaving.
signaling.onInOrder("signal", ({ data }) => (data.type === "bye" ? peerLeft() : peer.handleSignal(data)));
signaling.on("peer_left", peerLeft);
signaling.on("media_state", controls.showPeerMedia);
signaling.on("chat", chat.add);
signaling.on("ended", () => {
  state = "ended";
  hangUp();
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

await mediaReady;
