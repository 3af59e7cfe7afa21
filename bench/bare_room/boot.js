// The bare room page: ?appointment=N&role=therapist|client chooses the call and the side. The
// parts of the other role go, the role goes into a cookie (bench/bare_relay.py reads bare_role
// when the /video socket connects, where the portal reads the signed-in session). index.html then
// runs the portal's own room module, unchanged: same media, peer, signaling and repair code.
// (Both are module scripts: fetched together, run in document order.)
const params = new URLSearchParams(location.search);
const role = params.get("role") === "client" ? "client" : "therapist";
const room = document.getElementById("room");
room.dataset.appointmentId = params.get("appointment") || "1";
room.dataset.role = role;
room.dataset.peerName = role === "client" ? "Therapist" : "Client";
document.querySelectorAll("[data-only]").forEach((el) => {
  if (el.dataset.only === role) el.replaceWith(...el.childNodes);
  else el.remove();
});
document.cookie = `bare_role=${role}; path=/; SameSite=Strict`;

// &ice=<JSON iceServers>: this person's own TURN credentials, minted by the benchmark as the
// portal mints them per person in "joined" (coturn's user-quota counts allocations per
// username, so one shared credential for every bare call runs out after a few calls).
const ice = params.get("ice");
if (ice) {
  const servers = JSON.parse(ice);
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = function (config = {}) { return new Original({ ...config, iceServers: servers }); };
  window.RTCPeerConnection.prototype = Original.prototype;
}
