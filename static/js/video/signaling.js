// The Socket.IO client of namespace /video. The server only relays: every message carries the
// appointment id, from which the server finds the room and re-checks that we belong to it.
import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";

const ACK_TIMEOUT_MS = 8000; // an unanswered send resolves to null rather than hanging the caller
const HEARTBEAT_MS = 15000;

// Connect at once (the room page opens the camera at the same time, so a reload rejoins sooner).
// `heartbeat()` says what the 15-second heartbeat carries ({connected}: the call's media is up,
// which is what lets the server keep the session alive); `onHeartbeat(ack)` gets the answer.
export function openSocket() {
  return io("/video", { transports: ["websocket", "polling"], reconnectionDelayMax: 2000 });
}

// `socket`: one already opened (early.js opens it before the page has run); it may be connected.
export function connectSignaling(appointmentId, { socket = openSocket(), heartbeat = () => ({}), onHeartbeat = () => {} } = {}) {
  let queue = Promise.resolve();

  // Emit with an ack; resolves to the server's reply, or null on timeout or error.
  function send(event, payload = {}) {
    return new Promise((resolve) => {
      socket.timeout(ACK_TIMEOUT_MS).emit(event, { appointment_id: appointmentId, ...payload }, (err, res) => resolve(err ? null : res));
    });
  }

  // One message at a time, in order: a candidate that arrives while the offer or answer before it
  // is still being applied would otherwise find no remote description and be dropped.
  function onInOrder(event, handler) {
    socket.on(event, (msg) => { queue = queue.then(() => handler(msg)).catch(() => {}); });
  }

  const beat = setInterval(async () => {
    if (socket.connected) onHeartbeat(await send("heartbeat", heartbeat()));
  }, HEARTBEAT_MS);

  return {
    send,
    onInOrder,
    // A "connect" that came before its handler was attached is handed to it at once.
    on: (event, handler) => {
      socket.on(event, handler);
      if (event === "connect" && socket.connected) queueMicrotask(handler);
    },
    // Done with the room: no more heartbeats, no reconnection.
    disconnect: () => { clearInterval(beat); socket.disconnect(); },
  };
}
