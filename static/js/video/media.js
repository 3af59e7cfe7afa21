// Our camera and microphone: open them (falling back to audio only, then to nothing), list and
// switch devices, mute, camera off, audio only, screen share, and stop them all (the camera
// light goes off). The local stream lives here; the peer connection learns of a switched track
// through `onTrackSwitched`, never by reaching in.

// Start playback explicitly: Chromium pauses a muted `autoplay` video while it is off screen
// (the self-view sits below the waiting-room card on small screens) until it is scrolled to.
export function show(video, stream) {
  video.srcObject = stream;
  if (stream) video.play().catch(() => { /* autoplay refused: the video starts on the next user gesture */ });
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

// Whether this browser can share a screen at all (phones cannot): the button is hidden otherwise.
export const canShareScreen = () => typeof navigator.mediaDevices?.getDisplayMedia === "function";

// `video`: the self-view; `pickers`: as for listDevices; `say(text, kind)`: the status line;
// `onTrackSwitched(kind, track)`: put a newly picked (or restored) track on the call (may be async);
// `opened`: a getUserMedia({audio, video}) already under way (early.js), taken by the first start.
export function createMedia({ video, pickers, say, onTrackSwitched, opened = null }) {
  let stream = new MediaStream();
  let audioOnly = false;
  let screenTrack = null;
  let onSharing = () => {};
  let live = false;
  const tracks = (kind) => (kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks());
  const wanted = { audio: true, video: true };  // what the person chose, kept across a restart

  // One opening at a time: a caller while the camera is still opening (an Admit click right after
  // the page joined) waits for that one instead of opening a second camera. A stopAll during an
  // opening closes what it opens; a start after that stopAll opens again once it is done.
  let opening = null;
  let stops = 0;
  function start() {
    if (!opening || opening.stops !== stops) {
      const run = (opening || Promise.resolve()).then(open)
        .finally(() => { if (opening === run) opening = null; });
      run.stops = stops;
      opening = run;
    }
    return opening;
  }

  async function open() {
    const pending = opened;
    opened = null;
    const stopsBefore = stops;
    let got;
    try {
      got = await (pending || navigator.mediaDevices.getUserMedia({ audio: true, video: true }));
    } catch {
      try {
        got = await navigator.mediaDevices.getUserMedia({ audio: true });
        say("We could not use your camera; you can still talk.", "warning");
      } catch {
        say("Your browser did not allow the microphone or camera. Check the permissions and reload.", "error");
        got = new MediaStream();
      }
    }
    if (stops !== stopsBefore) { got.getTracks().forEach((t) => t.stop()); return; }
    stream = got;
    live = true;
    for (const kind of ["audio", "video"]) tracks(kind).forEach((t) => { t.enabled = wanted[kind] && !(kind === "video" && audioOnly); });
    show(video, stream);
    await listDevices(stream, pickers);
  }

  async function switchDevice(kind, deviceId) {
    if (!live) return;
    const picked = await navigator.mediaDevices.getUserMedia(kind === "video" ? { video: { deviceId: { exact: deviceId } } } : { audio: { deviceId: { exact: deviceId } } });
    const track = picked.getTracks()[0];
    track.enabled = wanted[kind] && !(kind === "video" && audioOnly);
    const old = stream.getTracks().find((t) => t.kind === kind);
    if (old) { stream.removeTrack(old); old.stop(); }
    stream.addTrack(track);
    if (!(kind === "video" && screenTrack)) await onTrackSwitched(kind, track);
    show(video, stream);
  }
  pickers.videoinput.addEventListener("change", (e) => switchDevice("video", e.target.value));
  pickers.audioinput.addEventListener("change", (e) => switchDevice("audio", e.target.value));

  // Back to the camera after a share, whoever stopped it: our button (track.stop() fires no
  // "ended", so we call this ourselves) or the browser's own "Stop sharing" (the track's "ended").
  async function restoreCamera() {
    if (!screenTrack) return;
    const ended = screenTrack;
    screenTrack = null;
    ended.onended = null;
    if (ended.readyState !== "ended") ended.stop();
    await onTrackSwitched("video", tracks("video")[0] || null);
    onSharing(false);
  }

  // Send the screen instead of the camera; `sharing(true|false)` follows the share.
  async function shareScreen(sharing) {
    onSharing = sharing;
    if (screenTrack) return restoreCamera();
    try {
      const display = await navigator.mediaDevices.getDisplayMedia({ video: true });
      screenTrack = display.getVideoTracks()[0];
      screenTrack.onended = restoreCamera;
      await onTrackSwitched("video", screenTrack);
      onSharing(true);
    } catch { /* the person cancelled the picker */ }
    return undefined;
  }

  // Stop every track we opened (camera, microphone, screen): the camera light goes off.
  function stopAll() {
    stops += 1;
    if (screenTrack) { screenTrack.onended = null; screenTrack.stop(); screenTrack = null; onSharing(false); }
    stream.getTracks().forEach((t) => t.stop());
    live = false;
    video.srcObject = null;
  }

  return {
    start,
    stopAll,
    shareScreen,
    stream: () => stream,
    // The track to send as video: the screen while sharing, else the camera.
    videoTrack: () => screenTrack || tracks("video")[0] || null,
    isLive: () => live,
    isSharing: () => Boolean(screenTrack),
    // Whether the person wants this kind on (the camera stays "on" through audio only).
    enabled: (kind) => wanted[kind],
    setEnabled(kind, on) {
      wanted[kind] = on;
      tracks(kind).forEach((t) => { t.enabled = on && !(kind === "video" && audioOnly); });
    },
    audioOnly: () => audioOnly,
    // Audio only: our camera stops sending (the other side follows, see room.js).
    setAudioOnly(on) {
      audioOnly = on;
      tracks("video").forEach((t) => { t.enabled = !on && wanted.video; });
      if (screenTrack) screenTrack.enabled = !on;
    },
    // What we send to the other side as media_state.
    state: () => ({ audio: tracks("audio").some((t) => t.enabled), video: wanted.video && !audioOnly && tracks("video").length > 0, audio_only: audioOnly }),
  };
}
