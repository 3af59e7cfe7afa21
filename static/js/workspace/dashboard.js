// Therapist dashboard: live waiting-room status and new bookings from the /notify namespace.
// The server sends only appointment ids; names stay on the page the server rendered.
import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";

const table = document.getElementById("dash-sessions");
const live = document.getElementById("dash-live");

function rowOf(id) {
  return table?.querySelector(`tr[data-appointment-id="${Number(id)}"]`) ?? null;
}

function markWaiting(msg) {
  const row = rowOf(msg?.appointment_id);
  if (!row) return;
  const cell = row.querySelector(".dash-waiting");
  const badge = document.createElement("span");
  badge.className = "badge badge-urgent";
  badge.textContent = "Waiting";
  cell.replaceChildren(badge);
  const name = row.querySelector("td:nth-child(2)")?.textContent ?? "A client";
  live.textContent = `${name.trim()} is in the waiting room.`;
}

function announceBooking(msg) {
  if (!msg?.appointment_id || rowOf(msg.appointment_id)) return;
  const link = document.createElement("a");
  link.href = window.location.pathname;
  link.textContent = "Refresh to see it";
  live.replaceChildren("A client booked a new session. ", link, ".");
}

if (table && live) {
  const socket = io("/notify", { transports: ["websocket", "polling"] });
  socket.on("client_waiting", markWaiting);
  socket.on("appointment_booked", announceBooking);
}
