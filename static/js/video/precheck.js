// Pre-call check: preview with device pickers and a mic level meter, then an echo test in
// which our server (aiortc) sends the browser's own media back. Plain-words result.
import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";
import { listDevices, show } from "./media.js";

const $ = (id) => document.getElementById(id);
const maxSeconds = Number($("precheck").dataset.maxSeconds || 20);
const preview = $("preview");
let stream = null;
let meterTimer = null;

async function openDevices(video, audio) {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: video ? { deviceId: { exact: video } } : true,
      audio: audio ? { deviceId: { exact: audio } } : true,
    });
    show(preview, stream); // explicit play(): see media.js
    $("device-status").textContent = "Your camera and microphone work. You should see yourself above.";
    startMeter();
    await listDevices(stream, { videoinput: $("pc-camera"), audioinput: $("pc-mic") });
  } catch {
    $("device-status").textContent = "We could not open your camera or microphone. Check that your browser allows them for this site, then reload the page.";
  }
}

function startMeter() {
  clearInterval(meterTimer);
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  meterTimer = setInterval(() => {
    analyser.getByteTimeDomainData(data);
    let peak = 0;
    for (const v of data) peak = Math.max(peak, Math.abs(v - 128) / 128);
    $("mic-level").value = peak;
  }, 100);
}

function ask(socket, event, payload) {
  return new Promise((resolve) => socket.timeout(15000).emit(event, payload, (err, res) => resolve(err ? { error: { message: "No answer from the server." } } : res)));
}

async function runTest() {
  const button = $("run-test");
  const result = $("test-result");
  button.disabled = true;
  result.textContent = "Testing… please wait about 10 seconds.";
  const socket = io("/video", { transports: ["websocket", "polling"] });
  const pc = new RTCPeerConnection({ iceServers: [] });
  stream.getTracks().forEach((t) => pc.addTrack(t, stream));
  const echoed = new MediaStream();
  pc.ontrack = (e) => echoed.addTrack(e.track);
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => { if (pc.iceGatheringState === "complete") r(); else pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r(); setTimeout(r, 3000); });
    const answer = await ask(socket, "precheck_offer", { sdp: pc.localDescription.sdp });
    if (answer.error) throw new Error(answer.error.message);
    await pc.setRemoteDescription(answer);
    await new Promise((r) => setTimeout(r, Math.min(8, maxSeconds - 2) * 1000));
    const stats = await pc.getStats();
    let rtt = null; let lost = 0; let got = 0; let frames = 0;
    stats.forEach((s) => {
      if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime;
      if (s.type === "inbound-rtp") { lost += s.packetsLost || 0; got += s.packetsReceived || 0; if (s.kind === "video") frames += s.framesDecoded || 0; }
    });
    const loss = got + lost ? lost / (got + lost) : 1;
    $("test-numbers").hidden = false;
    $("r-rtt").textContent = rtt === null ? "unknown" : `${Math.round(rtt * 1000)} ms`;
    $("r-loss").textContent = `${(loss * 100).toFixed(1)}%`;
    $("r-flow").textContent = frames > 0 ? `yes (${frames} frames)` : "no";
    const good = frames > 0 && loss < 0.03 && (rtt === null || rtt < 0.3);
    result.dataset.outcome = good ? "good" : (got > 0 ? "audio" : "failed");
    result.textContent = good ? "Your connection is good for video."
      : got > 0 ? "Your connection is weak: use audio only in your session if the picture freezes."
      : "Your video did not come back. Check your network or try another browser.";
  } catch (err) {
    result.dataset.outcome = "error";
    result.textContent = err.message || "The test could not run. Please try again in a minute.";
  } finally {
    pc.close();
    await ask(socket, "precheck_stop", {});
    socket.disconnect();
    button.disabled = false;
  }
}

$("pc-camera").addEventListener("change", () => openDevices($("pc-camera").value, $("pc-mic").value));
$("pc-mic").addEventListener("change", () => openDevices($("pc-camera").value, $("pc-mic").value));
$("run-test").addEventListener("click", runTest);
openDevices();
