// What each side sends and shows of itself: microphone, camera and audio only. Our state goes
// to the other side as `media_state`; theirs shows in their caption and tile. Audio only is a
// mode of the call: whoever switches it, both sides follow, and either can leave it again.
import { LABELS, setPressed } from "./controls.js";

const $ = (id) => document.getElementById(id);

// `media`: from createMedia; `tile`: the remote tile; `say`: the status line;
// `sendState()`: send our media_state (the page knows when the call is on).
export function createModes({ media, tile, peerName, say, sendState }) {
  function setAudioOnly(on) {
    $("weak-offer").hidden = true;
    if (media.audioOnly() === on) return;
    media.setAudioOnly(on);
    setPressed("toggle-audio-only", on, LABELS["toggle-audio-only"]);
    $("room").dataset.audioOnly = on ? "true" : "";
    say(on ? "Audio only: video is off both ways. Press “Back to video” to see each other again." : "Video is back on.", "info");
    sendState();
  }

  return {
    setAudioOnly,
    toggleAudioOnly: () => setAudioOnly(!media.audioOnly()),
    // Mute or camera off (the button's pressed state says it is off).
    toggle(kind) {
      const id = kind === "audio" ? "toggle-audio" : "toggle-video";
      const on = media.enabled(kind);
      media.setEnabled(kind, !on);
      setPressed(id, on, LABELS[id]);
      sendState();
    },
    // Their media_state: the caption says what is off, the tile why there is no picture.
    showPeer(msg) {
      const parts = [];
      if (!msg.audio) parts.push("microphone off");
      if (msg.audio_only) parts.push("audio only");
      else if (!msg.video) parts.push("camera off");
      $("remote-caption").textContent = `${peerName}${parts.length ? ` (${parts.join(", ")})` : ""}`;
      tile.media(msg);
      // Follow, and say so: their tile of us must show the mode too (no echo: the states agree).
      if (Boolean(msg.audio_only) !== media.audioOnly()) setAudioOnly(Boolean(msg.audio_only));
    },
  };
}
