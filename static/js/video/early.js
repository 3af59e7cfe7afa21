// What the room starts first: the camera and microphone, and the /video socket. room.html loads
// this module `async` in <head>, so both start as soon as it and the Socket.IO client are in,
// while the page and the rest of its modules still load and run; room.js imports this same
// instance and takes them over (media.js `opened`, signaling.js `socket`). A page that loads
// only room.js (a plain <script type="module">) starts them when room.js runs, as before.
import { openSocket } from "./signaling.js";

export const socket = openSocket();
export const camera = navigator.mediaDevices?.getUserMedia({ audio: true, video: true }) ?? null;
camera?.catch(() => { /* media.js falls back to the microphone alone, then to nothing */ });
