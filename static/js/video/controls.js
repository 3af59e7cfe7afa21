// What the person sees and presses around the videos: the status line, mute / camera / audio-only /
// screen-share buttons, admit and send back, end call, the waiting-client alert, the call timer and
// the connection-quality badge. Buttons act through the media, peer and send functions passed in.
const $ = (id) => document.getElementById(id);

const TICK_MS = 2000;

// The status line (role=status): one sentence saying where the call stands.
export function say(text, kind = "info") {
  const status = $("room-status");
  status.textContent = text;
  status.className = `flash flash-${kind}`;
}

// A two-state button: aria-pressed for screen readers; the label says what pressing will do.
function toggle(button, on, labels) {
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? labels[1] : labels[0];
}

// The therapist's alert that the client is in the waiting room: shown, focused, one soft chime.
export function alertWaiting() {
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

// Round trip over 400 ms or more than 5 % of packets lost: "poor", and audio only is suggested.
function quality(stats, last) {
  let rtt = null; let lost = 0; let received = 0; let bytes = 0;
  stats.forEach((r) => {
    if (r.type === "candidate-pair" && r.nominated && r.currentRoundTripTime !== undefined) rtt = r.currentRoundTripTime;
    if (r.type === "inbound-rtp") { lost += r.packetsLost || 0; received += r.packetsReceived || 0; bytes += r.bytesReceived || 0; }
  });
  const now = Date.now();
  const kbps = last.at ? Math.round(((bytes - last.bytes) * 8) / (now - last.at)) : 0;
  last.bytes = bytes; last.at = now;
  const loss = received + lost ? lost / (received + lost) : 0;
  const poor = (rtt !== null && rtt > 0.4) || loss > 0.05;
  return { poor, text: `Connection: ${poor ? "poor" : "good"} (${rtt !== null ? Math.round(rtt * 1000) + " ms" : "–"}, ${(loss * 100).toFixed(1)}% lost, ${kbps} kbit/s)` };
}

// `media`: from createMedia; `peer`: from createPeer (videoSender, stats); `send`: signaling;
// `onEnd(completed)`: the end-call button (completed: the therapist's checkbox).
export function createControls({ media, peer, send, onEnd }) {
  let callStartedAt = null;
  const last = { bytes: 0, at: 0 };
  const mediaState = () => send("media_state", media.state());

  function setAudioOnly(on, tell = true) {
    media.setAudioOnly(on);
    toggle($("toggle-audio-only"), on, ["Audio only", "Back to video"]);
    if (on) say("Audio only: video is off both ways to save bandwidth.", "info");
    if (tell) mediaState();
  }

  // The other side's microphone and camera in the caption under their video; audio only is mutual.
  function showPeerMedia(msg) {
    const parts = [];
    if (!msg.audio) parts.push("microphone off");
    if (!msg.video) parts.push("camera off");
    const caption = $("remote-caption");
    caption.textContent = `${caption.textContent.split(" (")[0]}${parts.length ? ` (${parts.join(", ")})` : ""}`;
    if (msg.audio_only && !media.audioOnly()) setAudioOnly(true, false);
  }

  for (const [id, kind, labels] of [["toggle-audio", "audio", ["Mute microphone", "Unmute microphone"]],
    ["toggle-video", "video", ["Turn camera off", "Turn camera on"]]]) {
    $(id).addEventListener("click", (e) => {
      const on = media.enabled(kind);
      media.setEnabled(kind, !on);
      toggle(e.currentTarget, on, labels);
      mediaState();
    });
  }
  $("toggle-audio-only").addEventListener("click", () => setAudioOnly(!media.audioOnly()));
  $("share-screen").addEventListener("click", (e) => {
    // Unchanged from the one-file room.js: e.currentTarget is null once the picker has answered.
    media.shareScreen(peer.videoSender(), (sharing) => toggle(e.currentTarget, sharing, ["Share screen", "Stop sharing"]));
  });
  $("admit")?.addEventListener("click", () => send("admit"));
  $("send-back")?.addEventListener("click", () => send("send_back"));
  $("end-call").addEventListener("click", () => onEnd($("mark-completed")?.checked));

  setInterval(async () => {
    if (callStartedAt) {
      const s = Math.floor((Date.now() - callStartedAt) / 1000);
      $("call-timer").textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    }
    const report = peer.stats();
    if (!report) return;
    const { poor, text } = quality(await report, last);
    const badge = $("quality");
    badge.textContent = text;
    badge.className = `badge ${poor ? "badge-warn" : "badge-ok"}`;
    if (poor && !media.audioOnly()) say("The connection is weak. Audio only may work better.", "warning");
  }, TICK_MS);

  return {
    showPeerMedia,
    // The timer counts from the first connection and keeps counting through repairs.
    startTimer: () => { callStartedAt = callStartedAt || Date.now(); },
  };
}
