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
