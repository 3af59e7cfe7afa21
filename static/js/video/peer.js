// The RTCPeerConnection. The therapist makes the offers; the client answers. After a drop, the
// therapist restarts ICE on the same connection (media resumes as soon as a path works again),
// and builds a fresh connection if that does not work within a few seconds, or at once if the
// connection failed outright.

const REBUILD_AFTER_MS = 5000;
const ALIVE = ["new", "connecting", "connected"];

// `send(event, payload)`: signaling; `localTracks()`: the tracks we send (microphone, and the
// camera or the screen being shared), `localStream()`: the stream they belong to;
// `repairs`: whether this side repairs a dropped connection (the therapist, who offers);
// `isPeerPresent()`: whether the other person is still in the call (no repair without them);
// `onRemoteStream(stream)`, `onConnected()`, `onDrop()`: what the page shows.
export function createPeer({ send, localTracks, localStream, repairs, isPeerPresent, onRemoteStream, onConnected, onDrop }) {
  let pc = null;
  let iceServers = [];
  let restartTimer = null;

  function fresh() {
    if (pc) { pc.onconnectionstatechange = null; pc.close(); }
    pc = new RTCPeerConnection({ iceServers });
    const stream = localStream();
    const tracks = localTracks();
    for (const track of tracks) pc.addTrack(track, stream);
    // Without a camera (or microphone) we still receive theirs, and can share a screen later.
    for (const kind of ["audio", "video"]) {
      if (!tracks.some((t) => t.kind === kind)) pc.addTransceiver(kind, { direction: "sendrecv", streams: [stream] });
    }
    pc.ontrack = (event) => onRemoteStream(event.streams[0]);
    pc.onicecandidate = (event) => {
      send("signal", { data: { type: "candidate", candidate: event.candidate ? event.candidate.toJSON() : null } });
    };
    pc.onconnectionstatechange = () => {
      const s = pc.connectionState;
      if (s === "connected") {
        clearTimeout(restartTimer);
        onConnected();
      } else if (s === "disconnected" || s === "failed") {
        onDrop(s);
        if (repairs) repair(s === "failed");
      }
    };
    return pc;
  }

  async function offer(iceRestart = false) {
    if (!pc) fresh();
    const description = await pc.createOffer({ iceRestart });
    await pc.setLocalDescription(description);
    await send("signal", { data: { type: "offer", sdp: pc.localDescription.sdp, restart: iceRestart } });
  }

  function repair(failed) {
    clearTimeout(restartTimer);
    if (!isPeerPresent()) return;
    if (failed) {
      fresh();
      offer();
      return;
    }
    offer(true);
    // An ICE restart that has not worked in 5 s: start over with a fresh connection.
    restartTimer = setTimeout(() => {
      if (pc && pc.connectionState !== "connected") { fresh(); offer(); }
    }, REBUILD_AFTER_MS);
  }

  // Apply an offer, answer or candidate from the other side (signaling delivers them in order).
  async function handleSignal(data) {
    if (data.type === "offer") {
      // A fresh offer starts a fresh connection; an ICE-restart offer repairs the current one.
      if (!pc || !data.restart) fresh();
      if (pc.signalingState !== "stable") await pc.setLocalDescription({ type: "rollback" });
      await pc.setRemoteDescription({ type: "offer", sdp: data.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await send("signal", { data: { type: "answer", sdp: pc.localDescription.sdp } });
    } else if (data.type === "answer" && pc && pc.signalingState === "have-local-offer") {
      await pc.setRemoteDescription({ type: "answer", sdp: data.sdp });
    } else if (data.type === "candidate" && pc && pc.remoteDescription) {
      try { await pc.addIceCandidate(data.candidate || null); } catch { /* stale candidate */ }
    }
  }

  return {
    handleSignal,
    setIceServers: (servers) => { iceServers = servers; },
    // A fresh connection and a first offer (the therapist, when the client is in the call).
    start: () => { fresh(); return offer(); },
    // True while the connection is up or still coming up (worth keeping).
    isAlive: () => Boolean(pc && ALIVE.includes(pc.connectionState)),
    isConnected: () => Boolean(pc && pc.connectionState === "connected"),
    close: () => {
      clearTimeout(restartTimer);
      if (pc) { pc.onconnectionstatechange = null; pc.close(); pc = null; }
    },
    // Put a switched device's (or the shared screen's) track on the call. The transceiver is
    // found by what it receives, which stays "audio" or "video" even while our track is null.
    async replaceTrack(kind, track) {
      const transceiver = pc?.getTransceivers().find((t) => t.receiver.track?.kind === kind && !t.stopped);
      if (transceiver) await transceiver.sender.replaceTrack(track);
    },
    // A stats report while connected, else null.
    stats: () => (pc && pc.connectionState === "connected" ? pc.getStats() : null),
  };
}
