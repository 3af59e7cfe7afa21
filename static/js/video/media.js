// Our camera and microphone: open them (falling back to audio only, then to nothing), list and
// switch devices, mute, camera off, audio only, screen share. The local stream lives here; the
// peer connection learns of a switched track through `onTrackSwitched`, never by reaching in.

// Start playback explicitly: Chromium pauses a muted `autoplay` video while it is off screen
// (the self-view sits below the waiting-room card on small screens) until it is scrolled to.
export function show(video, stream) {
  video.srcObject = stream;
  video.play().catch(() => { /* autoplay refused: the video starts on the next user gesture */ });
}

const PICKERS = [["videoinput", "video", "Camera"], ["audioinput", "audio", "Microphone"]];

// Fill the camera and microphone <select>s ({videoinput, audioinput}), the stream's devices chosen.
export async function listDevices(stream, pickers) {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [kind, trackKind, noun] of PICKERS) {
    const current = stream.getTracks().find((t) => t.kind === trackKind);
    pickers[kind].replaceChildren(...devices.filter((d) => d.kind === kind).map((d, i) => {
      const option = new Option(d.label || `${noun} ${i + 1}`, d.deviceId);
      option.selected = current?.getSettings().deviceId === d.deviceId;
      return option;
    }));
  }
}

// `video`: the self-view; `pickers`: as for listDevices; `say(text, kind)`: the status line;
// `onTrackSwitched(kind, track)`: put a newly picked device's track on the call (may be async).
export function createMedia({ video, pickers, say, onTrackSwitched }) {
  let stream = null;
  let audioOnly = false;
  let screenTrack = null;
  const tracks = (kind) => (kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks());

  async function start(constraints = { audio: true, video: true }) {
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    } catch {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        say("We could not use your camera; you can still talk.", "warning");
      } catch {
        say("Your browser did not allow the microphone or camera. Check the permissions and reload.", "error");
        stream = new MediaStream();
      }
    }
    show(video, stream);
    await listDevices(stream, pickers);
  }

  async function switchDevice(kind, deviceId) {
    const picked = await navigator.mediaDevices.getUserMedia(kind === "video" ? { video: { deviceId: { exact: deviceId } } } : { audio: { deviceId: { exact: deviceId } } });
    const track = picked.getTracks()[0];
    const old = stream.getTracks().find((t) => t.kind === kind);
    if (old) { stream.removeTrack(old); old.stop(); }
    stream.addTrack(track);
    await onTrackSwitched(kind, track);
    show(video, stream);
  }
  pickers.videoinput.addEventListener("change", (e) => switchDevice("video", e.target.value));
  pickers.audioinput.addEventListener("change", (e) => switchDevice("audio", e.target.value));

  // Send the screen instead of the camera on `sender`; a second call stops the screen track.
  // `onSharing(true|false)` follows the share.
  async function shareScreen(sender, onSharing) {
    if (!sender) return;
    if (screenTrack) {
      screenTrack.stop();
      return;
    }
    try {
      const display = await navigator.mediaDevices.getDisplayMedia({ video: true });
      screenTrack = display.getVideoTracks()[0];
      await sender.replaceTrack(screenTrack);
      onSharing(true);
      screenTrack.onended = async () => {
        await sender.replaceTrack(stream.getVideoTracks()[0] || null);
        screenTrack = null;
        onSharing(false);
      };
    } catch { /* the person cancelled the picker */ }
  }

  return {
    start,
    shareScreen,
    stream: () => stream,
    enabled: (kind) => tracks(kind).some((t) => t.enabled),
    setEnabled: (kind, on) => { for (const t of tracks(kind)) t.enabled = on; },
    audioOnly: () => audioOnly,
    // Audio only turns our camera off (the other side does the same when told, see media_state).
    setAudioOnly(on) {
      audioOnly = on;
      for (const t of stream.getVideoTracks()) t.enabled = !on;
    },
    // What we send to the other side as media_state.
    state: () => ({ audio: tracks("audio").some((t) => t.enabled), video: tracks("video").some((t) => t.enabled) && !audioOnly, audio_only: audioOnly }),
  };
}
